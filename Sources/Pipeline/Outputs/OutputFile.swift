import Foundation

/// The promise that a finished output is complete or absent.
///
/// Everything is written to a hidden temporary file beside the target (same
/// folder, so the final `rename` is atomic and never crosses filesystems);
/// only `commit()` gives it the real name. Anything else — an error, an abort,
/// a crash — leaves at most the hidden temporary, which `discard()` removes.
///
/// Standard output (`standardOutput(container:)`) cannot be renamed or taken back: it is written
/// as it goes, in a container that a reader can play without seeking.
public final class OutputFile: @unchecked Sendable {
    /// The finished file's path, or "-" for standard output.
    public let finalPath: String
    /// Where the writer writes: the hidden temporary file, or FFmpeg's "pipe:1".
    public let temporaryPath: String
    /// The name the container is chosen by (its extension): the final path, or "-.mkv" and the like.
    public let containerName: String
    public var isStandardOutput: Bool { finalPath == "-" }
    private var done = false

    /// Containers that can be written to a pipe and read from one: no index written at the end.
    public static let streamableFormats = ["mkv", "webm", "nut", "ts"]

    /// Standard output, in `container` (one of `streamableFormats`).
    public static func standardOutput(container: String) throws(PipelineError) -> OutputFile {
        guard streamableFormats.contains(container) else {
            throw PipelineError(.output, "standard output needs a format that plays without seeking: one of "
                                + streamableFormats.joined(separator: ", ") + " (got \"\(container)\")")
        }
        if isatty(STDOUT_FILENO) != 0 {
            throw PipelineError(.output, "standard output is a terminal; send it to a file or a player (| ffplay -)")
        }
        return OutputFile(standardOutputIn: container)
    }

    private init(standardOutputIn container: String) {
        finalPath = "-"
        temporaryPath = "pipe:1"
        containerName = "-." + container
        done = true   // nothing to rename or remove
    }

    /// Checks everything that can be checked before any work starts:
    /// the folder exists and is writable, the target is not the input, and an
    /// existing target is only replaced when `overwrite` is set.
    public init(path: String, inputPath: String?, overwrite: Bool) throws(PipelineError) {
        let fm = FileManager.default
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let folder = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw PipelineError(.output, "\(path): output folder \(folder) does not exist")
        }
        guard fm.isWritableFile(atPath: folder) else {
            throw PipelineError(.output, "\(path): output folder \(folder) is not writable")
        }
        if let inputPath, Self.sameFile(inputPath, url.path) {
            throw PipelineError(.output, "\(path): output would overwrite the input; choose another name")
        }
        if fm.fileExists(atPath: url.path, isDirectory: &isDir) {
            if isDir.boolValue {
                throw PipelineError(.output, "\(path): is a folder; give a file name")
            }
            // The finished file is renamed over the target: that would replace a device or a pipe.
            if Self.isDeviceOrPipe(url.path) {
                throw PipelineError(.output, "\(path): is a device or a pipe, not a file; name a file (or \"-\" for standard output)")
            }
            if !overwrite {
                throw PipelineError(.output, "\(path): already exists", setting: .overwrite)
            }
        }
        finalPath = url.path
        containerName = url.path
        let name = url.lastPathComponent
        let ext = url.pathExtension
        // Keep the extension: FFmpeg and users recognise the file by it.
        temporaryPath = folder + "/.\(name).partial-\(getpid())" + (ext.isEmpty ? "" : ".\(ext)")
    }

    /// Whether `path` exists and is neither a regular file nor a folder (a device, a FIFO, a socket):
    /// something to write into, never to rename a file over.
    public static func isDeviceOrPipe(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT != S_IFREG && info.st_mode & S_IFMT != S_IFDIR
    }

    private static func sameFile(_ a: String, _ b: String) -> Bool {
        var sa = stat(), sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    /// Gives the finished temporary file its real name.
    public func commit() throws(PipelineError) {
        guard !done else { return }
        if rename(temporaryPath, finalPath) != 0 {
            let reason = String(cString: strerror(errno))
            discard()
            throw PipelineError(.output, "\(finalPath): cannot move the finished file into place (\(reason))")
        }
        done = true
    }

    /// Removes the temporary file, if any. Safe to call more than once.
    public func discard() {
        guard !done else { return }
        unlink(temporaryPath)
        done = true
    }

    deinit { discard() }
}

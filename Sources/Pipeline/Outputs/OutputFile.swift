import Foundation

/// The promise that a finished output is complete or absent.
///
/// Everything is written to a hidden temporary file beside the target (same
/// folder, so the final `rename` is atomic and never crosses filesystems);
/// only `commit()` gives it the real name. Anything else — an error, an abort,
/// a crash — leaves at most the hidden temporary, which `discard()` removes.
public final class OutputFile: @unchecked Sendable {
    public let finalPath: String
    public let temporaryPath: String
    private var done = false

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
            if !overwrite {
                throw PipelineError(.output, "\(path): already exists", setting: .overwrite)
            }
        }
        finalPath = url.path
        let name = url.lastPathComponent
        let ext = url.pathExtension
        // Keep the extension: FFmpeg and users recognise the file by it.
        temporaryPath = folder + "/.\(name).partial-\(getpid())" + (ext.isEmpty ? "" : ".\(ext)")
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

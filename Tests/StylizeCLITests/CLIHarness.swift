import Foundation
import XCTest

/// Runs the `stylize` binary built next to this test bundle and makes small
/// input clips with the ffmpeg command-line tool.
enum CLIHarness {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
    }

    static var binary: String {
        if let explicit = ProcessInfo.processInfo.environment["STYLIZE_BIN"] { return explicit }
        let bundle = URL(fileURLWithPath: CommandLine.arguments.first { $0.contains(".xctest") } ?? CommandLine.arguments[0])
        var dir = bundle.deletingLastPathComponent()
        // swift test runs the .xctest bundle from the build folder, where `stylize` also lands.
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("stylize").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return "stylize"
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func makeTemporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("stylize-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Starts the binary (or `executable`); the caller may signal it before waiting. `environment`
    /// replaces the one the tests give the binary (the repository's presets, the sketch style).
    static func start(_ arguments: [String], in folder: URL? = nil, shellPrefix: String? = nil,
                      executable: String? = nil, environment: [String: String]? = nil) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        let program = executable ?? binary
        if let shellPrefix {
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            let quoted = ([program] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
            process.arguments = ["-c", shellPrefix + "; exec " + quoted.joined(separator: " ")]
        } else {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
        }
        if let folder { process.currentDirectoryURL = folder }
        process.environment = environment ?? testEnvironment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, out, err)
    }

    /// The binary's environment in the tests: the repository's presets, and the tests exercise the
    /// pipeline, not a look: the tiny placeholder network keeps them fast in debug builds whatever
    /// the shipped default is (a test may still pass --style).
    static var testEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["STYLIZE_PRESETS"] = repositoryRoot.appendingPathComponent("Presets").path
        environment["STYLIZE_STYLE"] = "sketch"
        return environment
    }

    static func run(_ arguments: [String], in folder: URL? = nil, shellPrefix: String? = nil,
                    executable: String? = nil, environment: [String: String]? = nil) throws -> Result {
        let (process, out, err) = try start(arguments, in: folder, shellPrefix: shellPrefix, executable: executable,
                                            environment: environment)
        // Read both pipes before waiting so a chatty child cannot block on a full pipe.
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    static var hasFFmpeg: Bool {
        ["/usr/bin/ffmpeg", "/usr/local/bin/ffmpeg"].contains { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs a tool (ffmpeg, ffprobe, …) and returns its stdout; fails the test on a non-zero exit.
    @discardableResult
    static func tool(_ name: String, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [name] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus != 0 {
            XCTFail("\(name) failed: \(String(decoding: errData, as: UTF8.self).suffix(500))", file: file, line: line)
        }
        return String(decoding: outData, as: UTF8.self)
    }

    /// A small test clip: `testsrc2` video (+ a sine tone unless `audio` is false).
    static func makeClip(_ url: URL, size: String = "96x64", frames: Int = 24, rate: Int = 24,
                         audio: Bool = true, extraOutputArguments: [String] = []) throws {
        let seconds = String(Double(frames) / Double(rate))
        var args = ["-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc2=size=\(size):rate=\(rate)"]
        if audio { args += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"] }
        args += ["-t", seconds, "-frames:v", String(frames)]
        args += extraOutputArguments
        args += ["-pix_fmt", "yuv420p", url.path]
        try tool("ffmpeg", args)
    }

    /// ffprobe's view of one stream: frames actually decoded, size, rate, duration.
    struct StreamFacts {
        var frames: Int?
        var width: Int?
        var height: Int?
        var frameRate: String?
        var duration: Double?
        var startTime: Double?
    }

    static func probe(_ url: URL, stream: String) throws -> StreamFacts? {
        let text = try tool("ffprobe", ["-v", "error", "-count_frames", "-select_streams", stream,
                                        "-show_entries", "stream=nb_read_frames,width,height,r_frame_rate,duration,start_time",
                                        "-of", "default=noprint_wrappers=1", url.path])
        guard !text.isEmpty else { return nil }
        var facts = StreamFacts()
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "nb_read_frames": facts.frames = Int(parts[1])
            case "width": facts.width = Int(parts[1])
            case "height": facts.height = Int(parts[1])
            case "r_frame_rate": facts.frameRate = parts[1]
            case "duration": facts.duration = Double(parts[1])
            case "start_time": facts.startTime = Double(parts[1])
            default: break
            }
        }
        return facts
    }

    /// Files in `folder` (hidden ones too): a failed run must leave no output and no temporary.
    static func contents(_ folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }
}

/// A CLI test with a fresh folder per test; skipped where ffmpeg is missing
/// (every such test makes its inputs with it).
class CLITestCase: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        try XCTSkipUnless(CLIHarness.hasFFmpeg, "ffmpeg is not installed; run scripts/install-deps.sh")
        folder = try CLIHarness.makeTemporaryFolder()
    }

    override func tearDownWithError() throws {
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }

    /// A one-frame picture of exactly `size` from an ffmpeg source (sources round odd sizes down,
    /// so it is scaled to the size afterwards).
    func makePicture(_ name: String, size: String = "77x53", source: String = "testsrc2") throws -> URL {
        let url = folder.appendingPathComponent(name)
        try CLIHarness.tool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "\(source)=size=96x72",
                                       "-vf", "scale=\(size.replacingOccurrences(of: "x", with: ":"))", "-frames:v", "1", url.path])
        return url
    }

    /// `picture` is width × height and, on average, more than `threshold` per channel from `original`.
    func assertPicture(_ picture: URL, width: Int, height: Int, differingFrom original: URL, by threshold: Double,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let facts = try XCTUnwrap(CLIHarness.probe(picture, stream: "v:0"), file: file, line: line)
        XCTAssertEqual(facts.width, width, file: file, line: line)
        XCTAssertEqual(facts.height, height, file: file, line: line)
        XCTAssertGreaterThan(meanAbsoluteDifference(try rawRGB(original), try rawRGB(picture)), threshold, file: file, line: line)
    }

    /// All frames of a video or picture as 8-bit RGB, decoded by ffmpeg (an independent decoder).
    func rawRGB(_ url: URL) throws -> [UInt8] {
        let raw = folder.appendingPathComponent(url.lastPathComponent + ".rgb")
        try CLIHarness.tool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-i", url.path,
                                       "-f", "rawvideo", "-pix_fmt", "rgb24", raw.path])
        return [UInt8](try Data(contentsOf: raw))
    }

    func meanAbsoluteDifference(_ a: [UInt8], _ b: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> Double {
        XCTAssertEqual(a.count, b.count, "different sizes", file: file, line: line)
        let n = min(a.count, b.count)
        guard n > 0 else { return 0 }
        var sum = 0
        for i in 0..<n { sum += abs(Int(a[i]) - Int(b[i])) }
        return Double(sum) / Double(n)
    }
}

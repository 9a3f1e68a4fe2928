import Foundation
import TerminalTestSupport
import XCTest

/// `stylize camera` as a user runs it on a machine without a camera: a file as the source
/// (--input), a YUV4MPEG2 stream on stdout (--output -).
final class CameraCommandTests: CLITestCase {
    var clip: URL!

    override func setUpWithError() throws {
        try super.setUpWithError()
        clip = folder.appendingPathComponent("clip.mp4")
        try CLIHarness.makeClip(clip, size: "96x64", frames: 24, rate: 24, audio: false)
    }

    func testStreamsYUV4MPEG2WithTheAskedSizeRateAndFrameCount() throws {
        let (process, out, err) = try CLIHarness.start(["camera", "--input", clip.path, "--loop", "--output", "-",
                                                       "--size", "64x48", "--fps", "24", "--max-size", "64", "--frames", "6"])
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        let stream = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = String(decoding: stderrData, as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 0, stderr)
        let header = "YUV4MPEG2 W64 H48 F24:1 Ip A1:1 C420jpeg\n"
        XCTAssertEqual(String(decoding: stream.prefix(header.utf8.count), as: UTF8.self), header)
        let frameBytes = "FRAME\n".utf8.count + 64 * 48 * 3 / 2
        XCTAssertEqual(stream.count, header.utf8.count + 6 * frameBytes, "not exactly 6 whole frames")
        for index in 0..<6 {
            let at = header.utf8.count + index * frameBytes
            XCTAssertEqual(String(decoding: stream[at..<(at + 6)], as: UTF8.self), "FRAME\n", "frame \(index)")
        }
        XCTAssertTrue(stderr.contains("Done: 6 frames"), stderr)
        XCTAssertTrue(stderr.contains("latency p50"), stderr)

        // ffmpeg reads it back with the same facts.
        let saved = folder.appendingPathComponent("live.y4m")
        try stream.write(to: saved)
        let facts = try XCTUnwrap(CLIHarness.probe(saved, stream: "v:0"))
        XCTAssertEqual(facts.width, 64)
        XCTAssertEqual(facts.height, 48)
        XCTAssertEqual(facts.frameRate, "24/1")
        XCTAssertEqual(facts.frames, 6)
    }

    /// `--stats-every`: one `Stats:` line per interval with that interval's figures; the frames of
    /// all intervals add up to no more than the run's total, and the live lines carry latency.
    func testStatsEveryPrintsEachIntervalsFigures() throws {
        let out = folder.appendingPathComponent("out")
        let live = try CLIHarness.run(["camera", "--input", clip.path, "--loop", "--output", "-", "--size", "64x48",
                                       "--fps", "24", "--max-size", "64", "--frames", "36", "--stats-every", "0.25"],
                                      shellPrefix: "exec >'\(out.path)'")
        XCTAssertEqual(live.status, 0, live.stderr)
        let liveLines = live.stderrLines.filter { $0.hasPrefix("Stats: ") }
        XCTAssertGreaterThanOrEqual(liveLines.count, 2, live.stderr)   // 36 frames at 24 fps: 1.5 s
        let liveFrames = try liveLines.map { try XCTUnwrap(Self.figure("frames", in: $0)) }
        XCTAssertLessThanOrEqual(liveFrames.reduce(0, +), 36)
        XCTAssertGreaterThan(liveFrames.reduce(0, +), 0)
        for line in liveLines {
            XCTAssertNotNil(Self.figure("p95-ms", in: line), line)
            XCTAssertNotNil(Self.figure("dropped", in: line), line)
        }

        let video = try CLIHarness.run(["video", clip.path, "-o", folder.appendingPathComponent("v.mkv").path, "--no-temporal",
                                        "--max-size", "64", "--stats-every", "0.01"])
        XCTAssertEqual(video.status, 0, video.stderr)
        let videoLines = video.stderrLines.filter { $0.hasPrefix("Stats: ") }
        XCTAssertFalse(videoLines.isEmpty, video.stderr)
        let videoFrames = try videoLines.map { try XCTUnwrap(Self.figure("frames", in: $0)) }
        XCTAssertLessThanOrEqual(videoFrames.reduce(0, +), 24)
        XCTAssertNotNil(Self.figure("fps", in: videoLines[0]))

        let bad = try CLIHarness.run(["video", clip.path, "--stats-every", "0"])
        XCTAssertNotEqual(bad.status, 0, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("--stats-every needs a number of seconds above 0"), bad.stderr)
    }

    private static func figure(_ name: String, in line: String) -> Double? {
        line.split(separator: " ").lazy.compactMap { field -> Double? in
            let parts = field.split(separator: "=", maxSplits: 1)
            return parts.count == 2 && parts[0] == name ? Double(parts[1]) : nil
        }.first
    }

    func testAReaderThatGoesAwayEndsTheRunWithOneLine() throws {
        let (process, out, err) = try CLIHarness.start(["camera", "--input", clip.path, "--loop", "--output", "-",
                                                       "--size", "64x48", "--max-size", "64"])
        _ = out.fileHandleForReading.readData(ofLength: 100)
        try out.fileHandleForReading.close()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit, "killed by a signal (SIGPIPE?)")
        XCTAssertNotEqual(process.terminationStatus, 0)
        let lines = stderr.split(separator: "\n").filter { !$0.hasPrefix("Live:") }
        XCTAssertEqual(lines.count, 1, stderr)
        XCTAssertTrue(stderr.contains("closed"), stderr)
    }

    func testBadOptionsAndMissingDevicesGetOneLine() throws {
        let missing = folder.appendingPathComponent("video7").path
        let cases: [([String], String)] = [
            (["camera", "--device", missing, "--output", "-"], "no camera at \(missing)"),
            (["camera", "--input", clip.path, "--output", missing], "v4l2loopback"),
            (["camera", "--input", folder.appendingPathComponent("nope.mp4").path, "--output", "-"], "nope.mp4"),
            (["camera", "--size", "641x480", "--output", "-"], "--size"),
            (["camera", "--loop", "--output", "-"], "--loop needs --input"),
            (["camera", "--input", clip.path, "--output", "-", "--style", "no-such-style"], "unknown style"),
        ]
        for (arguments, needle) in cases {
            let result = try CLIHarness.run(arguments)
            XCTAssertNotEqual(result.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains(needle), "'\(needle)' not in: \(result.stderr)")
            XCTAssertTrue(result.stdout.isEmpty, "wrote to stdout on failure: \(arguments)")
        }
    }

    func testWithoutAVirtualCameraItSaysHowToMakeOne() throws {
        let nodes = (try? FileManager.default.contentsOfDirectory(atPath: "/dev"))?.filter { $0.hasPrefix("video") } ?? []
        try XCTSkipUnless(nodes.isEmpty, "this machine has video devices; the default output may exist")
        let result = try CLIHarness.run(["camera", "--input", clip.path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(result.stderrLines.count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("modprobe v4l2loopback"), result.stderr)
    }

    /// Run in a terminal: the keys change the look (the status line says so) and q ends the
    /// run cleanly with the summary — through a real pty (tmux), as a user types them.
    func testHotkeysInATerminal() throws {
        let stream = folder.appendingPathComponent("live.y4m")
        let env = "STYLIZE_PRESETS='\(CLIHarness.repositoryRoot.appendingPathComponent("Presets").path)' STYLIZE_STYLE=sketch"
        let session = try TmuxSession(command: "\(env) '\(CLIHarness.binary)' camera --input '\(clip.path)' --loop --output - "
                                      + "--size 64x48 --max-size 64 > '\(stream.path)'; "
                                      + "echo EXIT $?; sleep 30", columns: 120, rows: 10)
        _ = try session.capture(timeout: 60) { $0.contains("fps") && $0.contains("temporal on") }
        try session.send(keys: "t")
        let toggled = try session.capture(timeout: 20) { $0.contains("temporal off") }
        XCTAssertTrue(toggled.rows.contains { String($0.map(\.character)).contains("temporal off") }, "t did not turn temporal blending off")
        try session.send(keys: "-")
        let weaker = try session.capture(timeout: 20) { $0.contains("90%") }
        XCTAssertTrue(weaker.rows.contains { String($0.map(\.character)).contains("90%") }, "- did not lower the strength")
        try session.send(keys: "q")
        let ended = try session.capture(timeout: 30) { $0.contains("EXIT") }
        let text = ended.rows.map { String($0.map(\.character)) }.joined(separator: "\n")
        XCTAssertTrue(text.contains("EXIT 0"), text)
        XCTAssertTrue(text.contains("Done:"), text)
        XCTAssertTrue(FileManager.default.fileExists(atPath: stream.path))
    }
}

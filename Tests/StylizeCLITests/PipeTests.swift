import Foundation
import XCTest

/// `-` for standard input and output: `ffmpeg … -f matroska - | stylize video - -o - | ffplay -`.
final class PipeTests: CLITestCase {
    /// Runs `stylize ARGUMENTS` with `input` coming through a pipe (not seekable, unlike a file
    /// given as standard input) and standard output going into `output`.
    private func run(_ arguments: [String], stdin input: URL, stdout output: URL) throws -> CLIHarness.Result {
        try CLIHarness.run(arguments, shellPrefix: "exec < <(cat '\(input.path)') >'\(output.path)'")
    }

    func testStandardInToStandardOutKeepsFramesAndAudio() throws {
        let clip = folder.appendingPathComponent("clip.mkv")
        try CLIHarness.makeClip(clip, size: "64x48", frames: 30, rate: 25, extraOutputArguments: ["-c:a", "aac"])
        for format in ["nut", "mkv", "ts"] {
            let out = folder.appendingPathComponent("out.\(format)")
            let result = try run(["video", "-", "-o", "-", "--format", format, "--no-temporal"], stdin: clip, stdout: out)
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stderr.contains("Done: 30 frames"), result.stderr)
            XCTAssertTrue(result.stderr.contains("→ standard output"), result.stderr)
            XCTAssertEqual(try CLIHarness.probe(out, stream: "v:0")?.frames, 30, format)
            XCTAssertNotNil(try CLIHarness.probe(out, stream: "a:0"), "\(format): the audio stream was dropped")
        }
    }

    func testStandardInToAFile() throws {
        let clip = folder.appendingPathComponent("clip.mkv"), out = folder.appendingPathComponent("out.mp4")
        try CLIHarness.makeClip(clip, size: "64x48", frames: 12, rate: 25)
        let result = try run(["video", "-", "-o", out.path, "--no-temporal"], stdin: clip, stdout: folder.appendingPathComponent("stdout"))
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try CLIHarness.probe(out, stream: "v:0")?.frames, 12)
        XCTAssertEqual(try Data(contentsOf: folder.appendingPathComponent("stdout")).count, 0, "nothing but the file is written")
    }

    func testMP4WithItsIndexAtTheEndCannotComeThroughAPipe() throws {
        let clip = folder.appendingPathComponent("clip.mp4"), out = folder.appendingPathComponent("out.mkv")
        // ffmpeg writes the index last; more data than FFmpeg's read buffer holds comes before it
        // (a small file is read back from that buffer, and works): noise does not compress.
        try CLIHarness.tool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                                       "testsrc2=size=320x240:rate=25,noise=alls=80:allf=t", "-frames:v", "12",
                                       "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", clip.path])
        let result = try run(["video", "-", "-o", out.path, "--no-temporal", "--max-size", "64"], stdin: clip,
                             stdout: folder.appendingPathComponent("stdout"))
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderrLines.count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("standard input: an MP4 or MOV can only be read from a pipe when its index comes first"),
                      result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }

    func testStandardOutputNeedsAStreamableFormat() throws {
        let clip = folder.appendingPathComponent("clip.mkv")
        try CLIHarness.makeClip(clip, size: "64x48", frames: 3, rate: 25)
        let result = try run(["video", clip.path, "-o", "-", "--format", "mp4"], stdin: clip, stdout: folder.appendingPathComponent("stdout"))
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderrLines, ["stylize: error: standard output needs a format that plays without seeking: one of mkv, webm, nut, ts (got \"mp4\")"])
        let misplaced = try CLIHarness.run(["video", clip.path, "-o", folder.appendingPathComponent("x.mkv").path, "--format", "nut"])
        XCTAssertEqual(misplaced.status, 1)
        XCTAssertTrue(misplaced.stderr.contains("--format is for -o -"), misplaced.stderr)
    }
}

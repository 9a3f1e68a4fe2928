import Foundation
import XCTest

/// Every bad input gets one line on stderr, a non-zero exit, and no output file.
final class BadInputTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = try CLIHarness.makeTemporaryFolder()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// Runs `stylize video input -o out` and checks the failure contract.
    @discardableResult
    func expectFailure(input: String, output: String? = nil, extra: [String] = [], mentioning needle: String,
                       shellPrefix: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> CLIHarness.Result {
        let outputPath = output ?? folder.appendingPathComponent("out.mp4").path
        let before = CLIHarness.contents(folder)
        let result = try CLIHarness.run(["video", input, "-o", outputPath] + extra, shellPrefix: shellPrefix)
        XCTAssertNotEqual(result.status, 0, "expected failure, stderr: \(result.stderr)", file: file, line: line)
        XCTAssertEqual(result.stderrLines.count, 1, "expected one line, got: \(result.stderr)", file: file, line: line)
        XCTAssertTrue(result.stderr.lowercased().contains(needle.lowercased()),
                      "'\(needle)' not in: \(result.stderr)", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: outputPath), "output was left behind", file: file, line: line)
        XCTAssertEqual(CLIHarness.contents(folder), before, "temporary files were left behind", file: file, line: line)
        return result
    }

    func testMissingInput() throws {
        try expectFailure(input: folder.appendingPathComponent("nope.mp4").path, mentioning: "nope.mp4")
    }

    func testZeroByteInput() throws {
        let empty = folder.appendingPathComponent("empty.mp4")
        FileManager.default.createFile(atPath: empty.path, contents: Data())
        try expectFailure(input: empty.path, mentioning: "empty.mp4")
    }

    func testTextFileIsNotMedia() throws {
        let text = folder.appendingPathComponent("notes.mp4")
        try String(repeating: "this is not a video\n", count: 200).write(to: text, atomically: true, encoding: .utf8)
        try expectFailure(input: text.path, mentioning: "notes.mp4")
    }

    func testUnreadableInput() throws {
        // Root reads anything, so a folder stands in for an unreadable file.
        try expectFailure(input: folder.path, mentioning: folder.lastPathComponent)
    }

    /// The first kilobytes of a phone video with its index at the front: the streams are all
    /// described, but the data ends before the first decodable frame. Not an empty "success".
    func testFileCutBeforeItsFirstFrameIsAnError() throws {
        try XCTSkipUnless(CLIHarness.hasFFmpeg, "ffmpeg is not installed; run scripts/install-deps.sh")
        let whole = folder.appendingPathComponent("whole.mp4"), cut = folder.appendingPathComponent("cut.mp4")
        try CLIHarness.tool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30",
                                       "-f", "lavfi", "-i", "sine", "-t", "1", "-c:v", "libx264", "-c:a", "aac",
                                       "-movflags", "+faststart", whole.path])
        let data = try Data(contentsOf: whole)
        // Up to the end of the index (moov), plus the first few bytes of the data (mdat).
        let moov = try XCTUnwrap(data.range(of: Data("moov".utf8)))
        let moovSize = data[moov.lowerBound - 4..<moov.lowerBound].reduce(0) { $0 << 8 | Int($1) }
        try FileManager.default.removeItem(at: whole)
        // Cut inside the first frame (its packet fails to decode), and right after the data's
        // header (not one packet: the reader ends cleanly with nothing).
        for extra in [2000, 8] {
            try data.prefix(moov.lowerBound - 4 + moovSize + extra).write(to: cut)
            try expectFailure(input: cut.path, mentioning: "cut.mp4: no video frame could be decoded")
        }
    }

    /// A file whose header claims a picture too large for this machine is refused by its size before
    /// anything is decoded (here: 16000×16000 in a 60-byte YUV4MPEG2 file).
    func testAClaimedPictureTooLargeForThisMachineIsRefusedBySize() throws {
        let needed = 16000 * 16000 * 3 / 2 * 150   // VideoMemory's estimate, 53.6 GB
        try XCTSkipIf(ProcessInfo.processInfo.physicalMemory >= UInt64(needed), "this machine could take the picture")
        let claim = folder.appendingPathComponent("claim.y4m")
        try Data("YUV4MPEG2 W16000 H16000 F30:1 Ip A1:1 C420jpeg\nFRAME\nabc".utf8).write(to: claim)
        try expectFailure(input: claim.path, mentioning: "claim.y4m: a 16000×16000 video needs about 53.6 GB of memory")
    }

    func testAudioOnlyInputHasNoVideoStream() throws {
        try XCTSkipUnless(CLIHarness.hasFFmpeg, "ffmpeg is not installed; run scripts/install-deps.sh")
        let audio = folder.appendingPathComponent("tone.m4a")
        try CLIHarness.tool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                                       "sine=frequency=440:duration=1", "-c:a", "aac", audio.path])
        try expectFailure(input: audio.path, mentioning: "video")
    }

    func testUnknownStyle() throws {
        try XCTSkipUnless(CLIHarness.hasFFmpeg, "ffmpeg is not installed; run scripts/install-deps.sh")
        let clip = folder.appendingPathComponent("clip.mp4")
        try CLIHarness.makeClip(clip, frames: 4)
        try expectFailure(input: clip.path, extra: ["--style", "no-such-style"], mentioning: "no-such-style")
    }

    func testMalformedModel() throws {
        try XCTSkipUnless(CLIHarness.hasFFmpeg, "ffmpeg is not installed; run scripts/install-deps.sh")
        let clip = folder.appendingPathComponent("clip.mp4")
        try CLIHarness.makeClip(clip, frames: 4)
        let model = folder.appendingPathComponent("broken.onnx")
        try Data((0..<300).map { UInt8(($0 * 37) & 0xFF) }).write(to: model)
        try expectFailure(input: clip.path, extra: ["--style", model.path], mentioning: "broken.onnx")
    }

    func testMissingOutputFolder() throws {
        try XCTSkipUnless(CLIHarness.hasFFmpeg, "ffmpeg is not installed; run scripts/install-deps.sh")
        let clip = folder.appendingPathComponent("clip.mp4")
        try CLIHarness.makeClip(clip, frames: 4)
        try expectFailure(input: clip.path, output: folder.appendingPathComponent("missing/out.mp4").path,
                          mentioning: "does not exist")
    }

    func testUnwritableOutputFolder() throws {
        try XCTSkipUnless(CLIHarness.hasFFmpeg, "ffmpeg is not installed; run scripts/install-deps.sh")
        let clip = folder.appendingPathComponent("clip.mp4")
        try CLIHarness.makeClip(clip, frames: 4)
        // /proc refuses new files even to root, which bypasses permission bits.
        try expectFailure(input: clip.path, output: "/proc/stylize-out.mp4", mentioning: "stylize-out.mp4")
    }

    func testExistingOutputIsRefusedWithoutForce() throws {
        try XCTSkipUnless(CLIHarness.hasFFmpeg, "ffmpeg is not installed; run scripts/install-deps.sh")
        let clip = folder.appendingPathComponent("clip.mp4")
        try CLIHarness.makeClip(clip, frames: 4)
        let existing = folder.appendingPathComponent("existing.mp4")
        try Data("keep me".utf8).write(to: existing)
        let result = try CLIHarness.run(["video", clip.path, "-o", existing.path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(result.stderrLines.count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("--force"), result.stderr)
        XCTAssertEqual(try Data(contentsOf: existing), Data("keep me".utf8), "the existing file was touched")
    }

    func testInputIsNeverOverwritten() throws {
        try XCTSkipUnless(CLIHarness.hasFFmpeg, "ffmpeg is not installed; run scripts/install-deps.sh")
        let clip = folder.appendingPathComponent("clip.mp4")
        try CLIHarness.makeClip(clip, frames: 4)
        let original = try Data(contentsOf: clip)
        let result = try CLIHarness.run(["video", clip.path, "-o", clip.path, "--force"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(result.stderrLines.count, 1, result.stderr)
        XCTAssertEqual(try Data(contentsOf: clip), original)
    }

    func testDiskFull() throws {
        try XCTSkipUnless(CLIHarness.hasFFmpeg, "ffmpeg is not installed; run scripts/install-deps.sh")
        let clip = folder.appendingPathComponent("clip.mp4")
        try CLIHarness.makeClip(clip, size: "320x240", frames: 48)
        // A tiny tmpfs fills up for real (ENOSPC). Where mounting is not allowed, a file-size
        // limit makes writes fail the same way from the program's point of view.
        let small = folder.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: small, withIntermediateDirectories: true)
        let mounted = (try? CLIHarness.tool("mount", ["-t", "tmpfs", "-o", "size=24k", "tmpfs", small.path])) != nil
            && CLIHarness.contents(small).isEmpty
        defer { if mounted { _ = try? CLIHarness.tool("umount", [small.path]) } }
        let output = small.appendingPathComponent("out.mp4").path
        let prefix = mounted ? nil : "trap '' XFSZ; ulimit -f 24"
        let result = try CLIHarness.run(["video", clip.path, "-o", output, "--quiet"], shellPrefix: prefix)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(result.stderrLines.count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("disk full") || result.stderr.contains("too large"), result.stderr)
        XCTAssertEqual(CLIHarness.contents(small), [], "partial output left on the full disk")
    }
}

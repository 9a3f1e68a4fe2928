import Foundation
import XCTest

/// `stylize video IN -o OUT --from T --to T`: only that part, starting at zero.
final class RangeTests: CLITestCase {
    /// 2 s at 30 fps, keyframes every 15 frames, frame N's luma 4·N, and a tone.
    private func makeCountingClip() throws -> URL {
        let clip = folder.appendingPathComponent("count.mp4")
        try CLIHarness.tool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                                       "color=black:s=64x48:r=30,geq=lum='4*N':cb=128:cr=128", "-f", "lavfi", "-i", "sine=frequency=440",
                                       "-t", "2", "-c:v", "libx264", "-g", "15", "-preset", "ultrafast", "-qp", "0", "-c:a", "aac",
                                       "-shortest", clip.path])
        return clip
    }

    /// Mean luma of every frame of `video`, full range, in order.
    private func frameLevels(_ video: URL) throws -> [Int] {
        let raw = folder.appendingPathComponent("levels.gray")
        _ = try CLIHarness.tool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-i", video.path,
                                           "-vf", "scale=1:1,format=gray", "-f", "rawvideo", raw.path])
        return try Data(contentsOf: raw).map(Int.init)
    }

    func testARangeHasJustItsFramesFromZeroAndItsAudio() throws {
        let clip = try makeCountingClip()
        // 0.6 s is frame 18, not a keyframe (15 and 30 are); 1.0 s is frame 30, not included.
        let out = folder.appendingPathComponent("part.mkv")
        let result = try CLIHarness.run(["video", clip.path, "-o", out.path, "--from", "0.6", "--to", "0:01", "--strength", "0"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("Done: 12 frames"), result.stderr)
        let expected = (18..<30).map { Int((Double(4 * $0 - 16) * 255 / 219).rounded()) }
        let levels = try frameLevels(out)
        XCTAssertEqual(levels.count, 12)
        for (got, want) in zip(levels, expected) { XCTAssertEqual(got, want, accuracy: 3, "frames \(levels) against \(expected)") }
        let video = try XCTUnwrap(CLIHarness.probe(out, stream: "v:0"))
        XCTAssertEqual(video.startTime ?? -1, 0, accuracy: 0.001)
        XCTAssertEqual(video.frames, 12)
        let audio = try XCTUnwrap(CLIHarness.probe(out, stream: "a:0"), "the range's audio was dropped")
        XCTAssertLessThan(audio.startTime ?? -1, 0.03)

        // With temporal blending (the default) and its warm-up before the range: the same frames.
        let blended = folder.appendingPathComponent("blended.mkv")
        let run = try CLIHarness.run(["video", clip.path, "-o", blended.path, "--from", "0.6", "--to", "1", "--strength", "0", "--warm-up", "5"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try frameLevels(blended).count, 12)
    }

    func testBadRangesGetOneLine() throws {
        let clip = try makeCountingClip()
        let out = folder.appendingPathComponent("out.mkv")
        let cases: [([String], String)] = [
            (["--from", "1", "--to", "0.5"], "--to must be later than the start"),
            (["--from", "5"], "count.mp4: the range starts at 5 s, after the video's end (2 s)"),
            (["--from", "1:75"], "'1:75' is not a time"),
            (["--from", "abc"], "'abc' is not a time"),
            (["--warm-up=-1", "--from", "1"], "--warm-up must be at least 0"),
        ]
        for (extra, needle) in cases {
            let result = try CLIHarness.run(["video", clip.path, "-o", out.path] + extra)
            XCTAssertNotEqual(result.status, 0, extra.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains(needle), "'\(needle)' not in: \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        }
        let piped = try CLIHarness.run(["video", "-", "-o", out.path, "--from", "1"], shellPrefix: "exec < <(cat '\(clip.path)')")
        XCTAssertNotEqual(piped.status, 0)
        XCTAssertTrue(piped.stderr.contains("a time range needs a file to seek in"), piped.stderr)
    }
}

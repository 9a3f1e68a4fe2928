import Foundation
import XCTest

/// `stylize plan`, segments painted with `--from/--to`, `stylize join`, and the driver that runs them.
final class SegmentTests: CLITestCase {
    /// 6 s at 25 fps with a tone: test pattern, then colour bars from 3.5 s (a scene cut); keyframes
    /// every second and at the cut.
    private func makeClipWithACut() throws -> URL {
        let clip = folder.appendingPathComponent("cut.mp4")
        try CLIHarness.tool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y",
                                       "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25:duration=3.5",
                                       "-f", "lavfi", "-i", "smptebars=size=64x48:rate=25:duration=2.5",
                                       "-f", "lavfi", "-i", "sine=frequency=300:duration=6",
                                       "-filter_complex", "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]", "-map", "2:a",
                                       "-c:v", "libx264", "-preset", "ultrafast", "-x264-params", "keyint=25:min-keyint=25:scenecut=0",
                                       "-force_key_frames", "3.5", "-c:a", "aac", clip.path])
        return clip
    }

    private func plan(_ clip: URL, _ options: [String]) throws -> [String: Any] {
        let path = folder.appendingPathComponent("plan.json")
        let result = try CLIHarness.run(["plan", clip.path, "-o", path.path] + options)
        XCTAssertEqual(result.status, 0, result.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: path)) as? [String: Any])
    }

    private func segments(_ plan: [String: Any]) -> [[String: Any]] { plan["segments"] as? [[String: Any]] ?? [] }

    func testPlansCutOnKeyframesPreferSceneCutsAndRepeat() throws {
        let clip = try makeClipWithACut()
        // Two segments: an even split is at 3.02 s, by the keyframe at 3.0; the cut (frame 88, 3.52 s) is near enough to win.
        let withCuts = try plan(clip, ["--segments", "2"])
        XCTAssertEqual(withCuts["frames"] as? Int, 151)
        let parts = segments(withCuts)
        XCTAssertEqual(parts.count, 2)
        XCTAssertEqual(parts[1]["from"] as? Double ?? 0, 3.52, accuracy: 1e-6)
        XCTAssertEqual(parts[1]["seam"] as? String, "scene cut")
        XCTAssertEqual(parts[1]["warmUp"] as? Int, 0)
        XCTAssertEqual(parts.map { $0["frames"] as? Int ?? 0 }, [88, 63])

        let evenly = segments(try plan(clip, ["--segments", "2", "--no-scene-cuts"]))
        XCTAssertEqual(evenly[1]["from"] as? Double ?? 0, 3.0, accuracy: 1e-6)
        XCTAssertEqual(evenly[1]["seam"] as? String, "keyframe")
        XCTAssertNil(evenly[1]["warmUp"], "a keyframe seam takes the video job's warm-up")

        let first = try String(contentsOf: folder.appendingPathComponent("plan.json"))
        _ = try plan(clip, ["--segments", "2", "--no-scene-cuts"])
        XCTAssertEqual(try String(contentsOf: folder.appendingPathComponent("plan.json")), first, "the same input gives the same plan")

        // By length: six 1-s segments, every boundary a keyframe.
        let bySeconds = segments(try plan(clip, ["--segment-seconds", "1", "--no-scene-cuts"]))
        XCTAssertEqual(bySeconds.count, 6)
        XCTAssertEqual(bySeconds.map { $0["frames"] as? Int ?? 0 }.reduce(0, +), 151)
    }

    /// A plan written to a device or a pipe goes into it: an atomic write would rename a new file
    /// over it (`-o /dev/null` once replaced this machine's /dev/null with a regular file).
    func testAPlanIntoAPipeIsWrittenIntoItAndAVideoIntoAPipeIsRefused() throws {
        let clip = try makeClipWithACut()
        let fifo = folder.appendingPathComponent("plan.fifo").path, copy = folder.appendingPathComponent("copy.json").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let result = try CLIHarness.run(["plan", clip.path, "--segments", "2", "-o", fifo],
                                        shellPrefix: "{ cat '\(fifo)' > '\(copy)' & }")
        XCTAssertEqual(result.status, 0, result.stderr)
        _ = try CLIHarness.tool("bash", ["-c", "for i in $(seq 50); do [ -s '\(copy)' ] && break; sleep 0.1; done"])
        XCTAssertTrue(try String(contentsOfFile: copy).contains("\"format\" : \"stylize-plan/1\""))
        var info = stat()
        XCTAssertEqual(stat(fifo, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO, "the pipe was replaced by a file")

        let video = try CLIHarness.run(["video", clip.path, "-o", fifo, "--force"])
        XCTAssertNotEqual(video.status, 0)
        XCTAssertTrue(video.stderr.contains("is a device or a pipe, not a file"), video.stderr)
        XCTAssertEqual(stat(fifo, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO, "the pipe was replaced by a file")
    }

    /// Video frame times of `file`, in presentation order (ffprobe).
    private func frameTimes(_ file: URL) throws -> [Double] {
        try CLIHarness.tool("ffprobe", ["-v", "error", "-select_streams", "v", "-show_entries", "packet=pts_time", "-of", "csv=p=0", file.path])
            .split(separator: "\n").compactMap { Double($0) }.sorted()
    }

    /// Paints every segment of the plan in `folder` as the driver would.
    private func paint(_ clip: URL, _ plan: [String: Any]) throws {
        for segment in segments(plan) {
            var arguments = ["video", clip.path, "-o", folder.appendingPathComponent(segment["output"] as? String ?? "").path,
                             "--from", "\(segment["from"] as? Double ?? 0)", "--max-size", "64", "--quiet"]
            if let to = segment["to"] as? Double { arguments += ["--to", "\(to)"] }
            if let warmUp = segment["warmUp"] as? Int { arguments += ["--warm-up", "\(warmUp)"] }
            let result = try CLIHarness.run(arguments)
            XCTAssertEqual(result.status, 0, result.stderr)
        }
    }

    func testJoinGivesBackTheInputsFramesTimesAndAudioOrNamesTheBrokenSegment() throws {
        let clip = try makeClipWithACut()
        let plan = try plan(clip, ["--segments", "2", "--no-scene-cuts"])   // a keyframe seam: painted with warm-up
        try paint(clip, plan)
        let planPath = folder.appendingPathComponent("plan.json").path
        let joined = folder.appendingPathComponent("joined.mkv")
        let result = try CLIHarness.run(["join", planPath, "-o", joined.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("Joined 2 segments, 151 frames"), result.stderr)
        let times = try frameTimes(joined), original = try frameTimes(clip)
        XCTAssertEqual(times.count, 151)
        for (got, want) in zip(times, original) { XCTAssertEqual(got, want, accuracy: 0.0011) }   // Matroska: milliseconds
        let audio = try XCTUnwrap(CLIHarness.probe(joined, stream: "a:0"), "the original's audio is missing")
        XCTAssertEqual(audio.duration ?? 6, 6, accuracy: 0.05)
        let mp4 = folder.appendingPathComponent("joined.mp4")
        XCTAssertEqual(try CLIHarness.run(["join", planPath, "-o", mp4.path, "--quiet"]).status, 0)
        XCTAssertEqual(try frameTimes(mp4), original, "MP4 keeps the input's time base: the times are exact")
        XCTAssertEqual(try CLIHarness.tool("ffmpeg", ["-v", "error", "-i", mp4.path, "-f", "null", "-"]), "", "decoding errors at the seam")

        // What goes wrong at join time is one line naming the segment, and no file.
        let segmentFile = folder.appendingPathComponent("segment-001.mp4")
        let good = try Data(contentsOf: segmentFile)
        let out = folder.appendingPathComponent("out.mp4")
        func expectJoinFailure(_ needle: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let result = try CLIHarness.run(["join", planPath, "-o", out.path])
            XCTAssertNotEqual(result.status, 0, file: file, line: line)
            XCTAssertEqual(result.stderrLines.count, 1, result.stderr, file: file, line: line)
            XCTAssertTrue(result.stderr.contains(needle), "'\(needle)' not in: \(result.stderr)", file: file, line: line)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), file: file, line: line)
        }
        try FileManager.default.removeItem(at: segmentFile)
        try expectJoinFailure("segment 1 (segment-001.mp4) is missing")
        try good.prefix(good.count / 2).write(to: segmentFile)
        try expectJoinFailure("segment 1 (segment-001.mp4)")
        // Painted from a range that starts a frame late.
        let late = try CLIHarness.run(["video", clip.path, "-o", segmentFile.path, "--from", "3.04", "--max-size", "64", "--quiet", "--force"])
        XCTAssertEqual(late.status, 0, late.stderr)
        try expectJoinFailure("segment 1 (segment-001.mp4) has 75 frames; the plan says 76")
        // Encoded differently (another quality setting changes H.264's header).
        let other = try CLIHarness.run(["video", clip.path, "-o", segmentFile.path, "--from", "3", "--max-size", "64", "--quiet", "--force",
                                        "--encoder-preset", "ultrafast"])
        XCTAssertEqual(other.status, 0, other.stderr)
        try expectJoinFailure("segment 1 (segment-001.mp4) was encoded differently from segment 0")
        try Data("{\"format\": \"stylize-plan/1\"}".utf8).write(to: URL(fileURLWithPath: planPath))
        try expectJoinFailure("plan.json: not a segment plan (\"input\" is missing)")
    }

    /// The driver, end to end on a two-segment plan: on Ray when Distributed/setup.sh installed it
    /// here, else (as in CI) on its local executor, which it says.
    func testTheDriverPaintsATwoSegmentPlanAndJoinsIt() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"), "python3 is not installed")
        let clip = try makeClipWithACut()
        let out = folder.appendingPathComponent("painted.mp4")
        let driver = CLIHarness.repositoryRoot.appendingPathComponent("Distributed/stylize-ray").path
        let result = try CLIHarness.run([clip.path, "-o", out.path, "--segments", "2", "--cpus", "1", "--stylize", CLIHarness.binary,
                                         "--", "--max-size", "64"], executable: driver)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("2 segments of 151 frames"), result.stderr)
        XCTAssertTrue(result.stderr.contains("; Ray, ") || result.stderr.contains("painting the segments on this machine"), result.stderr)
        XCTAssertEqual(try frameTimes(out), try frameTimes(clip))
        XCTAssertNotNil(try CLIHarness.probe(out, stream: "a:0"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path + ".parts"), "the work folder is left behind")

        // A kept work folder: the same job reuses its segments, another job (other options) paints them again.
        let work = folder.appendingPathComponent("work").path
        func drive(_ options: [String]) throws -> CLIHarness.Result {
            try CLIHarness.run([clip.path, "-o", out.path, "--segments", "2", "--cpus", "1", "--stylize", CLIHarness.binary,
                                "--work", work, "--keep", "--force", "--max-size", "64"] + options, executable: driver)
        }
        XCTAssertEqual(try drive([]).status, 0)
        let again = try drive([])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(again.stderr.components(separatedBy: "kept from an earlier run").count - 1, 2, again.stderr)
        let other = try drive(["--strength", "0.5"])
        XCTAssertEqual(other.status, 0, other.stderr)
        XCTAssertTrue(other.stderr.contains("painted for another job"), other.stderr)
        XCTAssertFalse(other.stderr.contains("kept from an earlier run"), other.stderr)
    }
}

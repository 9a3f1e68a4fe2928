import Foundation
import XCTest

/// Stylizes tiny clips through the real binary and checks the file with ffprobe.
final class EndToEndTests: CLITestCase {
    func testClipKeepsFramesSizeRateAndAudio() throws {
        let clip = folder.appendingPathComponent("clip.mp4")
        // Audio first, as in opencv's box.mp4: stream order must not matter.
        try CLIHarness.makeClip(clip, size: "96x64", frames: 30, rate: 25,
                                extraOutputArguments: ["-map", "1:a", "-map", "0:v", "-c:a", "aac"])
        let out = folder.appendingPathComponent("styled.mp4")
        let result = try CLIHarness.run(["video", clip.path, "-o", out.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("Done: 30 frames"), result.stderr)

        let inVideo = try XCTUnwrap(CLIHarness.probe(clip, stream: "v:0"))
        let outVideo = try XCTUnwrap(CLIHarness.probe(out, stream: "v:0"))
        XCTAssertEqual(outVideo.frames, inVideo.frames)
        XCTAssertEqual(outVideo.width, 96)
        XCTAssertEqual(outVideo.height, 64)
        XCTAssertEqual(outVideo.frameRate, inVideo.frameRate)
        let inAudio = try XCTUnwrap(CLIHarness.probe(clip, stream: "a:0"))
        let outAudio = try XCTUnwrap(CLIHarness.probe(out, stream: "a:0"), "the audio stream was dropped")
        XCTAssertEqual(try XCTUnwrap(outAudio.duration), try XCTUnwrap(inAudio.duration), accuracy: 1.0 / 25)
        XCTAssertEqual(CLIHarness.contents(folder).filter { $0.hasPrefix(".") }, [], "temporary file left behind")
    }

    func testOddSizedInputIsWrittenEvenAndSaysSoUnlessExactSize() throws {
        let clip = folder.appendingPathComponent("odd.mkv")
        try CLIHarness.tool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25",
                                       "-frames:v", "5", "-vf", "scale=65:49", "-c:v", "ffv1", clip.path])
        let even = folder.appendingPathComponent("even.mp4"), exact = folder.appendingPathComponent("exact.mp4")
        let result = try CLIHarness.run(["video", clip.path, "-o", even.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("Note: written at 64×48 (the input is 65×49)"), result.stderr)
        let evenFacts = try XCTUnwrap(CLIHarness.probe(even, stream: "v:0"))
        XCTAssertEqual([evenFacts.width, evenFacts.height, evenFacts.frames], [64, 48, 5])

        let exactRun = try CLIHarness.run(["video", clip.path, "-o", exact.path, "--exact-size"])
        XCTAssertEqual(exactRun.status, 0, exactRun.stderr)
        XCTAssertFalse(exactRun.stderr.contains("Note: written at"), exactRun.stderr)
        let exactFacts = try XCTUnwrap(CLIHarness.probe(exact, stream: "v:0"))
        XCTAssertEqual([exactFacts.width, exactFacts.height, exactFacts.frames], [65, 49, 5])
    }

    func testStylizedPicturesDifferFromInputAndStrengthZeroKeepsThem() throws {
        let clip = folder.appendingPathComponent("clip.mkv")
        try CLIHarness.makeClip(clip, size: "64x48", frames: 5, audio: false)
        let styled = folder.appendingPathComponent("styled.mkv")
        let plain = folder.appendingPathComponent("plain.mkv")
        XCTAssertEqual(try CLIHarness.run(["video", clip.path, "-o", styled.path, "--quiet"]).status, 0)
        XCTAssertEqual(try CLIHarness.run(["video", clip.path, "-o", plain.path, "--quiet", "--strength", "0"]).status, 0)
        let source = try rawRGB(clip), stylized = try rawRGB(styled), unstylized = try rawRGB(plain)
        XCTAssertEqual(source.count, stylized.count)
        XCTAssertGreaterThan(meanAbsoluteDifference(source, stylized), 8, "the style did nothing")
        XCTAssertLessThan(meanAbsoluteDifference(source, unstylized), 3, "strength 0 should return the input")
    }

    func testWebmOutputGetsVP9AndOpus() throws {
        let clip = folder.appendingPathComponent("clip.mp4")
        try CLIHarness.makeClip(clip, size: "64x48", frames: 10, extraOutputArguments: ["-c:a", "aac"])
        let out = folder.appendingPathComponent("styled.webm")
        let result = try CLIHarness.run(["video", clip.path, "-o", out.path, "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let codecs = try CLIHarness.tool("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name",
                                                     "-of", "csv=p=0", out.path])
        XCTAssertEqual(codecs.split(separator: "\n").map(String.init).sorted(), ["opus", "vp9"])
        XCTAssertEqual(try CLIHarness.probe(out, stream: "v:0")?.frames, 10)
    }

    func testAudioLongAfterTheLastVideoFrameIsKept() throws {
        // 8 frames of video, two minutes of audio: the audio tail must neither stall
        // the pipeline (a full audio queue once deadlocked it) nor be cut.
        let video = folder.appendingPathComponent("video-only.mp4"), clip = folder.appendingPathComponent("tail.mp4")
        try CLIHarness.makeClip(video, size: "64x48", frames: 8, rate: 8, audio: false)
        try CLIHarness.tool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-i", video.path,
                                       "-f", "lavfi", "-i", "sine=frequency=220:duration=120",
                                       "-c:v", "copy", "-c:a", "aac", clip.path])
        XCTAssertEqual(try XCTUnwrap(CLIHarness.probe(clip, stream: "a:0")?.duration), 120, accuracy: 0.2)
        let out = folder.appendingPathComponent("tail-out.mp4")
        let result = try CLIHarness.run(["video", clip.path, "-o", out.path, "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try CLIHarness.probe(out, stream: "v:0")?.frames, 8)
        let audio = try XCTUnwrap(CLIHarness.probe(out, stream: "a:0")?.duration)
        XCTAssertEqual(audio, 120, accuracy: 0.2)
    }

    func testCorruptFramesInTheMiddleAreConcealedAndCounted() throws {
        let clip = folder.appendingPathComponent("good.avi")
        try CLIHarness.makeClip(clip, size: "64x48", frames: 20, audio: false, extraOutputArguments: ["-c:v", "mjpeg"])
        // AVI stores each picture as "00dc" + 32-bit size + JPEG; scramble two of them.
        var data = [UInt8](try Data(contentsOf: clip))
        let tag = Array("00dc".utf8)
        let chunks = (0..<(data.count - 8)).filter { data[$0..<($0 + 4)].elementsEqual(tag) }
        for n in [7, 11] {   // chunks[0] is in the header list
            let at = chunks[n + 1]
            let size = Int(data[at + 4]) | Int(data[at + 5]) << 8 | Int(data[at + 6]) << 16 | Int(data[at + 7]) << 24
            for j in (at + 8)..<(at + 8 + size) { data[j] = 0x5A }
        }
        let bad = folder.appendingPathComponent("bad.avi")
        try Data(data).write(to: bad)
        let out = folder.appendingPathComponent("bad-out.mp4")
        let result = try CLIHarness.run(["video", bad.path, "-o", out.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("2 corrupt frames were concealed"), result.stderr)
        XCTAssertEqual(try CLIHarness.probe(out, stream: "v:0")?.frames, 20, "a frame went missing")
    }

    func testPresetsListsTheDefault() throws {
        let result = try CLIHarness.run(["presets"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("(default)"), result.stdout)
    }

}

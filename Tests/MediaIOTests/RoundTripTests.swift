// Clips of many kinds go through MediaReader → MediaWriter; ffprobe then compares output with input.
import Foundation
import XCTest
@testable import MediaIO

final class RoundTripTests: FFmpegClipTestCase {
    // MARK: Helpers

    private let testsrc = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=25:d=1"]
    private let sine = ["-f", "lavfi", "-i", "sine=f=440:sample_rate=48000:d=1"]

    /// Makes `name` with ffmpeg, round-trips it to `outputName`, and checks what every output must keep:
    /// frame count, frame times, size, audio duration. Returns both probes for more checks.
    @discardableResult
    private func check(_ name: String, make arguments: [String], to outputName: String,
                       throughConverter: Bool = false, expectAudio: Bool? = nil, preset: String = "ultrafast",
                       keepOddSize: Bool = false, expectSize: (width: Int, height: Int)? = nil,
                       file: StaticString = #filePath, line: UInt = #line) throws -> (input: Probe, output: Probe, result: RoundTripResult) {
        let input = folder.file(name)
        try Tools.ffmpeg(arguments, output: input)
        let output = folder.file(outputName)
        let result = try roundTrip(input, to: output, throughConverter: throughConverter, preset: preset, keepOddSize: keepOddSize)
        let inProbe = try Probe(input), outProbe = try Probe(output)

        // Frames: the count of the input's decodable frames, each at the same time.
        // The reader counts from the start time like ffmpeg, but leaves negative starts (priming) alone.
        let inTimes = try Probe.videoFrameTimes(input).map { $0.map { $0 - max(0, inProbe.startTime) } }
        var outTimes = try Probe.videoFrameTimes(output)
        // MPEG-PS adds a fixed preload before the first frame: compare times from the first frame on.
        let programStream = outputName.hasSuffix(".mpg")
        if programStream, let first = outTimes.first ?? nil, let inFirst = inTimes.first ?? nil {
            outTimes = outTimes.map { $0.map { $0 - first + inFirst } }
        }
        XCTAssertEqual(result.videoFrames, inTimes.count, "frames the reader returned", file: file, line: line)
        XCTAssertEqual(outTimes.count, inTimes.count, "frames in \(outputName)", file: file, line: line)
        for (i, (a, b)) in zip(inTimes, outTimes).enumerated() {
            guard let a else { continue }  // the input's own time is unknown (MPEG-PS's last frame)
            if programStream && b == nil { continue }
            if b == nil || abs(a - b!) > 0.0015 {
                XCTFail("frame \(i) of \(outputName) at \(b.map { "\($0)" } ?? "?") s, input at \(a) s", file: file, line: line)
                break
            }
        }
        XCTAssertEqual(zip(result.pts, result.pts.dropFirst()).allSatisfy { $0 < $1 }, true, "pts strictly increasing",
                       file: file, line: line)

        // Picture size, exactly (unless told otherwise).
        XCTAssertEqual(outProbe.width, expectSize?.width ?? inProbe.width, "width", file: file, line: line)
        XCTAssertEqual(outProbe.height, expectSize?.height ?? inProbe.height, "height", file: file, line: line)

        // Duration (video) within a frame. (MPEG-PS durations are estimates from the bit rate.)
        if !programStream, let a = inProbe.duration, let b = outProbe.duration {
            let frame = 1.0 / (result.info.video.frameRate?.doubleValue ?? 25)
            XCTAssertEqual(b, a, accuracy: frame + 0.002, "duration of \(outputName)", file: file, line: line)
        }

        // Audio: present when the input has it, and as long as the input's within one video frame.
        let wantAudio = expectAudio ?? (inProbe.audio != nil)
        XCTAssertEqual(outProbe.audio != nil, wantAudio, "audio stream in \(outputName)", file: file, line: line)
        if wantAudio, inProbe.audio != nil, outProbe.audio != nil {
            let a = try inProbe.audioDuration ?? Probe.audioDecodedDuration(input)
            let b = try programStream ? Probe.audioDecodedDuration(output) : (outProbe.audioDuration ?? Probe.audioDecodedDuration(output))
            let frame = 1.0 / (result.info.video.frameRate?.doubleValue ?? 25)
            XCTAssertEqual(b, a, accuracy: frame, "audio duration of \(outputName)", file: file, line: line)
        }
        return (inProbe, outProbe, result)
    }

    // MARK: Containers and codecs

    func testMP4H264WithAACAsFirstStream() throws {
        let (inProbe, out, result) = try check("a0.mp4", make: sine + testsrc + [
            "-map", "0:a", "-map", "1:v", "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac"], to: "out.mp4")
        XCTAssertEqual(inProbe.audioIndex, 0, "the input has audio first")
        XCTAssertEqual(result.info.audio?.codecName, "aac")
        XCTAssertEqual(out.videoCodec, "h264")
        XCTAssertEqual(out.pixelFormat, "yuv420p")
        XCTAssertEqual(out.audioCodec, "aac", "AAC is copied into MP4")
        XCTAssertEqual(result.videoFrames, 25)
    }

    func testMKVWithVorbis() throws {
        try Tools.require(encoder: "libvorbis")
        let (_, out, _) = try check("in.mkv", make: testsrc + sine + ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "libvorbis"],
                                    to: "out.mkv")
        XCTAssertEqual(out.videoCodec, "h264")
        XCTAssertEqual(out.audioCodec, "vorbis", "Vorbis is copied into MKV")
    }

    func testWebMVP9Opus() throws {
        try Tools.require(encoder: "libvpx-vp9")
        try Tools.require(encoder: "libopus")
        let (_, out, _) = try check("in.webm", make: testsrc + sine + [
            "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus"], to: "out.webm")
        XCTAssertEqual(out.videoCodec, "vp9")
        XCTAssertEqual(out.audioCodec, "opus")
    }

    func testAACIsTranscodedToOpusForWebM() throws {
        try Tools.require(encoder: "libvpx-vp9")
        let (_, out, _) = try check("in.mp4", make: testsrc + sine + ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"],
                                    to: "out.webm")
        XCTAssertEqual(out.videoCodec, "vp9")
        XCTAssertEqual(out.audioCodec, "opus", "WebM cannot hold AAC")
    }

    func testAVIMJPEGWithPCMToMP4() throws {
        let (_, out, result) = try check("in.avi", make: testsrc + sine + [
            "-c:v", "mjpeg", "-pix_fmt", "yuvj422p", "-c:a", "pcm_s16le"], to: "out.mp4")
        XCTAssertEqual(result.info.video.codecName, "mjpeg")
        XCTAssertEqual(out.audioCodec, "aac", "MP4 takes no PCM: transcoded")
        XCTAssertEqual(out.pixelFormat, "yuvj420p", "FFmpeg's H.264 decoder calls full-range 4:2:0 yuvj420p")
        XCTAssertEqual(out.colorRange, "pc", "full range stays full range")
    }

    func testAVIPCMIsCopiedIntoMKV() throws {
        let (_, out, _) = try check("in.avi", make: testsrc + sine + ["-c:v", "mjpeg", "-c:a", "pcm_s16le"], to: "out.mkv")
        XCTAssertEqual(out.audioCodec, "pcm_s16le")
    }

    func testGIFToMP4() throws {
        let (_, out, result) = try check("in.gif", make: ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:d=1"], to: "out.mp4")
        XCTAssertTrue(["pal8", "bgr8", "rgb8", "bgra"].contains(result.info.video.pixelFormatName), result.info.video.pixelFormatName)
        XCTAssertEqual(out.pixelFormat, "yuv420p")
        XCTAssertEqual(result.videoFrames, 10)
    }

    func testMPEG2ProgramStreamWithMP2() throws {
        let (_, out, result) = try check("in.mpg", make: testsrc + sine + ["-c:v", "mpeg2video", "-c:a", "mp2", "-f", "mpeg"],
                                         to: "out.mp4")
        XCTAssertEqual(result.info.video.codecName, "mpeg2video")
        XCTAssertEqual(out.videoCodec, "h264")
        XCTAssertNotNil(out.audioCodec)
    }

    /// Two MPEG-TS recordings one after the other (`cat a.ts b.ts`), the second's clock starting
    /// again where the first's did, as camera and broadcast recordings are joined: every frame comes
    /// out, a frame apart, and the video and the audio last as long as both recordings together.
    func testConcatenatedTransportStreamsKeepEveryFrameAndTheWholeDuration() throws {
        var joined = Data()
        for (index, source) in ["testsrc", "testsrc2"].enumerated() {
            let part = folder.file("part\(index).ts")
            try Tools.ffmpeg(["-f", "lavfi", "-i", "\(source)=size=64x48:rate=25:d=2", "-f", "lavfi", "-i", "sine=f=440:d=2",
                              "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "mp2"], output: part)
            joined += try Data(contentsOf: URL(fileURLWithPath: part))
        }
        let input = folder.file("joined.ts"), output = folder.file("out.mp4")
        try joined.write(to: URL(fileURLWithPath: input))
        let result = try roundTrip(input, to: output)
        XCTAssertEqual(result.videoFrames, 100)
        // 25 fps in 1/90000 s; at the join the audio, read first, sets where the second part starts,
        // which keeps that part's own lip sync and may leave the video a fraction of a frame more.
        let gaps = Set(zip(result.pts, result.pts.dropFirst()).map { $1 - $0 })
        XCTAssertTrue(gaps.allSatisfy { (3600...5400).contains($0) }, "frames spaced a frame apart across the join: \(gaps.sorted())")
        let probe = try Probe(output)
        XCTAssertEqual(try Probe.videoFrameTimes(output).count, 100)
        XCTAssertEqual(try XCTUnwrap(probe.videoDuration), 4.0, accuracy: 0.05)
        XCTAssertEqual(try XCTUnwrap(probe.audioDuration ?? Probe.audioDecodedDuration(output)), 4.0, accuracy: 0.1)
    }

    /// The sample clip looped into Matroska (`ffmpeg -stream_loop 1 -c copy`): at the seam two audio
    /// packets share a millisecond. NUT (and MP4) refuse a dts that does not increase; the copy moves
    /// the second one a tick on, as ffmpeg does, and every frame and packet gets through.
    func testAudioCopyWithARepeatedTimestampIntoNUT() throws {
        let clip = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("SampleClips/city-night.mp4").path
        let looped = folder.file("looped.mkv"), output = folder.file("out.nut")
        try Tools.ffmpeg(["-stream_loop", "1", "-i", clip, "-c", "copy", "-f", "matroska"], output: looped)
        let dts = try Tools.run(Tools.ffprobe!, ["-v", "error", "-select_streams", "a", "-show_entries", "packet=dts", "-of", "csv=p=0", looped])
            .split(whereSeparator: \.isNewline).compactMap { Int($0) }
        XCTAssertTrue(zip(dts, dts.dropFirst()).contains { $1 <= $0 }, "the looped clip should repeat an audio timestamp")
        let result = try roundTrip(looped, to: output)
        XCTAssertEqual(result.videoFrames, 200)
        XCTAssertEqual(try Probe.videoFrameTimes(output).count, 200)
        let written = try Tools.run(Tools.ffprobe!, ["-v", "error", "-select_streams", "a", "-count_packets", "-show_entries",
                                                     "stream=nb_read_packets", "-of", "csv=p=0", output])
        XCTAssertEqual(Int(written.trimmingCharacters(in: .whitespacesAndNewlines)), result.audioPackets)
    }

    func testMOVAndOtherContainers() throws {
        let (_, out, _) = try check("in.mp4", make: testsrc + ["-c:v", "libx264", "-preset", "ultrafast"], to: "out.mov")
        XCTAssertEqual(out.videoCodec, "h264")
        XCTAssertTrue(out.format["format_name"].map { "\($0)" }?.contains("mov") ?? false)
        // AVI takes H.264 too.
        let (_, avi, _) = try check("in2.mp4", make: testsrc + ["-c:v", "libx264", "-preset", "ultrafast"], to: "out.avi")
        XCTAssertEqual(avi.videoCodec, "h264")
    }

    func testOtherOutputContainersUseTheirOwnCodecs() throws {
        // MPEG-PS cannot take H.264 here: its default MPEG-1 video, with MP2 audio.
        let (_, mpg, _) = try check("in.mp4", make: testsrc + sine + ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"],
                                    to: "out.mpg")
        XCTAssertEqual(mpg.videoCodec, "mpeg1video")
        XCTAssertEqual(mpg.audioCodec, "mp2")
        // Ogg: Theora and Vorbis (AAC transcoded). (Noise, so that no frame repeats the one before: Theora
        // codes a repeated frame as an empty packet, which Ogg drops.)
        let (_, ogv, _) = try check("in2.mp4", make: testsrc + sine + ["-vf", "noise=alls=30:allf=t", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"],
                                    to: "out.ogv")
        XCTAssertEqual(ogv.videoCodec, "theora")
        XCTAssertEqual(ogv.audioCodec, "vorbis")
        // GIF: palette pictures, no audio.
        let (_, gif, _) = try check("in3.mp4", make: ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:d=1"] + sine +
                                    ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"], to: "out.gif", expectAudio: false)
        XCTAssertEqual(gif.videoCodec, "gif")
    }

    // MARK: Sizes, depths, timing, orientation, colour

    func testOddSizeBecomesEven420InMP4ExactOnRequestAndInWebM() throws {
        let odd = ["-f", "lavfi", "-i", "testsrc=size=33x25:rate=25:d=1"]
        // By default: 4:2:0 High profile at 32×24, the last column and row dropped (not rescaled),
        // the index at the front (+faststart) so a browser can start playing before the download ends.
        // (The default x264 preset: ultrafast would be Constrained Baseline.)
        let (_, mp4, _) = try check("odd.mkv", make: odd + ["-c:v", "ffv1"], to: "out.mp4", preset: EncoderSettings().preset,
                                    expectSize: (32, 24))
        XCTAssertEqual(mp4.pixelFormat, "yuv420p")
        XCTAssertEqual(mp4.profile, "High")
        let boxes = try Tools.topLevelBoxes(folder.file("out.mp4"))
        XCTAssertLessThan(try XCTUnwrap(boxes.firstIndex(of: "moov")), try XCTUnwrap(boxes.firstIndex(of: "mdat")), "\(boxes)")
        let source = try Tools.firstLuma(folder.file("odd.mkv")), written = try Tools.firstLuma(folder.file("out.mp4"))
        XCTAssertEqual(written.count, 32 * 24)
        var difference = 0
        for y in 0..<24 { for x in 0..<32 { difference += abs(Int(written[y * 32 + x]) - Int(source[y * 33 + x])) } }
        XCTAssertLessThan(Double(difference) / Double(written.count), 3, "the same pixels, cropped, not a rescaled picture")

        // On request: the exact size as 4:4:4.
        let (_, exact, _) = try check("odd444.mkv", make: odd + ["-c:v", "ffv1"], to: "exact.mp4", keepOddSize: true)
        XCTAssertEqual(exact.pixelFormat, "yuv444p", "x264 needs even sizes for 4:2:0")

        // VP9 takes odd sizes in 4:2:0: exact.
        try Tools.require(encoder: "libvpx-vp9")
        let (_, webm, _) = try check("odd2.mkv", make: odd + ["-c:v", "ffv1"], to: "out.webm")
        XCTAssertEqual(webm.pixelFormat, "yuv420p")
    }

    func testTenBitInput() throws {
        let (_, out, result) = try check("ten.mkv", make: testsrc + ["-c:v", "ffv1", "-pix_fmt", "yuv420p10le"], to: "out.mp4",
                                         throughConverter: true)
        XCTAssertEqual(result.info.video.pixelFormatName, "yuv420p10le")
        XCTAssertEqual(out.pixelFormat, "yuv420p")
    }

    func testVariableFrameRateKeepsEveryTimestamp() throws {
        // Gaps growing frame by frame: 0, 40, 80, 120, 200, 280, 360, 480 ms …
        let (_, _, result) = try check("vfr.mkv", make: testsrc + [
            "-vf", "setpts='(N+N*N/10)/25/TB'", "-fps_mode", "passthrough", "-c:v", "libx264", "-preset", "ultrafast"],
            to: "out.mp4", preset: "medium")  // B-frames in the output too
        XCTAssertEqual(result.videoFrames, 25)
        let gaps = zip(result.pts, result.pts.dropFirst()).map { $1 - $0 }
        XCTAssertGreaterThan(Set(gaps).count, 3, "the gaps differ (VFR)")
    }

    func testRepeatedTimestampsBecomeStrictlyIncreasing() throws {
        let plain = folder.file("plain.mkv")
        try Tools.ffmpeg(["-f", "lavfi", "-i", "testsrc=size=64x48:rate=25:d=0.4", "-c:v", "mjpeg"], output: plain)
        // Every timestamp twice: 0, 0, 40, 40, … ms (Matroska allows equal timestamps).
        let (_, _, result) = try check("dup.mkv", make: ["-i", plain, "-c", "copy", "-bsf:v", "setts=ts=trunc(N/2)*40"],
                                       to: "out.mp4")
        XCTAssertEqual(result.videoFrames, 10)
        XCTAssertEqual(result.pts, [0, 1, 40, 41, 80, 81, 120, 121, 160, 161], "a repeated pts moves one tick on")
    }

    func testRotationIsKept() throws {
        let plain = folder.file("plain.mp4")
        try Tools.ffmpeg(testsrc + ["-c:v", "libx264", "-preset", "ultrafast"], output: plain)
        let (inProbe, out, result) = try check("rotated.mp4", make: ["-i", plain, "-c", "copy", "-metadata:s:v:0", "rotate=90"],
                                               to: "out.mp4")
        XCTAssertEqual(inProbe.rotation, 90, "test clip is rotated")
        XCTAssertEqual(result.info.video.rotation, 90, accuracy: 0.01)
        XCTAssertNotNil(result.info.video.displayMatrix)
        XCTAssertEqual(out.rotation, 90, "display matrix copied")
        XCTAssertEqual(out.width, 64, "pictures are not turned, only tagged")
    }

    func testColourMetadataIsKept() throws {
        let (_, out, result) = try check("bt709.mp4", make: testsrc + [
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "pc",
            "-vf", "setsar=4/3"], to: "out.mkv")
        XCTAssertEqual(result.info.video.sampleAspectRatio, Rational(num: 4, den: 3))
        XCTAssertEqual(out.video?["sample_aspect_ratio"] as? String, "4:3", "pixel aspect kept")
        XCTAssertEqual(result.info.video.color.matrix, 1)
        XCTAssertTrue(result.info.video.color.isFullRange)
        XCTAssertEqual(out.colorSpace, "bt709")
        XCTAssertEqual(out.colorPrimaries, "bt709")
        XCTAssertEqual(out.colorTransfer, "bt709")
        XCTAssertEqual(out.colorRange, "pc")
    }

    func testThroughFrameConverter() throws {
        let (_, out, _) = try check("in.mp4", make: sine + testsrc + ["-map", "0:a", "-map", "1:v",
                                    "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"], to: "out.mp4", throughConverter: true)
        XCTAssertEqual(out.pixelFormat, "yuv420p")
        let odd = ["-f", "lavfi", "-i", "testsrc=size=33x25:rate=25:d=1"]
        try check("odd.mkv", make: odd + ["-c:v", "ffv1"], to: "odd.mp4", throughConverter: true, expectSize: (32, 24))
    }

    func testWithoutAudioFrom() throws {
        let input = folder.file("in.mp4")
        try Tools.ffmpeg(testsrc + sine + ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"], output: input)
        let output = folder.file("out.mp4")
        try roundTrip(input, to: output, keepAudio: false)
        XCTAssertNil(try Probe(output).audio)
    }

    // MARK: Reader information

    func testReaderInfo() throws {
        let input = folder.file("info.mp4")
        try Tools.ffmpeg(sine + ["-f", "lavfi", "-i", "testsrc=size=96x64:rate=30000/1001:d=2",
                                 "-map", "0:a", "-map", "1:v", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                                 "-c:a", "aac", "-ac", "2"],
                         output: input)
        let reader = try MediaReader(path: input)
        let info = reader.info
        XCTAssertTrue(info.container.contains("mp4"), info.container)
        XCTAssertEqual(info.video.width, 96)
        XCTAssertEqual(info.video.height, 64)
        XCTAssertEqual(info.video.codecName, "h264")
        XCTAssertEqual(info.video.pixelFormatName, "yuv420p")
        XCTAssertEqual(info.video.frameRate, Rational(num: 30000, den: 1001))
        XCTAssertEqual(info.video.frameCount, 60)
        XCTAssertEqual(info.video.duration ?? 0, 2.0, accuracy: 0.05)
        XCTAssertEqual(info.video.rotation, 0)
        XCTAssertEqual(info.audio?.codecName, "aac")
        XCTAssertEqual(info.audio?.sampleRate, 48000)
        XCTAssertEqual(info.audio?.channels, 2)
        XCTAssertEqual(info.duration ?? 0, 2.0, accuracy: 0.1)
        var frames = 0
        var last: Int64 = -1
        while let item = try reader.next() {
            if case .video(let frame) = item {
                XCTAssertGreaterThan(frame.pts, last)
                XCTAssertFalse(frame.isConcealed)
                XCTAssertEqual(frame.width, 96)
                last = frame.pts
                frames += 1
            }
        }
        XCTAssertEqual(frames, 60)
        XCTAssertNil(try reader.next(), "stays at the end")
        XCTAssertEqual(reader.concealedFrameCount, 0)
    }
}

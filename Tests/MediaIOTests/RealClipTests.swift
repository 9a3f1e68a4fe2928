// Manual check on real files: MEDIAIO_REAL_CLIPS="a.avi:b.mp4" MEDIAIO_REAL_OUT=mp4 swift test --filter RealClipTests
// Each clip is read and written (identity, or through FrameConverter with MEDIAIO_REAL_COMPOSE=1), then
// input and output are compared with ffprobe and the comparison printed. Skipped when the variable is unset.
import Foundation
import XCTest
@testable import MediaIO

final class RealClipTests: XCTestCase {
    func testRealClipsRoundTrip() throws {
        let env = ProcessInfo.processInfo.environment
        guard let list = env["MEDIAIO_REAL_CLIPS"], !list.isEmpty else {
            throw XCTSkip("set MEDIAIO_REAL_CLIPS to a colon-separated list of files to check them")
        }
        try Tools.require()
        let folder = try TemporaryFolder()
        defer { if env["MEDIAIO_REAL_KEEP"] == nil { folder.remove() } else { print("outputs kept in \(folder.path)") } }
        let ext = env["MEDIAIO_REAL_OUT"] ?? "mp4"
        for input in list.split(separator: ":").map(String.init) {
            let output = folder.file(((input as NSString).lastPathComponent as NSString).deletingPathExtension + "." + ext)
            let started = Date()
            // MEDIAIO_REAL_COMPOSE=1: RGB at full size, composed back (a colour round trip).
            let compose = env["MEDIAIO_REAL_COMPOSE"] != nil
            let result = try roundTrip(input, to: output, throughConverter: compose, preset: "veryfast", styleDivisor: 1)
            let seconds = Date().timeIntervalSince(started)
            let inProbe = try Probe(input), outProbe = try Probe(output)
            let inPackets = try Probe.videoPacketCount(input), outPackets = try Probe.videoPacketCount(output)
            let inTimes = try Probe.videoFrameTimes(input).map { $0.map { $0 - max(0, inProbe.startTime) } }
            let outTimes = try Probe.videoFrameTimes(output)
            var worst = 0.0
            for case let (a?, b?) in zip(inTimes, outTimes) { worst = max(worst, abs(a - b)) }
            print("""
                == \(input) → \(output) (\(String(format: "%.1f", seconds)) s)
                   reader: \(result.videoFrames) frames (\(result.concealed) concealed), \(result.audioPackets) audio packets
                   video packets in/out: \(inPackets)/\(outPackets); decoded frames in/out: \(inTimes.count)/\(outTimes.count); worst pts diff \(String(format: "%.4f", worst)) s
                   size in/out: \(inProbe.width ?? 0)x\(inProbe.height ?? 0) / \(outProbe.width ?? 0)x\(outProbe.height ?? 0) \(outProbe.pixelFormat ?? "?")
                   duration in/out: \(inProbe.duration ?? -1) / \(outProbe.duration ?? -1); video \(inProbe.videoDuration ?? -1) / \(outProbe.videoDuration ?? -1)
                   audio in/out: \(inProbe.audioCodec ?? "-") \(inProbe.audioDuration ?? -1) / \(outProbe.audioCodec ?? "-") \(outProbe.audioDuration ?? -1)
                   rotation in/out: \(inProbe.rotation) / \(outProbe.rotation); colour in/out: \(inProbe.colorRange ?? "?")/\(inProbe.colorSpace ?? "?") / \(outProbe.colorRange ?? "?")/\(outProbe.colorSpace ?? "?")
                """)
        }
    }
}

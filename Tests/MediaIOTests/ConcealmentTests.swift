// Damaged packets in the middle of a file: the reader still gives one frame per packet, standing a copy of
// the previous picture in for each packet that does not decode, and counts those.
import Foundation
import XCTest
@testable import MediaIO

final class ConcealmentTests: FFmpegClipTestCase {
    private let testsrc = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=25:d=0.8"]  // 20 frames

    /// Overwrites the bytes from the `n`-th occurrence of `marker` up to the next one (or `length` bytes).
    private func wipe(_ data: inout Data, after marker: [UInt8], occurrences: [Int], skip: Int = 0, length: Int? = nil) {
        var positions: [Int] = []
        var i = data.startIndex
        while i + marker.count <= data.endIndex {
            if data[i..<(i + marker.count)].elementsEqual(marker) { positions.append(i) }
            i += 1
        }
        for n in occurrences {
            let start = positions[n] + skip
            let end = length.map { start + $0 } ?? positions[n + 1]
            for j in start..<end { data[j] = 0x5A }
        }
    }

    private func readAll(_ path: String) throws -> (frames: [VideoFrame], reader: MediaReader) {
        let reader = try MediaReader(path: path)
        var frames: [VideoFrame] = []
        while let frame = try reader.nextVideoFrame() { frames.append(frame) }
        return (frames, reader)
    }

    func testBrokenPacketsInAVIAreConcealed() throws {
        let good = folder.file("good.avi")
        try Tools.ffmpeg(testsrc + ["-c:v", "mjpeg"], output: good)
        var data = try Data(contentsOf: URL(fileURLWithPath: good))
        // AVI chunks: "00dc" + 32-bit size + JPEG. The first "00dc" is in the header list; wipe the 9th and 13th pictures.
        var chunks: [Int] = []
        var i = 0
        let tag = Array("00dc".utf8)
        while i + 8 <= data.count {
            if data[i..<(i + 4)].elementsEqual(tag) { chunks.append(i) }
            i += 1
        }
        for n in [8, 12] {
            let at = chunks[n + 1]
            let size = Int(data[at + 4]) | Int(data[at + 5]) << 8 | Int(data[at + 6]) << 16 | Int(data[at + 7]) << 24
            for j in (at + 8)..<(at + 8 + size) { data[j] = 0x5A }
        }
        let bad = folder.file("bad.avi")
        try data.write(to: URL(fileURLWithPath: bad))
        let packets = try Probe.videoPacketCount(bad)
        XCTAssertEqual(packets, 20)
        XCTAssertEqual(try Probe.videoFrameTimes(bad).count, 18, "FFmpeg itself decodes two frames fewer")

        let (frames, reader) = try readAll(bad)
        XCTAssertEqual(frames.count, packets, "one frame per packet")
        XCTAssertEqual(reader.concealedFrameCount, 2)
        XCTAssertEqual(frames.map(\.pts), (0..<20).map(Int64.init), "every slot keeps its time")
        XCTAssertEqual(frames.filter(\.isConcealed).map(\.pts), [8, 12])
        XCTAssertTrue(frames[8].frame === frames[7].frame, "a stand-in shows the previous picture")

        // And the writer keeps all of them.
        let output = folder.file("out.mp4")
        let result = try roundTrip(bad, to: output)
        XCTAssertEqual(result.concealed, 2)
        XCTAssertEqual(try Probe.videoFrameTimes(output).count, 20)
    }

    func testBrokenPacketsInMOVAreConcealed() throws {
        // MOV has a pts for every packet (the other way the reader tracks packets).
        let good = folder.file("good.mov")
        try Tools.ffmpeg(testsrc + ["-c:v", "mjpeg"], output: good)
        var data = try Data(contentsOf: URL(fileURLWithPath: good))
        wipe(&data, after: [0xFF, 0xD8, 0xFF], occurrences: [5, 6, 15])
        let bad = folder.file("bad.mov")
        try data.write(to: URL(fileURLWithPath: bad))

        let (frames, reader) = try readAll(bad)
        XCTAssertEqual(frames.count, 20)
        XCTAssertEqual(reader.concealedFrameCount, 3)
        XCTAssertEqual(frames.filter(\.isConcealed).map(\.pts), [frames[5].pts, frames[6].pts, frames[15].pts])
        XCTAssertTrue(zip(frames, frames.dropFirst()).allSatisfy { $0.pts < $1.pts })
        XCTAssertTrue(frames[6].frame === frames[4].frame, "two stand-ins in a row repeat the last good picture")
    }

    func testBrokenH264PacketInMKVIsConcealed() throws {
        let good = folder.file("good.mkv")
        try Tools.ffmpeg(testsrc + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"], output: good)
        // Turn the 10th picture's slice into an SEI: the packet stays, its picture is gone.
        let positions = try Tools.run(Tools.ffprobe!, ["-v", "error", "-select_streams", "v", "-show_entries", "packet=pos",
                                                        "-of", "csv=p=0", good])
            .split(whereSeparator: \.isNewline).compactMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: ", "))) }
        XCTAssertEqual(positions.count, 20)
        var data = try Data(contentsOf: URL(fileURLWithPath: good))
        // Matroska SimpleBlock: track (1 byte), timecode (2), flags (1); then a 4-byte NAL length and the NAL header.
        let header = positions[9] + 8
        XCTAssertEqual(data[header] & 0x1F, 1, "a non-IDR slice")
        data[header] = 0x06
        let bad = folder.file("bad.mkv")
        try data.write(to: URL(fileURLWithPath: bad))
        XCTAssertEqual(try Probe.videoFrameTimes(bad).count, 19, "FFmpeg itself loses the picture")

        let (frames, reader) = try readAll(bad)
        XCTAssertEqual(frames.count, 20)
        XCTAssertEqual(reader.concealedFrameCount, 1)
        XCTAssertEqual(frames.filter(\.isConcealed).map(\.pts), [frames[9].pts])
        XCTAssertEqual(frames.map(\.pts), (0..<20).map { Int64($0 * 40) }, "Matroska milliseconds, every frame in place")
    }

    func testDamagedMPEGTSStillDecodes() throws {
        let good = folder.file("good.ts")
        try Tools.ffmpeg(["-f", "lavfi", "-i", "testsrc=size=96x64:rate=25:d=2", "-c:v", "libx264", "-preset", "veryfast",
                          "-g", "10", "-f", "mpegts"], output: good)
        var data = try Data(contentsOf: URL(fileURLWithPath: good))
        // Damage the payload of video TS packets (PID 0x100) in the middle, keeping the 4-byte TS headers.
        var damaged = 0
        var packet = data.count / 188 / 3
        while damaged < 6 && (packet + 1) * 188 <= data.count {
            let o = packet * 188
            let pid = (Int(data[o + 1]) & 0x1F) << 8 | Int(data[o + 2])
            if pid == 0x100 && data[o + 3] & 0x20 == 0 {  // no adaptation field
                for j in (o + 4)..<(o + 188) { data[j] = UInt8(truncatingIfNeeded: j &* 13 &+ 5) }
                damaged += 1
            }
            packet += 2
        }
        XCTAssertEqual(damaged, 6)
        let bad = folder.file("bad.ts")
        try data.write(to: URL(fileURLWithPath: bad))

        let (frames, reader) = try readAll(bad)
        XCTAssertEqual(frames.count, try Probe.videoPacketCount(bad), "one frame per packet")
        XCTAssertGreaterThan(frames.count, 40)
        XCTAssertTrue(zip(frames, frames.dropFirst()).allSatisfy { $0.pts < $1.pts })
        XCTAssertGreaterThan(reader.damagedFrameCount + reader.concealedFrameCount, 0, "the damage was noticed")
    }

    func testNothingDecodable() throws {
        let good = folder.file("good.avi")
        try Tools.ffmpeg(testsrc + ["-c:v", "mjpeg"], output: good)
        var data = try Data(contentsOf: URL(fileURLWithPath: good))
        wipe(&data, after: [0xFF, 0xD8, 0xFF], occurrences: Array(0..<20), skip: 0, length: 400)
        let bad = folder.file("bad.avi")
        try data.write(to: URL(fileURLWithPath: bad))
        do {
            _ = try readAll(bad)
            XCTFail("read a file without one decodable frame")
        } catch let error as MediaError {
            XCTAssertEqual(error.kind, .inputUnreadable, error.message)
            XCTAssertTrue(error.message.contains("no video frame could be decoded"), error.message)
        }
    }
}

// Helpers for MediaIO tests: making clips with the ffmpeg CLI and checking outputs with ffprobe.
import Foundation
import XCTest
@testable import MediaIO

enum Tools {
    static let ffmpeg = find("ffmpeg")
    static let ffprobe = find("ffprobe")

    static func find(_ name: String) -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for dir in paths + ["/usr/bin", "/usr/local/bin"] {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Skips the calling test when the ffmpeg/ffprobe command-line tools are missing.
    static func require() throws {
        guard ffmpeg != nil, ffprobe != nil else {
            throw XCTSkip("the ffmpeg and ffprobe command-line tools are not installed (apt-get install ffmpeg); " +
                          "MediaIO tests need them to make their input clips and check the outputs")
        }
    }

    /// Skips when this FFmpeg build lacks an encoder the test clip needs.
    static func require(encoder: String) throws {
        try require()
        let out = try run(ffmpeg!, ["-hide_banner", "-v", "error", "-h", "encoder=\(encoder)"])
        if out.contains("is not recognized") || !out.contains("Encoder \(encoder)") {
            throw XCTSkip("this ffmpeg has no \(encoder) encoder")
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs a tool; returns stdout (throws with stderr when it fails).
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        // stderr goes to a file, so a chatty tool cannot block on a full pipe while we read stdout.
        let errPath = NSTemporaryDirectory() + "mediaio-stderr-" + UUID().uuidString
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        let out = Pipe()
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? err.close()
        let errData = FileManager.default.contents(atPath: errPath) ?? Data()
        let stdout = String(decoding: outData, as: UTF8.self)
        if process.terminationStatus != 0 {
            throw Failure(description: "\((executable as NSString).lastPathComponent) \(arguments.joined(separator: " ")) failed: " +
                          String(decoding: errData, as: UTF8.self))
        }
        return stdout
    }

    /// The first frame's luma, `width`×`height` bytes (ffmpeg decodes it).
    static func firstLuma(_ path: String) throws -> [UInt8] {
        let temporary = NSTemporaryDirectory() + "mediaio-luma-" + UUID().uuidString + ".gray"
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        try ffmpeg(["-i", path, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray"], output: temporary)
        return [UInt8](FileManager.default.contents(atPath: temporary) ?? Data())
    }

    /// The four-letter names of an MP4/MOV file's top-level boxes, in file order.
    static func topLevelBoxes(_ path: String) throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var names: [String] = [], offset = 0
        while offset + 8 <= data.count {
            var size = data[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            names.append(String(decoding: data[offset + 4..<offset + 8], as: UTF8.self))
            if size == 1, offset + 16 <= data.count { size = data[offset + 8..<offset + 16].reduce(0) { $0 << 8 | Int($1) } }
            if size == 0 { break }  // to the end of the file
            guard size >= 8 else { throw Failure(description: "\(path): box of \(size) bytes at \(offset)") }
            offset += size
        }
        return names
    }

    /// `ffmpeg -y -v error <arguments> <output>`.
    static func ffmpeg(_ arguments: [String], output: String) throws {
        try run(ffmpeg!, ["-hide_banner", "-nostdin", "-y", "-v", "error"] + arguments + [output])
    }
}

/// A temporary folder, removed when the test case is torn down.
final class TemporaryFolder {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "mediaio-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// A test case with a fresh `TemporaryFolder` for each test, removed afterwards.
class TemporaryFolderTestCase: XCTestCase {
    var folder: TemporaryFolder!

    override func setUpWithError() throws {
        try super.setUpWithError()
        folder = try TemporaryFolder()
    }

    override func tearDown() {
        folder?.remove()
        super.tearDown()
    }
}

/// A `TemporaryFolderTestCase` whose tests make clips with the ffmpeg tools:
/// skipped, every one, where they are not installed.
class FFmpegClipTestCase: TemporaryFolderTestCase {
    override func setUpWithError() throws {
        try Tools.require()
        try super.setUpWithError()
    }
}

/// What ffprobe says about a file.
struct Probe {
    let format: [String: Any]
    let streams: [[String: Any]]

    init(_ path: String) throws {
        let json = try Tools.run(Tools.ffprobe!, ["-v", "error", "-show_format", "-show_streams", "-of", "json", path])
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] ?? [:]
        format = object["format"] as? [String: Any] ?? [:]
        streams = object["streams"] as? [[String: Any]] ?? []
    }

    var video: [String: Any]? { streams.first { $0["codec_type"] as? String == "video" } }
    var audio: [String: Any]? { streams.first { $0["codec_type"] as? String == "audio" } }
    var videoIndex: Int? { video?["index"] as? Int }
    var audioIndex: Int? { audio?["index"] as? Int }

    static func double(_ any: Any?) -> Double? {
        if let s = any as? String { return Double(s) }
        return any as? Double
    }

    var duration: Double? { Probe.double(format["duration"]) }
    var startTime: Double { Probe.double(format["start_time"]) ?? 0 }
    var width: Int? { video?["width"] as? Int }
    var height: Int? { video?["height"] as? Int }
    var videoCodec: String? { video?["codec_name"] as? String }
    var audioCodec: String? { audio?["codec_name"] as? String }
    var pixelFormat: String? { video?["pix_fmt"] as? String }
    var profile: String? { video?["profile"] as? String }
    var colorRange: String? { video?["color_range"] as? String }
    var colorSpace: String? { video?["color_space"] as? String }
    var colorPrimaries: String? { video?["color_primaries"] as? String }
    var colorTransfer: String? { video?["color_transfer"] as? String }
    var audioDuration: Double? { Probe.double(audio?["duration"]) }
    var videoDuration: Double? { Probe.double(video?["duration"]) }

    /// Rotation from the video stream's display matrix side data (0 when none).
    var rotation: Double {
        guard let sideData = video?["side_data_list"] as? [[String: Any]] else { return 0 }
        for entry in sideData {
            if let r = entry["rotation"] as? Int { return Double(r) }
            if let r = Probe.double(entry["rotation"]) { return r }
        }
        return 0
    }

    /// Presentation times (seconds) of the decoded video frames, sorted; nil for a frame without one.
    static func videoFrameTimes(_ path: String) throws -> [Double?] {
        let csv = try Tools.run(Tools.ffprobe!, ["-v", "error", "-select_streams", "v:0", "-show_entries",
                                                  "frame=best_effort_timestamp_time", "-of", "csv=p=0", path])
        let times: [Double?] = csv.split(whereSeparator: \.isNewline).compactMap { line in
            let field = line.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if field.isEmpty { return nil }           // a blank line (side data), not a frame
            return .some(Double(field))                // "N/A" → a frame without a time
        }
        return times.compactMap { $0 }.sorted() + times.filter { $0 == nil }
    }

    /// Number of video packets in the file (ffprobe -count_packets).
    static func videoPacketCount(_ path: String) throws -> Int {
        let out = try Tools.run(Tools.ffprobe!, ["-v", "error", "-select_streams", "v:0", "-count_packets",
                                                  "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", path])
        // MPEG-TS lists the stream twice (program and stream sections): take the first number.
        return out.split(whereSeparator: \.isNewline).lazy
            .compactMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: ", "))) }.first ?? -1
    }

    /// Length of the decoded audio in seconds (sum of the frames' samples over the sample rate).
    static func audioDecodedDuration(_ path: String) throws -> Double {
        let rate = Double((try Probe(path).audio?["sample_rate"] as? String).flatMap { Int($0) } ?? 0)
        guard rate > 0 else { return 0 }
        let csv = try Tools.run(Tools.ffprobe!, ["-v", "error", "-select_streams", "a:0", "-show_entries",
                                                  "frame=nb_samples", "-of", "csv=p=0", path])
        let samples = csv.split(whereSeparator: \.isNewline).compactMap { Double($0.split(separator: ",").first ?? "") }
        return samples.reduce(0, +) / rate
    }
}

struct RoundTripResult {
    var videoFrames = 0
    var audioPackets = 0
    var concealed = 0
    var pts: [Int64] = []
    var info: MediaInfo
}

/// Reads `input` and writes every video frame (optionally through FrameConverter: RGB at 1/`styleDivisor`
/// size, composed back) and
/// audio packet to `output`.
@discardableResult
func roundTrip(_ input: String, to output: String, throughConverter: Bool = false, preset: String = "ultrafast",
               keepOddSize: Bool = false, keepAudio: Bool = true, styleDivisor: Int = 2) throws -> RoundTripResult {
    let reader = try MediaReader(path: input)
    var settings = EncoderSettings()
    settings.preset = preset
    settings.keepOddSize = keepOddSize
    let writer = try MediaWriter(path: output, containerFrom: output, source: reader.info.video,
                                 audioFrom: keepAudio ? reader : nil, settings: settings)
    var result = RoundTripResult(info: reader.info)
    let converter = FrameConverter()
    var buffer: [Float] = []
    do {
        while let item = try reader.next() {
            switch item {
            case .video(let frame):
                result.videoFrames += 1
                result.pts.append(frame.pts)
                if throughConverter {
                    let w = max(1, frame.width / styleDivisor), h = max(1, frame.height / styleDivisor)
                    if buffer.count != 3 * w * h { buffer = [Float](repeating: 0, count: 3 * w * h) }
                    try buffer.withUnsafeMutableBufferPointer { try converter.planarRGB(from: frame, width: w, height: h, into: $0.baseAddress!) }
                    let composed = try buffer.withUnsafeBufferPointer {
                        try converter.compose(stylized: $0.baseAddress!, width: w, height: h, original: frame)
                    }
                    try writer.write(composed)
                } else {
                    try writer.write(frame)
                }
            case .audio(let packet):
                result.audioPackets += 1
                try writer.write(packet)
            }
        }
        try writer.finish()
    } catch {
        writer.close()
        throw error
    }
    result.concealed = reader.concealedFrameCount
    return result
}

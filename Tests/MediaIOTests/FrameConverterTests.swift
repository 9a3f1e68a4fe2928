// FrameConverter: decoded frames ⇄ planar float RGB; the stylized picture composed at the original's size
// and layout, with the original's planes beside it (the strength blend itself is Pipeline's: CompositionTests).
import Foundation
import XCTest
@testable import MediaIO

final class FrameConverterTests: XCTestCase {

    // MARK: Helpers

    /// A yuv420p frame with constant planes.
    private func yuvFrame(width: Int, height: Int, y: UInt8, u: UInt8, v: UInt8, fullRange: Bool = false,
                          pts: Int64 = 7) throws -> VideoFrame {
        let cw = (width + 1) / 2, ch = (height + 1) / 2
        let bytes = [UInt8](repeating: y, count: width * height) + [UInt8](repeating: u, count: cw * ch)
            + [UInt8](repeating: v, count: cw * ch)
        var color = ColorDescription.unspecified
        color.range = fullRange ? 2 : 1
        return try bytes.withUnsafeBytes {
            try VideoFrame(width: width, height: height, pixelFormatName: "yuv420p", pts: pts, duration: 3, color: color, bytes: $0)
        }
    }

    /// A yuv420p frame with a horizontal luma ramp and varied chroma, so blends are visible.
    private func rampFrame(width: Int, height: Int) throws -> VideoFrame {
        let cw = (width + 1) / 2, ch = (height + 1) / 2
        var bytes: [UInt8] = []
        for _ in 0..<height { for x in 0..<width { bytes.append(UInt8(16 + (x * 219) / max(1, width - 1))) } }
        for j in 0..<ch { for i in 0..<cw { bytes.append(UInt8(60 + (i + j) % 100)) } }
        for j in 0..<ch { for i in 0..<cw { bytes.append(UInt8(200 - (i * 3 + j) % 120)) } }
        return try bytes.withUnsafeBytes {
            try VideoFrame(width: width, height: height, pixelFormatName: "yuv420p", pts: 42, duration: 1, bytes: $0)
        }
    }

    private func rgbFrame(width: Int, height: Int, pixel: (Int, Int) -> (UInt8, UInt8, UInt8)) throws -> VideoFrame {
        var bytes: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width {
                let p = pixel(x, y)
                bytes += [p.0, p.1, p.2]
            }
        }
        return try bytes.withUnsafeBytes { try VideoFrame(width: width, height: height, pixelFormatName: "rgb24", pts: 0, bytes: $0) }
    }

    private func planar(_ converter: FrameConverter, _ frame: VideoFrame, _ width: Int, _ height: Int) throws -> [Float] {
        var out = [Float](repeating: -1, count: 3 * width * height)
        try out.withUnsafeMutableBufferPointer { try converter.planarRGB(from: frame, width: width, height: height, into: $0.baseAddress!) }
        return out
    }

    private func solidPlanar(width: Int, height: Int, rgb: (Float, Float, Float)) -> [Float] {
        let n = width * height
        return [Float](repeating: rgb.0, count: n) + [Float](repeating: rgb.1, count: n) + [Float](repeating: rgb.2, count: n)
    }

    private func compose(_ converter: FrameConverter, _ stylized: [Float], _ width: Int, _ height: Int, _ original: VideoFrame,
                         mix: (([MutablePlane], [Plane]) -> Void)? = nil) throws -> VideoFrame {
        try stylized.withUnsafeBufferPointer {
            try converter.compose(stylized: $0.baseAddress!, width: width, height: height, original: original, mix: mix)
        }
    }

    /// A mix that takes the original's planes: the composed picture is then the original in the output layout.
    private let takeOriginal: ([MutablePlane], [Plane]) -> Void = { picture, original in
        for (p, o) in zip(picture, original) {
            for y in 0..<p.height { (p.base + y * p.stride).update(from: o.base + y * o.stride, count: p.width) }
        }
    }

    /// A mix halfway between the two (any mix that reads both planes).
    private let halfway: ([MutablePlane], [Plane]) -> Void = { picture, original in
        for (p, o) in zip(picture, original) {
            for y in 0..<p.height {
                for x in 0..<p.width { p.base[y * p.stride + x] = UInt8((Int(p.base[y * p.stride + x]) + Int(o.base[y * o.stride + x])) / 2) }
            }
        }
    }

    /// Runs `body` with a reader on the clip ffmpeg makes from `arguments`, kept in a temporary folder
    /// until `body` returns (skips without the ffmpeg tools).
    private func withClip(_ name: String, made arguments: [String], _ body: (MediaReader) throws -> Void) throws {
        try Tools.require()
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.file(name)
        try Tools.ffmpeg(arguments, output: path)
        try body(MediaReader(path: path))
    }

    // MARK: planarRGB

    func testPlanarRGBOfSolidRGBFrame() throws {
        let frame = try rgbFrame(width: 64, height: 48) { _, _ in (200, 100, 50) }
        let out = try planar(FrameConverter(), frame, 16, 12)
        let n = 16 * 12
        XCTAssertEqual(Set(out[0..<n]), [200], "all R")
        XCTAssertEqual(Set(out[n..<(2 * n)]), [100], "then all G")
        XCTAssertEqual(Set(out[(2 * n)..<(3 * n)]), [50], "then all B")
    }

    func testPlanarRGBOfSolidYUVFrame() throws {
        // BT.601 limited range: Y 81, U 90, V 240 is pure red (255, 0, 0).
        let frame = try yuvFrame(width: 40, height: 30, y: 81, u: 90, v: 240)
        let out = try planar(FrameConverter(), frame, 40, 30)
        let n = 40 * 30
        for (plane, expected) in [(0, Float(255)), (1, 0), (2, 0)] {
            let values = out[(plane * n)..<((plane + 1) * n)]
            XCTAssertLessThanOrEqual(values.map { abs($0 - expected) }.max()!, 2, "plane \(plane)")
        }
        XCTAssertTrue(out.allSatisfy { $0 >= 0 && $0 <= 255 })
    }

    func testPlanarRGBOfDecodedClipGivesItsColour() throws {
        try withClip("orange.mkv", made: ["-f", "lavfi", "-i", "color=c=0xC86432:size=64x48:rate=25:d=0.2",
                                           "-pix_fmt", "yuv420p", "-c:v", "ffv1"]) { reader in
            guard case .video(let frame)? = try reader.next() else { return XCTFail("no frame") }
            XCTAssertEqual(frame.pixelFormatName, "yuv420p")
            let out = try planar(FrameConverter(), frame, 32, 24)
            let n = 32 * 24
            for (plane, expected) in [(0, Float(200)), (1, 100), (2, 50)] {
                let mean = out[(plane * n)..<((plane + 1) * n)].reduce(0, +) / Float(n)
                XCTAssertEqual(mean, expected, accuracy: 3, "plane \(plane)")
            }
        }
    }

    func testPlanarRGBLayoutIsCHWAndScales() throws {
        // Left half red, right half blue, scaled from 64×48 to 8×6.
        let frame = try rgbFrame(width: 64, height: 48) { x, _ in x < 32 ? (255, 0, 0) : (0, 0, 255) }
        let out = try planar(FrameConverter(), frame, 8, 6)
        let n = 48
        for y in 0..<6 {
            for x in 0..<8 {
                let r = out[y * 8 + x], g = out[n + y * 8 + x], b = out[2 * n + y * 8 + x]
                XCTAssertEqual(r, x < 4 ? 255 : 0, accuracy: 1, "R at \(x),\(y)")
                XCTAssertEqual(g, 0, accuracy: 1)
                XCTAssertEqual(b, x < 4 ? 0 : 255, accuracy: 1, "B at \(x),\(y)")
            }
        }
    }

    func testPlanarRGBRejectsBadSize() throws {
        let frame = try yuvFrame(width: 8, height: 8, y: 100, u: 128, v: 128)
        var out = [Float](repeating: 0, count: 3)
        XCTAssertThrowsError(try out.withUnsafeMutableBufferPointer {
            try FrameConverter().planarRGB(from: frame, width: 0, height: 1, into: $0.baseAddress!)
        })
    }

    // MARK: compose

    func testComposeHandsMixBothPicturesPlanes() throws {
        let original = try rampFrame(width: 64, height: 48)
        let converter = FrameConverter()
        var sizes: [[Int]] = []
        let out = try compose(converter, solidPlanar(width: 32, height: 24, rgb: (255, 0, 255)), 32, 24, original) { picture, source in
            sizes = zip(picture, source).map { [$0.width, $0.height, $1.width, $1.height] }
            self.takeOriginal(picture, source)
        }
        XCTAssertEqual(sizes, [[64, 48, 64, 48], [32, 24, 32, 24], [32, 24, 32, 24]])
        XCTAssertEqual(out.pixelFormatName, "yuv420p")
        XCTAssertEqual(out.width, 64)
        XCTAssertEqual(out.height, 48)
        XCTAssertEqual(out.pixelBytes(), original.pixelBytes())
        XCTAssertEqual(out.pts, 42)
        XCTAssertEqual(out.duration, 1)
        XCTAssertFalse(out.isConcealed)
    }

    func testComposeScalesAndClampsTheStylized() throws {
        let original = try rampFrame(width: 64, height: 48)
        let converter = FrameConverter()
        // Stylized at a smaller size, with values outside 0...255 that must be clamped.
        var stylized = solidPlanar(width: 20, height: 15, rgb: (10, 200, 30))
        stylized[0] = -50
        stylized[20 * 15 + 1] = 400
        let out = try compose(converter, stylized, 20, 15, original)
        let back = try planar(converter, out, 64, 48)
        let n = 64 * 48
        for (plane, expected) in [(0, Float(10)), (1, 200), (2, 30)] {
            let values = back[(plane * n)..<((plane + 1) * n)]
            let mean = values.reduce(0, +) / Float(n)
            XCTAssertEqual(mean, expected, accuracy: 3, "plane \(plane)")
        }
    }

    func testComposeKeepsFullRangeOddSizeAndConcealedFlag() throws {
        try withClip("odd.avi", made: ["-f", "lavfi", "-i", "color=c=0xC86432:size=64x48:rate=25:d=0.2,scale=33:25",
                                        "-c:v", "mjpeg", "-pix_fmt", "yuvj422p"]) { reader in
            XCTAssertEqual(reader.info.video.pixelFormatName, "yuvj422p")
            guard case .video(let frame)? = try reader.next() else { return XCTFail("no frame") }
            let converter = FrameConverter()
            let rgb = try planar(converter, frame, 16, 12)
            let out = try compose(converter, rgb, 16, 12, frame, mix: takeOriginal)
            XCTAssertEqual(out.width, 33)
            XCTAssertEqual(out.height, 25)
            XCTAssertEqual(out.pixelFormatName, "yuv420p")
            XCTAssertTrue(out.color.isFullRange, "full-range input gives full-range output")
            // The original's planes of a 4:2:2 original are its picture in 4:2:0, so RGB of both agree closely (a range or
            // matrix mix-up would shift every pixel).
            let a = try planar(converter, frame, 33, 25), b = try planar(converter, out, 33, 25)
            let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            let mean = zip(a, b).map { abs($0 - $1) }.reduce(0, +) / Float(a.count)
            XCTAssertLessThan(mean, 2, "worst \(worst)")
            XCTAssertEqual(b[0], 200, accuracy: 4)

            let concealed = VideoFrame(frame: frame.frame, pts: 99, duration: 1, isConcealed: true)
            let composed = try compose(converter, rgb, 16, 12, concealed)
            XCTAssertTrue(composed.isConcealed)
            XCTAssertEqual(composed.pts, 99)
        }
    }

    // MARK: Frames and threads

    func testVideoFrameFromBytes() throws {
        let frame = try yuvFrame(width: 5, height: 3, y: 1, u: 2, v: 3)
        XCTAssertEqual(frame.pixelBytes(), [UInt8](repeating: 1, count: 15) + [2, 2, 2, 2, 2, 2] + [3, 3, 3, 3, 3, 3])
        XCTAssertEqual(frame.pts, 7)
        let planes = frame.withPlanes { $0.map { [$0.width, $0.height, Int($0.base[0])] } }
        XCTAssertEqual(planes, [[5, 3, 1], [3, 2, 2], [3, 2, 3]])
        XCTAssertThrowsError(try [UInt8](repeating: 0, count: 10).withUnsafeBytes {
            try VideoFrame(width: 5, height: 3, pixelFormatName: "yuv420p", pts: 0, bytes: $0)
        }, "too few bytes")
        XCTAssertThrowsError(try [UInt8](repeating: 0, count: 100).withUnsafeBytes {
            try VideoFrame(width: 5, height: 3, pixelFormatName: "no-such-format", pts: 0, bytes: $0)
        }, "unknown format")
    }

    func testConvertersOnManyThreadsShareFrames() throws {
        let frames = try (0..<6).map { i in try rgbFrame(width: 48, height: 32) { x, y in (UInt8((x * 5 + i * 20) % 256), UInt8(y * 7), 128) } }
        // Reference results on this thread.
        let halfway = self.halfway
        let reference = FrameConverter()
        let expected = try frames.map { frame -> [UInt8] in
            let rgb = try planar(reference, frame, 24, 16)
            return try compose(reference, rgb, 24, 16, frame, mix: halfway).pixelBytes()
        }
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var mismatches = 0
            var failures: [String] = []
        }
        let results = Results()
        let frameList = frames
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            let converter = FrameConverter()
            var buffer = [Float](repeating: 0, count: 3 * 24 * 16)
            for round in 0..<20 {
                let index = round % frameList.count
                do {
                    try buffer.withUnsafeMutableBufferPointer {
                        try converter.planarRGB(from: frameList[index], width: 24, height: 16, into: $0.baseAddress!)
                    }
                    let out = try buffer.withUnsafeBufferPointer {
                        try converter.compose(stylized: $0.baseAddress!, width: 24, height: 16, original: frameList[index],
                                              mix: halfway)
                    }
                    if out.pixelBytes() != expected[index] {
                        results.lock.lock(); results.mismatches += 1; results.lock.unlock()
                    }
                } catch {
                    results.lock.lock(); results.failures.append("\(error)"); results.lock.unlock()
                }
            }
        }
        XCTAssertEqual(results.failures, [])
        XCTAssertEqual(results.mismatches, 0)
    }
}

/// Timing of the converter at 1080p (MEDIAIO_BENCH=1; best run in release: swift test -c release).
final class FrameConverterBenchmark: XCTestCase {
    func testSpeedAt1080p() throws {
        guard ProcessInfo.processInfo.environment["MEDIAIO_BENCH"] != nil else { throw XCTSkip("set MEDIAIO_BENCH=1 to time the converter") }
        let (w, h) = (1920, 1080)
        var bytes = [UInt8](repeating: 0, count: w * h * 3 / 2)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 31) }
        let frame = try bytes.withUnsafeBytes { try VideoFrame(width: w, height: h, pixelFormatName: "yuv420p", pts: 0, bytes: $0) }
        let converter = FrameConverter()
        var rgb = [Float](repeating: 0, count: 3 * 960 * 540)
        let rounds = 20
        var start = Date()
        for _ in 0..<rounds {
            try rgb.withUnsafeMutableBufferPointer { try converter.planarRGB(from: frame, width: 960, height: 540, into: $0.baseAddress!) }
        }
        let toRGB = Date().timeIntervalSince(start) / Double(rounds)
        start = Date()
        for _ in 0..<rounds {
            _ = try rgb.withUnsafeBufferPointer {
                try converter.compose(stylized: $0.baseAddress!, width: 960, height: 540, original: frame)
            }
        }
        let compose = Date().timeIntervalSince(start) / Double(rounds)
        print(String(format: "1080p: planarRGB → 960×540 %.1f ms, compose %.1f ms", toRGB * 1000, compose * 1000))
    }
}

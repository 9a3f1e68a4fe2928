import MediaIO
import XCTest
@testable import Pipeline

/// The look's strength and preserve-colours, applied where colour is Pipeline's: on the
/// composed picture's planes, against the original's.
final class CompositionTests: XCTestCase {
    /// A frame of the sample clip (640×360 yuv420p): varied luma and chroma, so blends are visible.
    private func clipFrame() throws -> VideoFrame {
        let clip = VideoStylizationTests.repository.appendingPathComponent("SampleClips/city-night.mp4").path
        return try XCTUnwrap(try MediaReader(path: clip).nextVideoFrame())
    }

    private func stylized(_ original: VideoFrame, _ width: Int, _ height: Int, rgb: (Float, Float, Float)) -> StylizedFrame {
        let n = width * height
        let pixels = [Float](repeating: rgb.0, count: n) + [Float](repeating: rgb.1, count: n) + [Float](repeating: rgb.2, count: n)
        return StylizedFrame(original: original, pixels: pixels, width: width, height: height)
    }

    /// Y, U and V of a yuv420p frame.
    private func planes(_ frame: VideoFrame) -> [[UInt8]] {
        let bytes = frame.pixelBytes()
        let n = frame.width * frame.height, c = ((frame.width + 1) / 2) * ((frame.height + 1) / 2)
        return [Array(bytes[0..<n]), Array(bytes[n..<(n + c)]), Array(bytes[(n + c)..<(n + 2 * c)])]
    }

    func testStrengthZeroIsTheOriginal() throws {
        let original = try clipFrame()
        let out = try FrameConverter().compose(stylized(original, 320, 180, rgb: (255, 0, 255)), strength: 0, preserveColors: false)
        XCTAssertEqual(out.pixelBytes(), original.pixelBytes())
        XCTAssertEqual(out.pts, original.pts)
    }

    func testHalfStrengthIsTheMidpoint() throws {
        let original = try clipFrame()
        let converter = FrameConverter()
        let painted = stylized(original, 320, 180, rgb: (240, 200, 40))
        let full = planes(try converter.compose(painted, strength: 1, preserveColors: false))
        let half = planes(try converter.compose(painted, strength: 0.5, preserveColors: false))
        for (plane, source) in planes(original).enumerated() {
            for (i, o) in source.enumerated() {
                XCTAssertEqual(Double(half[plane][i]), (Double(o) + Double(full[plane][i])) / 2, accuracy: 1, "plane \(plane)")
            }
        }
    }

    func testPreserveColorsKeepsChroma() throws {
        let original = try clipFrame()
        let converter = FrameConverter()
        let painted = stylized(original, 320, 180, rgb: (30, 220, 90))
        let source = planes(original)
        let styled = planes(try converter.compose(painted, strength: 1, preserveColors: false))
        let kept = planes(try converter.compose(painted, strength: 1, preserveColors: true))
        XCTAssertEqual(kept[1], source[1], "U from the original")
        XCTAssertEqual(kept[2], source[2], "V from the original")
        XCTAssertEqual(kept[0], styled[0], "Y from the stylized picture")
        XCTAssertNotEqual(kept[0], source[0])
        XCTAssertNotEqual(styled[1], source[1], "without preserveColors the chroma changes")

        let halfKept = planes(try converter.compose(painted, strength: 0.5, preserveColors: true))
        XCTAssertEqual(halfKept[1], source[1])
        for (i, h) in halfKept[0].enumerated() {
            XCTAssertEqual(Double(h), (Double(source[0][i]) + Double(styled[0][i])) / 2, accuracy: 1)
        }
    }
}

@testable import Camera
import CameraTestSupport
import XCTest

final class PixelConversionTests: XCTestCase {
    /// Smooth gradients: 4:2:2 / 4:2:0 chroma averaging loses little.
    private func gradient(width: Int, height: Int) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let offset = (y * width + x) * 3
                rgb[offset] = UInt8(x * 255 / (width - 1))
                rgb[offset + 1] = UInt8(y * 255 / (height - 1))
                rgb[offset + 2] = UInt8((x + y) * 255 / (width + height - 2))
            }
        }
        return rgb
    }

    func testRGBToYUYVAndBack() {
        let rgb = gradient(width: 64, height: 32)
        let yuyv = PixelConversion.rgbToYUYV(rgb, width: 64, height: 32)
        XCTAssertEqual(yuyv.count, 64 * 32 * 2)
        let back = PixelConversion.yuyvToRGB(yuyv, width: 64, height: 32)
        XCTAssertLessThanOrEqual(maximumDifference(rgb, back), 8)
    }

    func testRGBToI420AndBackIncludingOddSizes() {
        for (width, height) in [(64, 32), (33, 17)] {
            let rgb = gradient(width: width, height: height)
            let i420 = PixelConversion.rgbToI420(rgb, width: width, height: height)
            XCTAssertEqual(i420.count, width * height + 2 * ((width + 1) / 2) * ((height + 1) / 2))
            let back = PixelConversion.i420ToRGB(i420, width: width, height: height)
            XCTAssertLessThanOrEqual(maximumDifference(rgb, back), 12, "\(width)×\(height)")
        }
    }

    /// Flat colours (no chroma averaging): only rounding error remains.
    func testPrimariesSurviveExactlyEnough() {
        let colors: [[UInt8]] = [[255, 255, 255], [0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255], [128, 64, 32]]
        for color in colors {
            let rgb = Array([[UInt8]](repeating: color, count: 4 * 2).joined())
            let back = PixelConversion.yuyvToRGB(PixelConversion.rgbToYUYV(rgb, width: 4, height: 2), width: 4, height: 2)
            XCTAssertLessThanOrEqual(maximumDifference(rgb, back), 2, "\(color)")
        }
    }

    /// The limited-range levels: black at Y 16, white at Y 235, grey chroma at 128.
    func testLimitedRangeLevels() {
        let yuyv = PixelConversion.rgbToYUYV([0, 0, 0, 255, 255, 255], width: 2, height: 1)
        XCTAssertEqual(yuyv, [16, 128, 235, 128])
    }

    /// The fake's textbook floating-point encoder and our fixed-point decoder agree.
    func testNV12DecodeMatchesTheTextbookEncoder() {
        let (width, height) = (32, 16)
        let bytesPerLine = 40   // row padding, as drivers may add
        var nv12 = [UInt8](repeating: 0, count: bytesPerLine * height * 3 / 2)
        nv12.withUnsafeMutableBytes {
            _ = FakeTestPattern.render(into: $0.baseAddress!, capacity: $0.count, pixelFormat: .nv12,
                                       width: width, height: height, bytesPerLine: bytesPerLine, frameNumber: 0)
        }
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        nv12.withUnsafeBufferPointer { source in
            rgb.withUnsafeMutableBufferPointer {
                PixelConversion.nv12ToRGB(source.baseAddress!, bytesPerLine: bytesPerLine, width: width, height: height, into: $0.baseAddress!)
            }
        }
        XCTAssertLessThanOrEqual(maximumDifference(rgb, FakeTestPattern.rgb(width: width, height: height, frameNumber: 0)), 3)
    }
}

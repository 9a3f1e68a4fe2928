import XCTest
@testable import Terminal

final class SixelEncoderTests: XCTestCase {
    private func decodeChecked(_ image: RGBImage, file: StaticString = #filePath, line: UInt = #line) throws -> SixelDecoder.Decoded {
        let decoded = try SixelDecoder.decode(SixelEncoder().encode(image))
        XCTAssertEqual(decoded.image.width, image.width, "raster width", file: file, line: line)
        XCTAssertEqual(decoded.image.height, image.height, "raster height", file: file, line: line)
        XCTAssertTrue(decoded.paintCounts.allSatisfy { $0 == 1 }, "every pixel painted exactly once", file: file, line: line)
        XCTAssertLessThanOrEqual(decoded.paletteSize, 256, file: file, line: line)
        return decoded
    }

    /// Smooth images can't be exact with 256 colours; the bound is what
    /// dithering buys. Median cut over these fields leaves palette steps of
    /// roughly 6–10 levels per channel; Floyd–Steinberg picks one of the two
    /// neighbouring entries per pixel, so per-pixel error averages about a
    /// quarter to a half step. < 6/255 is therefore tight but not flaky; an
    /// undithered or badly chosen palette lands well above it (see the
    /// smoke check on a coarse palette below).
    func testSmoothImagesDecodeWithinSixLevels() throws {
        let images = [
            TestImages.gradient(width: 256, height: 64),
            TestImages.gradient(width: 101, height: 61),
            TestImages.smoothField(width: 160, height: 90),
            TestImages.smoothField(width: 97, height: 53),
        ]
        for image in images {
            let decoded = try decodeChecked(image)
            let error = TestImages.meanAbsoluteError(decoded.image, image)
            print("sixel \(image.width)×\(image.height): mean absolute error \(String(format: "%.2f", error))/255, \(decoded.paletteSize) colours")
            XCTAssertLessThan(error, 6, "\(image.width)×\(image.height)")
        }
    }

    /// Fewer colours than the palette holds: each decodes to exactly its
    /// colour, up to sixel's own percent rounding (which is all the format can express).
    func testFewColoursAreExact() throws {
        for (width, height) in [(37, 23), (64, 48), (5, 1), (13, 7)] {
            let image = TestImages.blocks(width: width, height: height)
            let decoded = try decodeChecked(image)
            let expected = RGBImage(width: width, height: height, pixels: image.pixels.map(SixelEncoder.representable))
            XCTAssertEqual(decoded.image, expected, "\(width)×\(height)")
        }
    }

    /// 256 well-separated colours (each alone in its histogram cell) fill the
    /// palette exactly and stay exact.
    func testTwoHundredFiftySixColoursAreExact() throws {
        let image = TestImages.image(width: 64, height: 40) { x, y in
            let index = (y / 10) * 64 + x   // 4 rows of 64 distinct colours
            return (index % 8 * 36, index / 8 % 8 * 36, index / 64 * 80)
        }
        let decoded = try decodeChecked(image)
        XCTAssertEqual(decoded.image, RGBImage(width: 64, height: 40, pixels: image.pixels.map(SixelEncoder.representable)))
    }

    /// A sixel with too few colours can't meet the smooth-image bound: the test above can fail.
    func testCoarsePaletteIsMeasurablyWorse() throws {
        let image = TestImages.smoothField(width: 160, height: 90)
        let coarse = try SixelDecoder.decode(SixelEncoder(maximumColors: 8, dithering: false).encode(image))
        XCTAssertGreaterThan(TestImages.meanAbsoluteError(coarse.image, image), 6)
    }

    func testRunLengthAndBandsAppear() {
        let bytes = SixelEncoder().encode(RGBImage(width: 50, height: 13, red: 10, green: 20, blue: 30))
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertTrue(text.contains("\"1;1;50;13"))
        XCTAssertEqual(text.filter { $0 == "-" }.count, 2, "13 rows: three bands, two band breaks")
        XCTAssertTrue(text.contains("!50~"), "a full flat band is one run of all-six-pixels")
        XCTAssertTrue(text.hasSuffix("\u{1B}\\"))
    }

    func testOneByOne() throws {
        let image = RGBImage(width: 1, height: 1, red: 255, green: 128, blue: 0)
        let decoded = try decodeChecked(image)
        XCTAssertEqual(decoded.image.pixels, image.pixels.map(SixelEncoder.representable))
    }
}

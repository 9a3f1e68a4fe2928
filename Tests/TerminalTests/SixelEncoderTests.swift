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

    /// Smooth images can't be exact with 256 colours. Bounds, per channel in
    /// 0–255 units, from what 256 colours can do on these frames: a smooth
    /// frame is a 2-D surface through the RGB cube, and 256 entries tile the
    /// surface of the photo-like field (~200 levels along each side) in
    /// patches ~12 levels across, so even the best nearest-colour mapping
    /// is ~3–4 off on average (the undithered mapping measures 4.2);
    /// Floyd–Steinberg spends about one more level per pixel to get local
    /// averages right. Measured: gradients 3.2, photo-like 5.2–5.4.
    /// So: per pixel < 4 (gradient) and < 6 (photo-like); 4×4 block
    /// averages < 2 and better than without dithering (what dithering is for).
    func testSmoothImagesDecodeCloseToTheSource() throws {
        let cases: [(RGBImage, pixelBound: Double)] = [
            (TestImages.gradient(width: 256, height: 64), 4),
            (TestImages.gradient(width: 101, height: 61), 4),
            (TestImages.smoothField(width: 160, height: 90), 6),
            (TestImages.smoothField(width: 97, height: 53), 6),
        ]
        for (image, pixelBound) in cases {
            let decoded = try decodeChecked(image)
            let error = TestImages.meanAbsoluteError(decoded.image, image)
            let blockError = TestImages.blockMeanAbsoluteError(decoded.image, image)
            let undithered = try SixelDecoder.decode(SixelEncoder(dithering: false).encode(image))
            let unditheredBlockError = TestImages.blockMeanAbsoluteError(undithered.image, image)
            print("sixel \(image.width)×\(image.height): mean absolute error \(String(format: "%.2f", error))/255, "
                  + "4×4 blocks \(String(format: "%.2f", blockError)) (undithered \(String(format: "%.2f", unditheredBlockError))), "
                  + "\(decoded.paletteSize) colours")
            XCTAssertLessThan(error, pixelBound, "\(image.width)×\(image.height)")
            XCTAssertLessThan(blockError, 2, "\(image.width)×\(image.height)")
            XCTAssertLessThan(blockError, unditheredBlockError, "dithering improves local averages")
        }
    }

    /// The hard case stays usable: measured 6.3 (160×90) with a 1.9 block error.
    func testBusyImageDegradesGracefully() throws {
        let image = TestImages.busyField(width: 160, height: 90)
        let decoded = try decodeChecked(image)
        XCTAssertLessThan(TestImages.meanAbsoluteError(decoded.image, image), 7)
        XCTAssertLessThan(TestImages.blockMeanAbsoluteError(decoded.image, image), 2.5)
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

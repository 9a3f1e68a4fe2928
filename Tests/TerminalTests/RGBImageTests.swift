import XCTest
@testable import Terminal

final class RGBImageTests: XCTestCase {
    func testConstantImageStaysConstant() {
        let image = RGBImage(width: 37, height: 23, red: 200, green: 13, blue: 77)
        for (width, height) in [(10, 7), (1, 1), (36, 22), (80, 50), (12, 40), (37, 23)] {
            XCTAssertEqual(image.resized(width: width, height: height),
                           RGBImage(width: width, height: height, red: 200, green: 13, blue: 77), "\(width)×\(height)")
        }
    }

    func testTwoByTwoToOneAverages() {
        let image = RGBImage(width: 2, height: 2, pixels: [0, 10, 255, 100, 20, 255, 200, 30, 0, 100, 40, 0])
        XCTAssertEqual(image.resized(width: 1, height: 1).pixels, [100, 25, 128])   // 127.5 rounds up
    }

    /// 3 → 2 pixels: each output covers 1.5 inputs, the middle one split.
    func testFractionalCoverageIsWeighted() {
        let image = RGBImage(width: 3, height: 1, pixels: [0, 0, 0, 90, 90, 90, 180, 180, 180])
        XCTAssertEqual(image.resized(width: 2, height: 1).pixels, [30, 30, 30, 150, 150, 150])
    }

    /// Fine detail averages out instead of aliasing: a 1-pixel checkerboard shrinks to gray.
    func testCheckerboardShrinksToGray() {
        let checker = TestImages.image(width: 64, height: 64) { x, y in (x + y) % 2 == 0 ? (255, 255, 255) : (0, 0, 0) }
        let small = checker.resized(width: 8, height: 8)
        XCTAssertTrue(small.pixels.allSatisfy { (127...128).contains($0) }, "\(small.pixels.prefix(6))")
    }

    func testUpscaleIsBilinearBetweenEndpoints() {
        let image = RGBImage(width: 2, height: 1, pixels: [0, 0, 0, 200, 200, 200])
        let large = image.resized(width: 4, height: 3)
        for y in 0..<3 {
            let row = (0..<4).map { Int(large.pixels[(y * 4 + $0) * 3]) }
            XCTAssertEqual(row, [0, 50, 150, 200])
        }
    }
}

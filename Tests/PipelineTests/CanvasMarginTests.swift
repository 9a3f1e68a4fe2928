import XCTest
@testable import Pipeline

/// The margin an optimized frame is painted with: filled three ways, and cut off again exactly.
final class CanvasMarginTests: XCTestCase {
    func testTheMarginIsFilledAsAskedAndCutOffExactly() {
        let canvas = CanvasMargin(width: 3, height: 2, margin: 2)
        let planes: [Float] = [1, 2, 3, 4, 5, 6,   10, 20, 30, 40, 50, 60]   // two planes of 3 × 2
        let mirror = canvas.pad(planes, .mirror), nearest = canvas.pad(planes, .nearest), zero = canvas.pad(planes, .zero)
        XCTAssertEqual(mirror.count, 2 * 7 * 6)
        // Row 2 of the canvas is the picture's first row; with only two rows, the reflection
        // bounces back and forth: canvas rows 0 and 1 are the picture's rows 0 and 1 again.
        XCTAssertEqual(Array(mirror[14..<21]), [3, 2, 1, 2, 3, 2, 1])
        XCTAssertEqual(Array(mirror[7..<14]), [6, 5, 4, 5, 6, 5, 4])
        XCTAssertEqual(Array(nearest[0..<7]), [1, 1, 1, 2, 3, 3, 3])
        XCTAssertEqual(Array(nearest[42 + 35..<42 + 42]), [40, 40, 40, 50, 60, 60, 60])
        XCTAssertEqual(Array(zero[14..<21]), [0, 0, 1, 2, 3, 0, 0])
        XCTAssertEqual(zero.reduce(0, +), planes.reduce(0, +))
        for padded in [mirror, nearest, zero] { XCTAssertEqual(canvas.crop(padded), planes) }
        XCTAssertEqual(CanvasMargin(width: 1, height: 1, margin: 3).pad([7], .mirror), [Float](repeating: 7, count: 49))
    }
}

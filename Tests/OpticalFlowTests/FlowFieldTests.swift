import XCTest
import OpticalFlow

final class FlowFieldTests: XCTestCase {
    func testZeroFieldHasOneVectorPerPixel() {
        let field = FlowField(zeroWidth: 7, height: 5)
        XCTAssertEqual(field.u.count, 35)
        XCTAssertEqual(field.v.count, 35)
        XCTAssertTrue(field.u.allSatisfy { $0 == 0 } && field.v.allSatisfy { $0 == 0 })
        XCTAssertNotEqual(field, FlowField(zeroWidth: 5, height: 7), "same count, different shape")
    }

    /// Every step-th pixel of every step-th row, in the coarse grid's pixels; odd sizes round up.
    func testSubsampledTakesEveryStepthPixelInItsOwnUnits() {
        let (w, h) = (7, 5)
        let field = FlowField(width: w, height: h, u: (0..<(w * h)).map { Float($0) }, v: (0..<(w * h)).map { -2 * Float($0) })
        let coarse = field.subsampled(by: 2)
        XCTAssertEqual(coarse.width, 4)
        XCTAssertEqual(coarse.height, 3)
        for y in 0..<3 {
            for x in 0..<4 {
                XCTAssertEqual(coarse.u[y * 4 + x], Float(2 * y * w + 2 * x) / 2)
                XCTAssertEqual(coarse.v[y * 4 + x], -Float(2 * y * w + 2 * x))
            }
        }
        XCTAssertEqual(field.subsampled(by: 1), field)
    }
}

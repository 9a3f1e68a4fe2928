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
}

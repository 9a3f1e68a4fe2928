import XCTest
@testable import Terminal

final class XtermPaletteTests: XCTestCase {
    /// The fast lookup agrees with a brute-force search over entries 16–255
    /// (ties may pick either entry, so distances are compared).
    func testNearestIndexMatchesBruteForce() {
        func distance(_ index: Int, _ r: Int, _ g: Int, _ b: Int) -> Int {
            let c = XtermPalette.color(of: index)
            let dr = Int(c.red) - r, dg = Int(c.green) - g, db = Int(c.blue) - b
            return dr * dr + dg * dg + db * db
        }
        for r in stride(from: 0, through: 255, by: 15) {
            for g in stride(from: 0, through: 255, by: 17) {
                for b in stride(from: 0, through: 255, by: 13) {
                    let fast = XtermPalette.nearestIndex(red: UInt8(r), green: UInt8(g), blue: UInt8(b))
                    let best = (16...255).map { distance($0, r, g, b) }.min()!
                    XCTAssertEqual(distance(fast, r, g, b), best, "(\(r),\(g),\(b)) → \(fast)")
                    if distance(fast, r, g, b) != best { return }
                }
            }
        }
    }

    func testKnownEntries() {
        XCTAssertEqual(XtermPalette.nearestIndex(red: 255, green: 0, blue: 0), 196)
        XCTAssertEqual(XtermPalette.nearestIndex(red: 0, green: 0, blue: 0), 16)
        XCTAssertEqual(XtermPalette.nearestIndex(red: 128, green: 128, blue: 128), 244)
        XCTAssertTrue(XtermPalette.color(of: 244) == (128, 128, 128))
    }
}

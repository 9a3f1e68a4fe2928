import XCTest
@testable import Terminal

final class TerminalSizeTests: XCTestCase {
    /// Shown aspect (width / height in pixels) of `cells` on `size`.
    private func shownAspect(_ cells: CellRectangle, _ size: TerminalSize) -> Double {
        let cell = size.cellPixelSize
        return Double(cells.columns) * cell.width / (Double(cells.rows) * cell.height)
    }

    func testWideVideoFillsTheWidthWithoutPixelSizes() {
        let size = TerminalSize(columns: 80, rows: 25)
        let cells = size.fit(imageWidth: 640, imageHeight: 360)
        // 80 columns of 1:2 cells, 16:9 → 80 / (16/9) / 2 = 22.5 rows.
        XCTAssertEqual(cells.columns, 80)
        XCTAssertTrue((22...23).contains(cells.rows), "\(cells)")
    }

    func testTallImageIsLimitedByRowsAndKeepsTheStatusRow() {
        let size = TerminalSize(columns: 80, rows: 25)
        let cells = size.fit(imageWidth: 100, imageHeight: 400)
        XCTAssertEqual(cells.rows, 24, "the last row stays free for the status line")
        XCTAssertEqual(cells.columns, 12)   // 24 rows × 2 × 1/4
    }

    func testMeasuredCellsAreUsed() {
        // 10×25-pixel cells: a square image needs 2.5 times as many columns as rows.
        let size = TerminalSize(columns: 200, rows: 41, pixelWidth: 2000, pixelHeight: 1025)
        let cells = size.fit(imageWidth: 500, imageHeight: 500)
        XCTAssertEqual(cells, CellRectangle(columns: 100, rows: 40))
    }

    /// Many shapes and terminals: always inside the grid above the status
    /// row, touching one edge, and the aspect off by at most one cell's rounding.
    func testFitStaysInBoundsAndKeepsAspect() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let size = Bool.random(using: &generator)
                ? TerminalSize(columns: Int.random(in: 10...300), rows: Int.random(in: 5...100))
                : TerminalSize(columns: Int.random(in: 10...300), rows: Int.random(in: 5...100),
                               pixelWidth: Int.random(in: 500...4000), pixelHeight: Int.random(in: 500...3000))
            let width = Int.random(in: 16...4000), height = Int.random(in: 16...4000)
            let cells = size.fit(imageWidth: width, imageHeight: height)
            XCTAssertTrue((1...size.columns).contains(cells.columns))
            XCTAssertTrue((1...(size.rows - 1)).contains(cells.rows))
            XCTAssertTrue(cells.columns == size.columns || cells.rows == size.rows - 1, "uses the space: \(cells) in \(size)")
            let aspect = Double(width) / Double(height)
            let shown = shownAspect(cells, size)
            // The free dimension is rounded to whole cells: at most half a cell off
            // its exact value n ≥ cells − 0.5, a relative error ≤ 0.5 / (cells − 0.5)
            // (unless clamped to a single cell).
            if cells.columns > 1 && cells.rows > 1 {
                let tolerance = 0.5 / (Double(min(cells.columns, cells.rows)) - 0.5) + 1e-9
                XCTAssertEqual(shown / aspect, 1, accuracy: tolerance, "\(width)×\(height) in \(size) → \(cells)")
            }
        }
    }

    func testNotATerminalHasNoSize() {
        var ends: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&ends), 0)
        defer { close(ends[0]); close(ends[1]) }
        XCTAssertNil(TerminalSize.current(fileDescriptor: ends[1]))
    }
}

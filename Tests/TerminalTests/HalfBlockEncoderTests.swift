import XCTest
import TerminalTestSupport
@testable import Terminal

final class HalfBlockEncoderTests: XCTestCase {
    /// What a cell should show: top pixel as foreground, bottom as background.
    private func expectedCells(_ image: RGBImage, _ color: (Int) -> TmuxScreen.Color) -> [[(TmuxScreen.Color, TmuxScreen.Color)]] {
        (0..<(image.height / 2)).map { row in
            (0..<image.width).map { x in
                (color((row * 2 * image.width + x) * 3), color(((row * 2 + 1) * image.width + x) * 3))
            }
        }
    }

    private func checkThroughTmux(_ image: RGBImage, colors: HalfBlockEncoder.Colors,
                                  _ color: (Int) -> TmuxScreen.Color) throws {
        let bytes = HalfBlockEncoder.encode(image, colors: colors)
        let screen = try TmuxScreen.capture(bytes) { captured in
            captured.split(separator: "\n").filter { $0.contains("▀") }.count >= image.height / 2
        }
        let expected = expectedCells(image, color)
        var mismatches = 0
        XCTAssertGreaterThanOrEqual(screen.rows.count, expected.count, "screen captured")
        for (row, expectedRow) in expected.enumerated() where row < screen.rows.count {
            let cells = screen.rows[row]
            XCTAssertGreaterThanOrEqual(cells.count, image.width, "row \(row) drawn in full")
            for (x, (top, bottom)) in expectedRow.enumerated() where x < cells.count {
                let cell = cells[x]
                if cell.character != "▀" || cell.foreground != top || cell.background != bottom {
                    mismatches += 1
                    if mismatches <= 5 { XCTFail("cell (\(x), \(row)): \(cell) expected ▀ \(top) on \(bottom)") }
                }
            }
            // Nothing bleeds past the image: the line ends in a reset.
            for cell in cells.dropFirst(image.width) {
                XCTAssertEqual(cell.background, .default, "row \(row) past the image")
            }
        }
        XCTAssertEqual(mismatches, 0)
    }

    /// A downscaled photo-like frame goes through tmux and comes back cell
    /// for cell in exact 24-bit colour.
    func testTruecolorThroughTmux() throws {
        let image = TestImages.smoothField(width: 240, height: 160).resized(width: 60, height: 40)
        try checkThroughTmux(image, colors: .truecolor) { offset in
            .rgb(Int(image.pixels[offset]), Int(image.pixels[offset + 1]), Int(image.pixels[offset + 2]))
        }
    }

    /// Hard edges (runs of equal colours, where SGRs are skipped) survive too.
    func testTruecolorBlocksThroughTmux() throws {
        let image = TestImages.blocks(width: 48, height: 24, columns: 3, rows: 3)
        try checkThroughTmux(image, colors: .truecolor) { offset in
            .rgb(Int(image.pixels[offset]), Int(image.pixels[offset + 1]), Int(image.pixels[offset + 2]))
        }
    }

    /// 256 colours: each cell shows the palette entry nearest its pixels.
    func testAnsi256ThroughTmux() throws {
        let image = TestImages.gradient(width: 64, height: 40)
        try checkThroughTmux(image, colors: .ansi256) { offset in
            .indexed(XtermPalette.nearestIndex(red: image.pixels[offset], green: image.pixels[offset + 1],
                                               blue: image.pixels[offset + 2]))
        }
    }

    func testColoursAreOnlySentWhenTheyChange() {
        let flat = RGBImage(width: 30, height: 4, red: 1, green: 2, blue: 3)
        let text = String(decoding: HalfBlockEncoder.encode(flat, colors: .truecolor, origin: CellPosition(row: 5, column: 9)),
                          as: UTF8.self)
        XCTAssertEqual(text.components(separatedBy: "38;2;1;2;3").count - 1, 2, "one foreground per line")
        XCTAssertEqual(text.components(separatedBy: "48;2;1;2;3").count - 1, 2, "one background per line")
        XCTAssertTrue(text.hasPrefix("\u{1B}[5;9H"))
        XCTAssertTrue(text.contains("\u{1B}[6;9H"))
        XCTAssertEqual(text.components(separatedBy: "\u{1B}[0m").count - 1, 2, "reset at each line end")
        XCTAssertEqual(text.filter { $0 == "▀" }.count, 60)
    }

    func testOddHeightLeavesLastHalfOnDefaultBackground() {
        let text = String(decoding: HalfBlockEncoder.encode(RGBImage(width: 2, height: 3, red: 9, green: 9, blue: 9),
                                                            colors: .truecolor), as: UTF8.self)
        XCTAssertTrue(text.contains("\u{1B}[2;1H\u{1B}[49m\u{1B}[38;2;9;9;9m▀▀"), text.debugDescription)
    }
}

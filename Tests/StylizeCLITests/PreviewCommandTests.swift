import Foundation
import TerminalTestSupport
import XCTest

/// `stylize preview` drawn by a real terminal emulator (tmux) and read back.
final class PreviewCommandTests: CLITestCase {

    /// Six flat colour blocks (3 × 2) on a 192×96 picture.
    let blocks: [(Int, Int, Int)] = [(220, 40, 40), (40, 200, 60), (50, 60, 210), (230, 210, 50), (30, 190, 200), (200, 60, 190)]

    func makePicture() throws -> URL {
        var rgb = [UInt8](repeating: 0, count: 192 * 96 * 3)
        for y in 0..<96 {
            for x in 0..<192 {
                let (r, g, b) = blocks[(y / 48) * 3 + x / 64]
                rgb[(y * 192 + x) * 3] = UInt8(r); rgb[(y * 192 + x) * 3 + 1] = UInt8(g); rgb[(y * 192 + x) * 3 + 2] = UInt8(b)
            }
        }
        let raw = folder.appendingPathComponent("blocks.rgb"), png = folder.appendingPathComponent("blocks.png")
        try Data(rgb).write(to: raw)
        try CLIHarness.tool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                                       "-s", "192x96", "-i", raw.path, png.path])
        return png
    }

    /// At strength 0 the preview shows the picture itself: every half-block cell away from the
    /// block edges must carry its block's colour (within the rounding of 4:2:0 YUV on the way).
    func testTruecolorHalfBlocksShowThePictureColours() throws {
        let png = try makePicture()
        let env = "STYLIZE_PRESETS='\(CLIHarness.repositoryRoot.appendingPathComponent("Presets").path)' STYLIZE_STYLE=sketch"
        let session = try TmuxSession(command: "\(env) '\(CLIHarness.binary)' preview '\(png.path)' --preview-mode truecolor "
                                      + "--strength 0; sleep 30", columns: 60, rows: 30)
        let screen = try session.capture(timeout: 60) { $0.contains("q to close") }
        let picture = screen.rows.filter { $0.contains { $0.character == "▀" } }
        // 60 columns for a 2:1 picture → 60 × 30 half-block pixels = 15 rows of cells.
        XCTAssertEqual(picture.count, 15, "rows drawn")
        var checked = 0
        for (row, cells) in picture.enumerated() {
            XCTAssertEqual(cells.count, 60)
            for (column, cell) in cells.enumerated() {
                for (color, y) in [(cell.foreground, 2 * row), (cell.background, 2 * row + 1)] {
                    let (bx, by) = (Double(column) + 0.5, Double(y) + 0.5)   // in the 60×30 picture
                    // Skip pixels within one of a block edge (the area filter mixes across it).
                    if abs(bx - 20) < 1.5 || abs(bx - 40) < 1.5 || abs(by - 15) < 1.5 { continue }
                    let (r, g, b) = blocks[(by < 15 ? 0 : 3) + Int(bx / 20)]
                    guard case let .rgb(cr, cg, cb) = color else { XCTFail("cell \(column),\(row) has no truecolor"); continue }
                    XCTAssertLessThanOrEqual(max(abs(cr - r), abs(cg - g), abs(cb - b)), 8,
                                             "cell \(column),\(y): \(color) vs \((r, g, b))")
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 1000)
        try session.send(keys: "q")
        let after = try session.capture(timeout: 10) { !$0.contains("▀") }
        XCTAssertFalse(after.rows.contains { $0.contains { $0.character == "▀" } }, "q did not end the preview")
    }

    func testWithoutATerminalItSaysSo() throws {
        let result = try CLIHarness.run(["preview", try makePicture().path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(result.stderrLines.count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("terminal"), result.stderr)
    }
}

import XCTest
@testable import Terminal

final class PreviewModeTests: XCTestCase {
    func testDetectionTable() {
        let table: [([String: String], PreviewMode)] = [
            (["TERM": "xterm-kitty"], .kitty),
            (["TERM": "xterm-256color", "KITTY_WINDOW_ID": "1"], .kitty),
            (["TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm", "COLORTERM": "truecolor"], .kitty),
            (["TERM": "xterm-ghostty"], .kitty),
            (["TERM": "xterm-256color", "TERM_PROGRAM": "ghostty"], .kitty),
            (["TERM": "foot"], .sixel),
            (["TERM": "foot-extra", "COLORTERM": "truecolor"], .sixel),
            (["TERM": "mlterm"], .sixel),
            (["TERM": "xterm-sixel"], .sixel),
            (["TERM": "xterm-256color", "COLORTERM": "truecolor"], .truecolor),
            (["TERM": "xterm-256color", "COLORTERM": "24bit"], .truecolor),
            (["TERM": "xterm-256color"], .ansi256),     // plain xterm: sixel not trusted
            (["TERM": "xterm"], .ansi256),
            ([:], .ansi256),
            // Multiplexers: never graphics, whatever runs outside.
            (["TERM": "screen-256color", "TMUX": "/tmp/tmux-1000/default,1,0", "KITTY_WINDOW_ID": "1"], .ansi256),
            (["TERM": "tmux-256color", "COLORTERM": "truecolor", "KITTY_WINDOW_ID": "3"], .truecolor),
            (["TERM": "xterm-kitty", "TMUX": "/tmp/x,1,0", "COLORTERM": "truecolor"], .truecolor),
            (["TERM": "foot", "TMUX": "/tmp/x,1,0"], .ansi256),
            (["TERM": "screen", "STY": "1234.pts-0"], .ansi256),
            (["TERM": "xterm-256color", "TERM_PROGRAM": "tmux", "COLORTERM": "truecolor"], .truecolor),
        ]
        for (environment, expected) in table {
            XCTAssertEqual(PreviewMode.detect(environment: environment), expected, "\(environment)")
        }
    }

    func testRawValuesForTheCommandLine() {
        XCTAssertEqual(PreviewMode.allCases.map(\.rawValue), ["kitty", "sixel", "truecolor", "ansi256"])
        XCTAssertEqual(PreviewMode(rawValue: "sixel"), .sixel)
    }
}

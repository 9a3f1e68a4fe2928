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

    func testTheTerminalIsAskedOnlyWhereTheEnvironmentLeavesItOpen() {
        // (environment, the terminal's answer, expected mode, asked?)
        let table: [([String: String], Bool?, PreviewMode, Bool)] = [
            (["TERM": "xterm-256color"], true, .sixel, true),           // e.g. konsole, Windows Terminal
            (["TERM": "xterm", "COLORTERM": "truecolor"], true, .sixel, true),
            (["TERM": "xterm-256color", "COLORTERM": "truecolor"], false, .truecolor, true),
            (["TERM": "xterm-256color"], nil, .ansi256, true),          // no reply in time
            (["TERM": "xterm-kitty"], false, .kitty, false),            // known already
            (["TERM": "foot"], false, .sixel, false),
            (["TERM": "xterm-256color", "TMUX": "/tmp/x,1,0"], true, .ansi256, false),
            (["TERM": "screen-256color"], true, .ansi256, false),
            (["TERM": "linux"], true, .ansi256, false),                 // the console: not xterm-like
            ([:], true, .ansi256, false),
        ]
        for (environment, answer, expected, shouldAsk) in table {
            var asked = false
            let mode = PreviewMode.detect(environment: environment) { asked = true; return answer }
            XCTAssertEqual(mode, expected, "\(environment)")
            XCTAssertEqual(asked, shouldAsk, "asked? \(environment)")
        }
    }

    func testRawValuesForTheCommandLine() {
        XCTAssertEqual(PreviewMode.allCases.map(\.rawValue), ["kitty", "sixel", "truecolor", "ansi256"])
        XCTAssertEqual(PreviewMode(rawValue: "sixel"), .sixel)
    }
}

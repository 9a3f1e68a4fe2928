import XCTest
import Glibc
@testable import Terminal

final class KeyReaderTests: XCTestCase {
    private func localFlags(_ fileDescriptor: Int32) -> tcflag_t {
        var settings = termios()
        XCTAssertEqual(tcgetattr(fileDescriptor, &settings), 0)
        return settings.c_lflag
    }

    func testHotkeysArriveAndEscapeSequencesAreSkipped() throws {
        let (keyboard, terminal) = try PseudoTerminal.open()
        defer { close(keyboard); close(terminal) }
        XCTAssertNotEqual(localFlags(terminal) & tcflag_t(ICANON), 0, "starts canonical")

        let reader = KeyReader(input: terminal)
        XCTAssertTrue(reader.isActive)
        XCTAssertEqual(localFlags(terminal) & tcflag_t(ICANON | ECHO), 0, "raw: no line buffering, no echo")
        XCTAssertNotEqual(localFlags(terminal) & tcflag_t(ISIG), 0, "Ctrl-C still interrupts")

        // n, up arrow, +, F1 (SS3), -, Alt-x, space, q — no Enter needed.
        let typed = Array("n\u{1B}[A+\u{1B}OP-\u{1B}x t\u{1B}[1;5Cq".utf8)
        XCTAssertEqual(write(keyboard, typed, typed.count), typed.count)
        var keys: [Character] = []
        while let key = reader.poll(timeout: 0.5) { keys.append(key.character) }
        XCTAssertEqual(String(keys), "n+- tq")

        reader.restore()
        XCTAssertFalse(reader.isActive)
        XCTAssertNotEqual(localFlags(terminal) & tcflag_t(ICANON), 0, "restored")
        XCTAssertNotEqual(localFlags(terminal) & tcflag_t(ECHO), 0, "restored")
        reader.restore()   // idempotent
    }

    func testPollTimesOutWithNothingTyped() throws {
        let (keyboard, terminal) = try PseudoTerminal.open()
        defer { close(keyboard); close(terminal) }
        let reader = KeyReader(input: terminal)
        defer { reader.close() }
        let start = Date()
        XCTAssertNil(reader.poll(timeout: 0.1))
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 0.09)
    }

    func testNotATerminalDoesNothing() {
        var ends: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&ends), 0)
        defer { close(ends[0]); close(ends[1]) }
        _ = write(ends[1], "q", 1)
        let reader = KeyReader(input: ends[0])
        XCTAssertFalse(reader.isActive)
        XCTAssertNil(reader.poll(timeout: 0))
    }
}

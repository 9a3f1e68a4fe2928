import XCTest
import Glibc
@testable import Terminal

final class KeyReaderTests: XCTestCase {
    /// A pseudo-terminal: `terminal` behaves like stdin in a terminal, `keyboard` types into it.
    private func openPseudoTerminal() throws -> (keyboard: Int32, terminal: Int32) {
        // posix_openpt/grantpt/unlockpt aren't exported by Swift's Glibc: the
        // Linux ioctls underneath them (TIOCSPTLCK unlock, TIOCGPTN number) do the same.
        let keyboard = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        guard keyboard >= 0 else { throw XCTSkip("no /dev/ptmx") }
        var unlock: Int32 = 0, number: UInt32 = 0
        guard ioctl(keyboard, UInt(0x4004_5431), &unlock) == 0, ioctl(keyboard, UInt(0x8004_5430), &number) == 0 else {
            close(keyboard)
            throw XCTSkip("pseudo-terminal ioctls failed")
        }
        let terminal = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
        guard terminal >= 0 else { close(keyboard); throw XCTSkip("cannot open /dev/pts/\(number)") }
        return (keyboard, terminal)
    }

    private func localFlags(_ fileDescriptor: Int32) -> tcflag_t {
        var settings = termios()
        XCTAssertEqual(tcgetattr(fileDescriptor, &settings), 0)
        return settings.c_lflag
    }

    func testHotkeysArriveAndEscapeSequencesAreSkipped() throws {
        let (keyboard, terminal) = try openPseudoTerminal()
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
        let (keyboard, terminal) = try openPseudoTerminal()
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

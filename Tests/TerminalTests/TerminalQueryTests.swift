import XCTest
import Glibc
@testable import Terminal

final class TerminalQueryTests: XCTestCase {
    /// A fake terminal answering DA1 with `reply`, split across reads as a pty might.
    private func ask(reply: String, pieces: Int = 3) -> (answer: Bool?, sent: [UInt8]) {
        var sent: [UInt8] = []
        var pending = Array(reply.utf8)
        let pieceSize = max(1, pending.count / pieces + 1)
        let answer = TerminalQuery.supportsSixel(write: { sent += $0 }, read: { _ in
            guard !pending.isEmpty else { return nil }
            let piece = Array(pending.prefix(pieceSize))
            pending.removeFirst(piece.count)
            return piece
        }, timeout: 0.2)
        return (answer, sent)
    }

    func testSixelAttributeIsRecognised() {
        let (answer, sent) = ask(reply: "\u{1B}[?62;4;6;22c")
        XCTAssertEqual(sent, Array("\u{1B}[c".utf8))
        XCTAssertEqual(answer, true)
    }

    func testOtherAttributesAreNotSixel() {
        XCTAssertEqual(ask(reply: "\u{1B}[?62;22;42c").answer, false, "42 is not 4")
        XCTAssertEqual(ask(reply: "\u{1B}[?1;2c").answer, false)
        XCTAssertEqual(ask(reply: "q\u{1B}[A\u{1B}[?64;1;4c").answer, true, "keys typed before the reply are skipped")
    }

    func testNoReplyIsUnknown() {
        XCTAssertNil(ask(reply: "").answer)
        XCTAssertNil(ask(reply: "\u{1B}[?62;4").answer, "incomplete")
    }

    /// The round trip on a pseudo-terminal: the request arrives on the terminal's side, the
    /// reply (typed back as a terminal sends it) is read in non-canonical mode — no Enter —
    /// and the settings are put back afterwards.
    func testRoundTripOnAPseudoTerminal() throws {
        let (keyboard, terminal) = try PseudoTerminal.open()
        defer { close(keyboard); close(terminal) }
        let replier = Thread {
            var request = [UInt8](repeating: 0, count: 16)
            var ready = pollfd(fd: keyboard, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 2000) > 0 else { return }
            let count = read(keyboard, &request, request.count)
            guard count > 0, Array(request[0..<count]) == TerminalQuery.deviceAttributesRequest else { return }
            let reply = Array("\u{1B}[?65;1;4;9c".utf8)
            _ = write(keyboard, reply, reply.count)
        }
        replier.start()
        XCTAssertEqual(TerminalQuery.supportsSixel(input: terminal, output: terminal, timeout: 2), true)
        var settings = termios()
        XCTAssertEqual(tcgetattr(terminal, &settings), 0)
        XCTAssertNotEqual(settings.c_lflag & tcflag_t(ICANON), 0, "canonical mode restored")
    }

    func testSilentPseudoTerminalIsUnknownAndNotATerminalIsNotAsked() throws {
        let (keyboard, terminal) = try PseudoTerminal.open()
        defer { close(keyboard); close(terminal) }
        XCTAssertNil(TerminalQuery.supportsSixel(input: terminal, output: terminal, timeout: 0.1))
        var pipeEnds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&pipeEnds), 0)
        defer { close(pipeEnds[0]); close(pipeEnds[1]) }
        XCTAssertNil(TerminalQuery.supportsSixel(input: pipeEnds[0], output: pipeEnds[1], timeout: 0.1))
        var sent = [UInt8](repeating: 0, count: 8)
        _ = fcntl(pipeEnds[0], F_SETFL, O_NONBLOCK)
        XCTAssertLessThanOrEqual(read(pipeEnds[0], &sent, sent.count), 0, "nothing is sent when the input is not a terminal")
    }
}

import XCTest
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
}

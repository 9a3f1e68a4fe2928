import XCTest
import Glibc
@testable import Terminal

final class FileDescriptorWriterTests: XCTestCase {
    /// A non-blocking pipe takes 64 KiB at a time and then answers EAGAIN:
    /// a 1 MiB frame must still arrive whole and in order.
    func testNonBlockingPipeGetsEveryByte() {
        var ends: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&ends), 0)
        XCTAssertEqual(fcntl(ends[1], F_SETFL, fcntl(ends[1], F_GETFL) | O_NONBLOCK), 0)
        let reader = TerminalPreviewTests.SlowReader(fileDescriptor: ends[0], delayPerRead: 500)
        let payload = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 * 31 + $0 >> 9) }
        let result = FileDescriptorWriter.writeAll(payload, to: ends[1])
        close(ends[1])
        let received = reader.waitForEOFBytes()
        if case .failure(let failure) = result { XCTFail("\(failure)") }
        XCTAssertEqual(received.count, payload.count)
        XCTAssertTrue(received == payload, "bytes arrive intact and in order")
    }

    func testGoneReaderIsClosed() {
        signal(SIGPIPE, SIG_IGN)
        var ends: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&ends), 0)
        close(ends[0])
        defer { close(ends[1]) }
        guard case .failure(.closed) = FileDescriptorWriter.writeAll([1, 2, 3], to: ends[1]) else {
            return XCTFail("EPIPE is reported as .closed")
        }
        guard case .success = FileDescriptorWriter.writeAll([], to: ends[1]) else {
            return XCTFail("nothing to write is no failure")
        }
    }
}

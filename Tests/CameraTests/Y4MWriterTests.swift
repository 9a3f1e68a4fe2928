@testable import Camera
import CameraTestSupport
import XCTest

final class Y4MWriterTests: XCTestCase {
    private let (width, height) = (64, 48)
    private var frameBytes: Int { width * height * 3 / 2 }

    private func makePipe() -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        return (fds[0], fds[1])
    }

    private func readAll(_ fd: Int32) -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            result += chunk[..<count]
        }
        return result
    }

    func testHeaderAndFrameLayout() throws {
        let pipe = makePipe()
        let writer = Y4MWriter(fileDescriptor: pipe.write, width: width, height: height, frameRate: (30, 1), closesDescriptor: true)
        try write(FakeTestPattern.i420(width: width, height: height, frameNumber: 1), width: width, height: height, to: writer)
        try write(FakeTestPattern.i420(width: width, height: height, frameNumber: 2), width: width, height: height, to: writer)
        writer.close()
        let stream = readAll(pipe.read)
        Glibc.close(pipe.read)

        let header = "YUV4MPEG2 W64 H48 F30:1 Ip A1:1 C420jpeg\n"
        XCTAssertEqual(writer.header, header)
        XCTAssertEqual(stream.count, header.utf8.count + 2 * ("FRAME\n".utf8.count + frameBytes))
        XCTAssertEqual(String(decoding: stream.prefix(header.utf8.count), as: UTF8.self), header)
        var offset = header.utf8.count
        for frameNumber in 1...2 {
            XCTAssertEqual(String(decoding: stream[offset..<offset + 6], as: UTF8.self), "FRAME\n")
            offset += 6
            let planes = Array(stream[offset..<offset + frameBytes])
            offset += frameBytes
            XCTAssertEqual(planes, FakeTestPattern.i420(width: width, height: height, frameNumber: frameNumber))
        }
    }

    func testClosedReaderIsAnErrorValue() {
        signal(SIGPIPE, SIG_IGN)   // as the CLI must do before writing to stdout
        let pipe = makePipe()
        Glibc.close(pipe.read)
        let writer = Y4MWriter(fileDescriptor: pipe.write, width: width, height: height, closesDescriptor: true)
        let error = cameraError { () throws(CameraError) in
            try write([UInt8](repeating: 0, count: 64 * 48 * 3 / 2), width: 64, height: 48, to: writer)
        }
        XCTAssertEqual(error, .outputClosed)
        XCTAssertEqual(error?.errno, EPIPE)
        writer.close()
    }

    func testShortWritesAndInterruptionsAreRetried() throws {
        final class Collector: @unchecked Sendable { var bytes: [UInt8] = []; var calls = 0 }
        let collector = Collector()
        let writer = Y4MWriter(fileDescriptor: 99, width: width, height: height, frameRate: (30000, 1001), closesDescriptor: false) {
            (_: Int32, buffer: UnsafeRawBufferPointer) throws(SystemErrno) -> Int in
            collector.calls += 1
            if collector.calls % 3 == 0 { throw .interrupted }
            let taken = min(1000, buffer.count)
            collector.bytes += buffer.prefix(taken)
            return taken
        }
        let i420 = FakeTestPattern.i420(width: width, height: height, frameNumber: 3)
        try write(i420, width: width, height: height, to: writer)
        let expected = Array("YUV4MPEG2 W64 H48 F30000:1001 Ip A1:1 C420jpeg\nFRAME\n".utf8) + i420
        XCTAssertEqual(collector.bytes, expected)
    }
}

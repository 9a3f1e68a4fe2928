@testable import Camera
import XCTest

/// `V4L2Driver.system` on this machine, which has no V4L2 devices: the calls
/// still go through libv4l2, which passes non-V4L2 descriptors through to
/// the plain system calls.
final class SystemDriverTests: XCTestCase {
    func testMissingDeviceIsNotFound() {
        let error = cameraError { () throws(CameraError) in try CaptureDevice(path: "/nonexistent/video0") }
        XCTAssertEqual(error, .notFound(path: "/nonexistent/video0"))
        let output = cameraError { () throws(CameraError) in try LoopbackOutput(path: "/nonexistent/video10", width: 64, height: 48) }
        XCTAssertTrue(output?.description.contains("sudo modprobe v4l2loopback") ?? false)
    }

    /// A real ioctl on a real descriptor: the kernel answers ENOTTY.
    func testNonV4L2NodeIsRefused() {
        let error = cameraError { () throws(CameraError) in try CaptureDevice(path: "/dev/null") }
        XCTAssertEqual(error, .notACaptureDevice(path: "/dev/null", card: "not a V4L2 device"))
        let output = cameraError { () throws(CameraError) in try LoopbackOutput(path: "/dev/null", width: 64, height: 48) }
        XCTAssertEqual(output, .notAnOutputDevice(path: "/dev/null", card: "not a V4L2 device"))
    }

    func testPollReadAndWritePassThrough() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        defer { Glibc.close(fds[0]); Glibc.close(fds[1]) }
        let driver = V4L2Driver.system
        XCTAssertEqual(try driver.poll(fds[0], Int16(POLLIN), 0), 0)
        let message: [UInt8] = Array("frame".utf8)
        XCTAssertEqual(try message.withUnsafeBytes { try driver.write(fds[1], $0) }, 5)
        XCTAssertEqual(try driver.poll(fds[0], Int16(POLLIN), 100) & Int16(POLLIN), Int16(POLLIN))
        var received = [UInt8](repeating: 0, count: 16)
        let count = try received.withUnsafeMutableBytes { try driver.read(fds[0], $0) }
        XCTAssertEqual(Array(received[..<count]), message)
        XCTAssertThrowsError(try driver.close(-1)) { XCTAssertEqual($0 as? SystemErrno, .badFileDescriptor) }
    }
}

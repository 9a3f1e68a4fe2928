@testable import Camera
import CameraTestSupport
import XCTest

final class LoopbackOutputTests: XCTestCase {
    private let pattern = FakeTestPattern.rgb(width: 320, height: 240, frameNumber: 42)

    func testWritesYUYVFrames() throws {
        let kernel = makeKernel()
        let output = try LoopbackOutput(path: "/dev/video10", width: 320, height: 240, framesPerSecond: 30, driver: kernel.driver)
        XCTAssertEqual(output.frameBytes, 320 * 240 * 2)
        XCTAssertEqual(output.framesPerSecond, 30)
        try output.write(rgb: pattern, width: 320, height: 240)
        try output.write(rgb: pattern, width: 320, height: 240)

        let frames = kernel.writtenFrames(on: "/dev/video10")
        XCTAssertEqual(frames.count, 2)
        let frame = try XCTUnwrap(frames.first)
        XCTAssertEqual(frame.pixelFormat, .yuyv)
        XCTAssertEqual([frame.width, frame.height, frame.bytesPerLine], [320, 240, 640])
        XCTAssertEqual(frame.bytes.count, 320 * 240 * 2)
        let back = PixelConversion.yuyvToRGB(frame.bytes, width: 320, height: 240)
        XCTAssertLessThanOrEqual(maximumDifference(back, pattern), 3)
        XCTAssertEqual(FakeTestPattern.frameNumber(inRGB: back, width: 320, height: 240), 42)
        output.close()
        XCTAssertEqual(kernel.openDescriptorCount, 0)
    }

    func testWritesI420Frames() throws {
        let kernel = makeKernel()
        let output = try LoopbackOutput(path: "/dev/video10", width: 320, height: 240, format: .i420, driver: kernel.driver)
        try output.write(rgb: pattern, width: 320, height: 240)
        let frame = try XCTUnwrap(kernel.writtenFrames(on: "/dev/video10").first)
        XCTAssertEqual(frame.pixelFormat, .yuv420)
        XCTAssertEqual(frame.bytes.count, 320 * 240 * 3 / 2)
        XCTAssertLessThanOrEqual(maximumDifference(PixelConversion.i420ToRGB(frame.bytes, width: 320, height: 240), pattern), 3)
    }

    /// The pipeline hands over I420 planes: the YUYV sent must match the one made from RGB
    /// (same chroma rows for both lines of a pair), and I420 goes out untouched.
    func testWritesFramesGivenAsI420() throws {
        let i420 = PixelConversion.rgbToI420(pattern, width: 320, height: 240)
        let kernel = makeKernel()
        let yuyv = try LoopbackOutput(path: "/dev/video10", width: 320, height: 240, driver: kernel.driver)
        try i420.withUnsafeBytes { try yuyv.write(i420: $0, width: 320, height: 240) }
        let sent = try XCTUnwrap(kernel.writtenFrames(on: "/dev/video10").last)
        XCTAssertLessThanOrEqual(maximumDifference(PixelConversion.yuyvToRGB(sent.bytes, width: 320, height: 240), pattern), 4)
        for y in [0, 1, 117, 239] {   // chroma of rows 2k and 2k+1 both come from I420 chroma row k
            let u = sent.bytes[y * 640 + 2 * 0 + 1], expected = i420[320 * 240 + (y / 2) * 160]
            XCTAssertEqual(u, expected, "row \(y)")
        }
        yuyv.close()
        let planar = try LoopbackOutput(path: "/dev/video10", width: 320, height: 240, format: .i420, driver: kernel.driver)
        try i420.withUnsafeBytes { try planar.write(i420: $0, width: 320, height: 240) }
        XCTAssertEqual(kernel.writtenFrames(on: "/dev/video10").last?.bytes, i420)
        XCTAssertThrowsError(try i420.withUnsafeBytes { try planar.write(i420: UnsafeRawBufferPointer(rebasing: $0[0..<1000]), width: 320, height: 240) })
    }

    func testFindsTheLoopbackNode() {
        let kernel = makeKernel()
        XCTAssertEqual(LoopbackOutput.findDevice(driver: kernel.driver, candidates: (0..<12).map { "/dev/video\($0)" }), "/dev/video10")
        XCTAssertNil(LoopbackOutput.findDevice(driver: kernel.driver, candidates: ["/dev/video0", "/dev/video3"]))
    }

    func testRefusesNodesThatAreNotOutputsWithTheModprobeHint() {
        let kernel = makeKernel()
        for path in ["/dev/video0", "/dev/video9"] {
            let error = cameraError { () throws(CameraError) in
                try LoopbackOutput(path: path, width: 320, height: 240, driver: kernel.driver)
            }
            guard case .notAnOutputDevice = error else { return XCTFail("\(path): \(String(describing: error))") }
            XCTAssertTrue(error!.description.contains("sudo modprobe v4l2loopback exclusive_caps=1 card_label=\"Stylize\""))
        }
        XCTAssertEqual(kernel.openDescriptorCount, 0)
    }

    func testSecondWriterIsBusy() throws {
        let kernel = makeKernel()
        let first = try LoopbackOutput(path: "/dev/video10", width: 320, height: 240, driver: kernel.driver)
        let error = cameraError { () throws(CameraError) in
            try LoopbackOutput(path: "/dev/video10", width: 320, height: 240, driver: kernel.driver)
        }
        // With exclusive_caps=1 a node with a writer presents itself as a capture device.
        XCTAssertEqual(error, .busy(path: "/dev/video10"))
        first.close()
        XCTAssertNoThrow(try LoopbackOutput(path: "/dev/video10", width: 320, height: 240, driver: kernel.driver))
    }

    func testWrongFrameSizeAndUnplug() throws {
        let kernel = makeKernel()
        let output = try LoopbackOutput(path: "/dev/video10", width: 320, height: 240, driver: kernel.driver)
        XCTAssertEqual(cameraError { () throws(CameraError) in try output.write(rgb: pattern, width: 240, height: 320) },
                       .frameSizeMismatch(expected: "320×240", got: "240×320"))
        kernel.unplug("/dev/video10")
        XCTAssertEqual(cameraError { () throws(CameraError) in try output.write(rgb: pattern, width: 320, height: 240) },
                       .unplugged(path: "/dev/video10"))
        output.close()
        XCTAssertEqual(kernel.openDescriptorCount, 0)
    }

    /// The fake takes whole frames only, as our writer must send them.
    func testFakeLoopbackWriteSemantics() throws {
        let kernel = makeKernel()
        let driver = kernel.driver
        let handle = try V4L2Handle.open("/dev/video10", flags: O_RDWR, driver: driver)
        defer { handle.close() }
        let bytes = [UInt8](repeating: 7, count: 16 * 8 * 2 + 10)
        // No format yet: EINVAL.
        XCTAssertThrowsError(try bytes.withUnsafeBytes { try driver.write(handle.fd, $0) })
        let format = try handle.setFormat(type: outputBufferType, pixelFormat: .yuyv, width: 15, height: 8)
        XCTAssertEqual(format.width, 14)   // YUYV needs an even width
        let frameSize = Int(format.sizeimage)
        XCTAssertEqual(try bytes.withUnsafeBytes { try driver.write(handle.fd, $0) }, frameSize)   // short: extra bytes left
        XCTAssertThrowsError(try bytes.withUnsafeBytes { try driver.write(handle.fd, UnsafeRawBufferPointer(rebasing: $0[..<10])) })
        XCTAssertEqual(kernel.writtenFrames().count, 1)

        // A second descriptor may not change the format or write while this one is the writer.
        let other = try V4L2Handle.open("/dev/video10", flags: O_RDWR, driver: driver)
        defer { other.close() }
        XCTAssertThrowsError(try other.setFormat(type: outputBufferType, pixelFormat: .yuyv, width: 16, height: 8)) {
            XCTAssertEqual($0 as? SystemErrno, .busy)
        }
        XCTAssertThrowsError(try bytes.withUnsafeBytes { try driver.write(other.fd, $0) }) {
            XCTAssertEqual($0 as? SystemErrno, .busy)
        }
    }
}

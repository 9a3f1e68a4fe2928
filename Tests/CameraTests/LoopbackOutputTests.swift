@testable import Camera
import CameraTestSupport
import XCTest

final class LoopbackOutputTests: XCTestCase {
    private let pattern = FakeTestPattern.i420(width: 320, height: 240, frameNumber: 42)

    /// The fake camera's YUYV rendering of the same pattern: what I420 → YUYV must give exactly.
    private func patternAsYUYV(width: Int = 320, height: Int = 240, frameNumber: Int = 42) -> [UInt8] {
        var yuyv = [UInt8](repeating: 0, count: width * height * 2)
        yuyv.withUnsafeMutableBytes {
            _ = FakeTestPattern.render(into: $0.baseAddress!, capacity: $0.count, pixelFormat: .yuyv, width: width,
                                       height: height, bytesPerLine: width * 2, frameNumber: frameNumber)
        }
        return yuyv
    }

    func testWritesYUYVFrames() throws {
        let kernel = makeKernel()
        let output = try LoopbackOutput(path: "/dev/video10", width: 320, height: 240, framesPerSecond: 30, driver: kernel.driver)
        XCTAssertEqual(output.frameBytes, 320 * 240 * 2)
        XCTAssertEqual(output.framesPerSecond, 30)
        try write(pattern, to: output)
        try write(pattern, to: output)

        let frames = kernel.writtenFrames(on: "/dev/video10")
        XCTAssertEqual(frames.count, 2)
        let frame = try XCTUnwrap(frames.first)
        XCTAssertEqual(frame.pixelFormat, .yuyv)
        XCTAssertEqual([frame.width, frame.height, frame.bytesPerLine], [320, 240, 640])
        XCTAssertEqual(frame.bytes, patternAsYUYV())
        output.close()
        XCTAssertEqual(kernel.openDescriptorCount, 0)
    }

    func testWritesI420FramesUntouched() throws {
        let kernel = makeKernel()
        let output = try LoopbackOutput(path: "/dev/video10", width: 320, height: 240, format: .i420, driver: kernel.driver)
        try write(pattern, to: output)
        let frame = try XCTUnwrap(kernel.writtenFrames(on: "/dev/video10").first)
        XCTAssertEqual(frame.pixelFormat, .yuv420)
        XCTAssertEqual(frame.bytes, pattern)
        XCTAssertEqual(FakeTestPattern.frameNumber(inI420: frame.bytes, width: 320, height: 240), 42)
    }

    /// Planes with row padding (as FFmpeg's frames have) go out tightly packed, both ways.
    func testPaddedPlanesArePacked() throws {
        let (width, height, padding) = (320, 240, 24)
        var padded = [UInt8](repeating: 0xEE, count: (width + padding) * height + 2 * (width / 2 + padding) * (height / 2))
        let chromaStart = (width + padding) * height, chromaPlane = (width / 2 + padding) * (height / 2)
        for y in 0..<height {
            for x in 0..<width { padded[y * (width + padding) + x] = pattern[y * width + x] }
        }
        for y in 0..<(height / 2) {
            for x in 0..<(width / 2) {
                padded[chromaStart + y * (width / 2 + padding) + x] = pattern[width * height + y * width / 2 + x]
                padded[chromaStart + chromaPlane + y * (width / 2 + padding) + x] = pattern[width * height * 5 / 4 + y * width / 2 + x]
            }
        }
        let kernel = makeKernel()
        for format in [LoopbackOutput.Format.yuyv, .i420] {
            let output = try LoopbackOutput(path: "/dev/video10", width: width, height: height, format: format, driver: kernel.driver)
            try padded.withUnsafeBufferPointer { bytes in
                let base = bytes.baseAddress!
                try output.write(I420Planes(width: width, height: height, y: base, yStride: width + padding,
                                            u: base + chromaStart, uStride: width / 2 + padding,
                                            v: base + chromaStart + chromaPlane, vStride: width / 2 + padding))
            }
            output.close()
            XCTAssertEqual(kernel.writtenFrames(on: "/dev/video10").last?.bytes, format == .yuyv ? patternAsYUYV() : pattern)
        }
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
        XCTAssertEqual(cameraError { () throws(CameraError) in try write(pattern, width: 240, height: 320, to: output) },
                       .frameSizeMismatch(expected: "320×240", got: "240×320"))
        kernel.unplug("/dev/video10")
        XCTAssertEqual(cameraError { () throws(CameraError) in try write(pattern, to: output) },
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

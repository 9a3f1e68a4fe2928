@testable import Camera
import CameraTestSupport
import CV4L2
import XCTest

/// The fake's kernel semantics, through the same typed ioctls the devices use.
final class FakeKernelTests: XCTestCase {
    private var kernel: FakeV4L2Kernel!
    private var handle: V4L2Handle!

    override func setUpWithError() throws {
        kernel = makeKernel()
        handle = try V4L2Handle.open("/dev/video0", flags: O_RDWR | O_NONBLOCK, driver: kernel.driver)
    }

    override func tearDown() {
        handle.close()
        XCTAssertEqual(kernel.openDescriptorCount, 0)
    }

    private func expect(_ expected: SystemErrno, file: StaticString = #filePath, line: UInt = #line,
                        _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("expected \(expected)", file: file, line: line)
        } catch {
            XCTAssertEqual(error as? SystemErrno, expected, file: file, line: line)
        }
    }

    func testQueryCapAndFormatEnumeration() throws {
        let capabilities = try handle.queryCapabilities()
        XCTAssertEqual(capabilities.driverName, "uvcvideo")
        XCTAssertTrue(capabilities.has(V4L2_CAP_VIDEO_CAPTURE) && capabilities.has(V4L2_CAP_STREAMING))
        let formats = try handle.enumerateFormats(type: captureBufferType)   // stops at EINVAL
        XCTAssertEqual(formats.map(\.pixelFormat), [.yuyv, .mjpeg, .nv12, .rgb24])
        XCTAssertEqual(formats.map(\.isEmulated), [false, false, false, true])
        XCTAssertEqual(formats.map(\.isCompressed), [false, true, false, false])
        XCTAssertEqual(try handle.enumerateFrameSizes(.yuyv), [FrameSize(width: 640, height: 480), FrameSize(width: 320, height: 240)])
        var past = v4l2_fmtdesc()
        past.index = 4
        past.type = captureBufferType
        expect(.invalidArgument) { try handle.ioctl(STYLIZE_VIDIOC_ENUM_FMT, &past) }
    }

    func testSetFormatSubstitutesInsteadOfFailing() throws {
        let substituted = try handle.setFormat(type: captureBufferType, pixelFormat: .h264, width: 300, height: 200)
        XCTAssertEqual(PixelFormat(rawValue: substituted.pixelformat), .yuyv)
        XCTAssertEqual([substituted.width, substituted.height], [320, 240])
        XCTAssertEqual(substituted.bytesperline, 640)
        XCTAssertEqual(substituted.sizeimage, 320 * 240 * 2)
        let nv12 = try handle.setFormat(type: captureBufferType, pixelFormat: .nv12, width: 640, height: 480)
        XCTAssertEqual(nv12.sizeimage, 640 * 480 * 3 / 2)
        expect(.invalidArgument) { _ = try handle.setFormat(type: outputBufferType, pixelFormat: .yuyv, width: 640, height: 480) }
    }

    func testFrameRateIsClampedToSupportedRates() throws {
        XCTAssertEqual(try handle.setFrameRate(type: captureBufferType, framesPerSecond: 100), 30)
        XCTAssertEqual(try handle.setFrameRate(type: captureBufferType, framesPerSecond: 1), 5)
    }

    func testBufferCountIsClamped() throws {
        XCTAssertEqual(try handle.requestBuffers(type: captureBufferType, count: 1), 2)
        XCTAssertEqual(try handle.requestBuffers(type: captureBufferType, count: 100), 32)
        XCTAssertEqual(try handle.requestBuffers(type: captureBufferType, count: 0), 0)
    }

    func testBufferStateErrors() throws {
        _ = try handle.requestBuffers(type: captureBufferType, count: 2)
        // Format changes are refused while buffers exist.
        expect(.busy) { _ = try handle.setFormat(type: captureBufferType, pixelFormat: .yuyv, width: 320, height: 240) }
        expect(.invalidArgument) { try handle.queueBuffer(type: captureBufferType, index: 2) }
        try handle.queueBuffer(type: captureBufferType, index: 0)
        expect(.invalidArgument) { try handle.queueBuffer(type: captureBufferType, index: 0) }
        // Not streaming yet: DQBUF is EINVAL, not EAGAIN.
        expect(.invalidArgument) { _ = try handle.dequeueBuffer(type: captureBufferType) }
        XCTAssertEqual(try kernel.driver.poll(handle.fd, Int16(POLLIN), 0), Int16(POLLERR))
        try handle.streamOn(type: captureBufferType)
        XCTAssertNil(try handle.dequeueBuffer(type: captureBufferType))   // EAGAIN
        XCTAssertEqual(try kernel.driver.poll(handle.fd, Int16(POLLIN), 10), 0)
        kernel.produceFrames(1)
        XCTAssertEqual(try kernel.driver.poll(handle.fd, Int16(POLLIN), 10), Int16(POLLIN))
        let buffer = try XCTUnwrap(handle.dequeueBuffer(type: captureBufferType))
        XCTAssertEqual(buffer.index, 0)
        XCTAssertEqual(buffer.bytesUsed, 640 * 480 * 2)
    }

    func testMappedBuffersBlockReallocationAndStreamOffReturnsThem() throws {
        XCTAssertEqual(try handle.requestBuffers(type: captureBufferType, count: 2), 2)
        let (offset, length) = try handle.queryBuffer(type: captureBufferType, index: 1)
        XCTAssertEqual(length, 640 * 480 * 2)
        let address = try kernel.driver.mmap(length, PROT_READ | PROT_WRITE, MAP_SHARED, handle.fd, offset)
        expect(.busy) { _ = try handle.requestBuffers(type: captureBufferType, count: 4) }
        expect(.invalidArgument) { _ = try kernel.driver.mmap(length, PROT_READ, MAP_SHARED, handle.fd, offset + 1) }

        try handle.queueBuffer(type: captureBufferType, index: 0)
        try handle.queueBuffer(type: captureBufferType, index: 1)
        try handle.streamOn(type: captureBufferType)
        kernel.produceFrames(2)
        expect(.busy) { _ = try handle.requestBuffers(type: captureBufferType, count: 0) }   // streaming
        try handle.streamOff(type: captureBufferType)
        // Both buffers, done before STREAMOFF, are the application's again.
        try handle.queueBuffer(type: captureBufferType, index: 0)
        try handle.queueBuffer(type: captureBufferType, index: 1)

        try kernel.driver.munmap(address, length)
        XCTAssertEqual(try handle.requestBuffers(type: captureBufferType, count: 0), 0)
        XCTAssertEqual(kernel.liveBufferCount, 0)
    }

    func testOnlyTheQueueOwnerMayStream() throws {
        _ = try handle.requestBuffers(type: captureBufferType, count: 2)
        let other = try V4L2Handle.open("/dev/video0", flags: O_RDWR | O_NONBLOCK, driver: kernel.driver)
        defer { other.close() }
        XCTAssertNoThrow(try other.queryCapabilities())   // opening and querying are fine
        expect(.busy) { _ = try other.requestBuffers(type: captureBufferType, count: 2) }
        expect(.busy) { try other.streamOn(type: captureBufferType) }
    }

    func testUnpluggedDeviceFailsEveryCallWithENODEV() throws {
        kernel.unplug("/dev/video0")
        expect(.noDevice) { _ = try handle.queryCapabilities() }
        XCTAssertEqual(try kernel.driver.poll(handle.fd, Int16(POLLIN), 0) & Int16(POLLERR), Int16(POLLERR))
        expect(.noEntry) { _ = try kernel.driver.open("/dev/video0", O_RDWR) }
    }
}

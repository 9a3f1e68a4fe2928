@testable import Camera
import CameraTestSupport
import XCTest

final class CaptureDeviceTests: XCTestCase {
    private typealias Size = FakeCameraFormat.Size

    func testStreamsTheTestPatternAndStopsCleanly() throws {
        let kernel = makeKernel()
        let camera = try CaptureDevice(path: "/dev/video0", width: 320, height: 240, framesPerSecond: 30, driver: kernel.driver)
        XCTAssertEqual(camera.pixelFormat, .yuyv)
        XCTAssertEqual(camera.cardName, "Fake UVC Camera")
        XCTAssertEqual(kernel.mappedBufferCount, 4)

        kernel.produceFrames(1)
        let first = try XCTUnwrap(camera.nextFrame(timeout: 0.1))
        XCTAssertEqual(first.width, 320)
        XCTAssertEqual(first.height, 240)
        XCTAssertEqual(first.layout, .i420)
        XCTAssertEqual(first.pixels.count, 320 * 240 * 3 / 2)
        XCTAssertEqual(first.sequence, 0)
        XCTAssertEqual(first.dropped, 0)
        // YUYV → I420 is a repack: the pattern's samples come through exactly.
        XCTAssertEqual(first.pixels, FakeTestPattern.i420(width: 320, height: 240, frameNumber: 0))

        kernel.produceFrames(1)
        let second = try XCTUnwrap(camera.nextFrame(timeout: 0.1))
        XCTAssertEqual(second.sequence, 1)
        XCTAssertEqual(FakeTestPattern.frameNumber(inI420: second.pixels, width: 320, height: 240), 1)
        XCTAssertEqual(second.timestamp - first.timestamp, 1.0 / 30, accuracy: 0.001)

        camera.close()
        XCTAssertTrue(kernel.ioctlNames.contains("VIDIOC_STREAMOFF"))
        XCTAssertEqual(kernel.openDescriptorCount, 0)
        XCTAssertEqual(kernel.mappedBufferCount, 0)
        XCTAssertEqual(kernel.liveBufferCount, 0)
        camera.close()   // twice is harmless
    }

    func testReleasingTheDeviceWithoutCloseCleansUp() throws {
        let kernel = makeKernel()
        do {
            let camera = try CaptureDevice(width: 320, height: 240, driver: kernel.driver)
            kernel.produceFrames(2)
            _ = try camera.nextFrame(timeout: 0.1)
        }
        XCTAssertEqual(kernel.openDescriptorCount, 0)
        XCTAssertEqual(kernel.liveBufferCount, 0)
    }

    func testCameraWithoutYUYVUsesNV12() throws {
        let kernel = makeKernel(formats: [
            FakeCameraFormat(.mjpeg, sizes: [Size(640, 480)]),
            FakeCameraFormat(.nv12, sizes: [Size(320, 240), Size(160, 120)]),
        ])
        let camera = try CaptureDevice(width: 320, height: 240, driver: kernel.driver)
        XCTAssertEqual(camera.pixelFormat, .nv12)
        kernel.produceFrames(1)
        let frame = try XCTUnwrap(camera.nextFrame(timeout: 0.1))
        XCTAssertEqual(frame.layout, .i420)
        XCTAssertEqual(frame.pixels, FakeTestPattern.i420(width: 320, height: 240, frameNumber: 0))
    }

    func testMJPEGCameraUsesLibv4l2sEmulatedRGB24() throws {
        let kernel = makeKernel(formats: [
            FakeCameraFormat(.mjpeg, sizes: [Size(1280, 720), Size(320, 240)]),
            FakeCameraFormat(.rgb24, sizes: [Size(1280, 720), Size(320, 240)], isEmulated: true),
        ])
        let camera = try CaptureDevice(width: 320, height: 240, driver: kernel.driver)
        XCTAssertEqual(camera.pixelFormat, .rgb24)
        kernel.produceFrames(1)
        let frame = try XCTUnwrap(camera.nextFrame(timeout: 0.1))
        XCTAssertEqual(frame.layout, .rgb24)
        XCTAssertEqual(frame.pixels, FakeTestPattern.rgb(width: 320, height: 240, frameNumber: 0))
    }

    func testMJPEGOnlyCameraIsAClearError() {
        let kernel = makeKernel(formats: [FakeCameraFormat(.mjpeg, sizes: [Size(640, 480)])])
        let error = cameraError { () throws(CameraError) in try CaptureDevice(driver: kernel.driver) }
        XCTAssertEqual(error, .noUsableFormat(path: "/dev/video0", offered: ["MJPG"]))
        XCTAssertTrue(error?.description.contains("need YUYV, NV12 or RGB24") ?? false)
        XCTAssertEqual(kernel.openDescriptorCount, 0)
    }

    func testSizeAdjustsToTheNearestOffered() throws {
        let yuyvOnly = makeKernel(formats: [FakeCameraFormat(.yuyv, sizes: [Size(640, 480), Size(320, 240)])])
        let small = try CaptureDevice(width: 1000, height: 700, driver: yuyvOnly.driver)
        XCTAssertEqual([small.width, small.height], [640, 480])

        // The typical webcam reaches 1280×720 only through MJPEG, i.e. emulated RGB24.
        let webcam = makeKernel()
        let large = try CaptureDevice(width: 1000, height: 700, driver: webcam.driver)
        XCTAssertEqual([large.width, large.height], [1280, 720])
        XCTAssertEqual(large.pixelFormat, .rgb24)
    }

    func testFrameRateIsSetAndReadBack() throws {
        let kernel = makeKernel()
        let camera = try CaptureDevice(width: 320, height: 240, framesPerSecond: 20, driver: kernel.driver)
        XCTAssertEqual(camera.framesPerSecond, 15)   // offered: 30, 15, 5
        XCTAssertTrue(kernel.ioctlNames.contains("VIDIOC_S_PARM"))
        kernel.produceFrames(1)
        let first = try XCTUnwrap(camera.nextFrame(timeout: 0.1))
        kernel.produceFrames(1)
        let second = try XCTUnwrap(camera.nextFrame(timeout: 0.1))
        XCTAssertEqual(second.timestamp - first.timestamp, 1.0 / 15, accuracy: 0.001)
    }

    func testNewestFrameWinsAndOlderBuffersAreRequeued() throws {
        let kernel = makeKernel()
        let camera = try CaptureDevice(width: 320, height: 240, bufferCount: 4, driver: kernel.driver)
        kernel.produceFrames(3)
        let frame = try XCTUnwrap(camera.nextFrame(timeout: 0.1))
        XCTAssertEqual(frame.sequence, 2)
        XCTAssertEqual(FakeTestPattern.frameNumber(inI420: frame.pixels, width: 320, height: 240), 2)
        XCTAssertEqual(frame.dropped, 2)
        XCTAssertEqual(camera.droppedFrames, 2)

        // All four buffers are back with the driver: four frames fit without loss.
        kernel.produceFrames(4)
        let next = try XCTUnwrap(camera.nextFrame(timeout: 0.1))
        XCTAssertEqual(next.sequence, 6)
        XCTAssertEqual(next.dropped, 3)
        XCTAssertEqual(camera.droppedFrames, 5)
        XCTAssertNil(try camera.nextFrame(timeout: 0))
    }

    func testSequenceGapsCountAsDropped() throws {
        let kernel = makeKernel()
        let camera = try CaptureDevice(width: 320, height: 240, driver: kernel.driver)
        kernel.produceFrames(1)
        _ = try XCTUnwrap(camera.nextFrame(timeout: 0.1))
        kernel.loseFrames(5)
        kernel.produceFrames(1)
        let frame = try XCTUnwrap(camera.nextFrame(timeout: 0.1))
        XCTAssertEqual(frame.sequence, 6)
        XCTAssertEqual(frame.dropped, 5)
        XCTAssertEqual(camera.droppedFrames, 5)
    }

    func testDamagedFramesAreSkippedAndCounted() throws {
        let kernel = makeKernel()
        let camera = try CaptureDevice(width: 320, height: 240, driver: kernel.driver)
        kernel.produceFrames(1, damaged: true)
        XCTAssertNil(try camera.nextFrame(timeout: 0.1))
        XCTAssertEqual(camera.droppedFrames, 1)
        kernel.produceFrames(1)
        let frame = try XCTUnwrap(camera.nextFrame(timeout: 0.1))
        XCTAssertEqual(frame.sequence, 1)
        XCTAssertEqual(frame.dropped, 0)
    }

    func testFramesLostForWantOfBuffersShowAsGaps() throws {
        let kernel = makeKernel()
        let camera = try CaptureDevice(width: 320, height: 240, bufferCount: 2, driver: kernel.driver)
        kernel.produceFrames(5)   // only two buffers: frames 2…4 find none
        let frame = try XCTUnwrap(camera.nextFrame(timeout: 0.1))
        XCTAssertEqual(frame.sequence, 1)
        kernel.produceFrames(1)
        let next = try XCTUnwrap(camera.nextFrame(timeout: 0.1))
        XCTAssertEqual(next.sequence, 5)
        XCTAssertEqual(next.dropped, 3)
    }

    /// The pixel buffer is reused, but never under a frame the caller still holds.
    func testHeldFramesAreNotOverwritten() throws {
        let kernel = makeKernel()
        let camera = try CaptureDevice(width: 320, height: 240, driver: kernel.driver)
        kernel.produceFrames(1)
        let held = try XCTUnwrap(camera.nextFrame(timeout: 0.1))
        kernel.produceFrames(1)
        _ = try XCTUnwrap(camera.nextFrame(timeout: 0.1))
        XCTAssertEqual(FakeTestPattern.frameNumber(inI420: held.pixels, width: 320, height: 240), 0)
    }

    /// poll can report readiness that DQBUF then does not find (another
    /// thread took it, a spurious wake-up): nil, not an error.
    func testReadyButNothingToDequeueReturnsNil() throws {
        let kernel = makeKernel()
        var driver = kernel.driver
        driver.poll = { _, events, _ in events }
        let camera = try CaptureDevice(width: 320, height: 240, driver: driver)
        XCTAssertNil(try camera.nextFrame(timeout: 0.1))
    }

    func testTimeoutWithoutFramesReturnsNil() throws {
        let kernel = makeKernel()
        let camera = try CaptureDevice(width: 320, height: 240, driver: kernel.driver)
        XCTAssertNil(try camera.nextFrame(timeout: 0.01))
        XCTAssertNil(try camera.nextFrame(timeout: 0))
        XCTAssertEqual(CaptureDevice.pollMilliseconds(0.0101), 11)
        XCTAssertEqual(CaptureDevice.pollMilliseconds(-1), -1)
        XCTAssertEqual(CaptureDevice.pollMilliseconds(.infinity), -1)
        XCTAssertEqual(CaptureDevice.pollMilliseconds(1e10), Int32.max)
    }

    func testUnplugMidStreamIsAnErrorAndLeaksNothing() throws {
        let kernel = makeKernel()
        let camera = try CaptureDevice(width: 320, height: 240, driver: kernel.driver)
        kernel.produceFrames(1)
        _ = try XCTUnwrap(camera.nextFrame(timeout: 0.1))
        kernel.unplug("/dev/video0")
        let error = cameraError { () throws(CameraError) in try camera.nextFrame(timeout: 0.1) }
        XCTAssertEqual(error, .unplugged(path: "/dev/video0"))
        XCTAssertEqual(error?.errno, ENODEV)
        XCTAssertTrue(error?.description.hasPrefix("camera was unplugged") ?? false)
        camera.close()
        XCTAssertEqual(kernel.openDescriptorCount, 0)
        XCTAssertEqual(kernel.mappedBufferCount, 0)
        XCTAssertEqual(kernel.liveBufferCount, 0)
        XCTAssertEqual(cameraError { () throws(CameraError) in try CaptureDevice(driver: kernel.driver) },
                       .notFound(path: "/dev/video0"))
    }

    func testSecondStreamerIsToldTheCameraIsBusy() throws {
        let kernel = makeKernel()
        let first = try CaptureDevice(width: 320, height: 240, driver: kernel.driver)
        let error = cameraError { () throws(CameraError) in try CaptureDevice(width: 320, height: 240, driver: kernel.driver) }
        XCTAssertEqual(error, .busy(path: "/dev/video0"))
        XCTAssertEqual(error?.description, "/dev/video0 is in use by another program")
        XCTAssertEqual(kernel.openDescriptorCount, 1)
        first.close()
        let second = try CaptureDevice(width: 320, height: 240, driver: kernel.driver)
        kernel.produceFrames(1)
        XCTAssertNotNil(try second.nextFrame(timeout: 0.1))
    }

    func testNodesThatCannotCaptureAreRefused() {
        let kernel = makeKernel()
        let metadata = cameraError { () throws(CameraError) in try CaptureDevice(path: "/dev/video1", driver: kernel.driver) }
        XCTAssertEqual(metadata, .notACaptureDevice(path: "/dev/video1", card: "Fake UVC Camera"))
        let loopback = cameraError { () throws(CameraError) in try CaptureDevice(path: "/dev/video10", driver: kernel.driver) }
        XCTAssertEqual(loopback, .notACaptureDevice(path: "/dev/video10", card: "Stylize"))
        XCTAssertEqual(kernel.openDescriptorCount, 0)
    }

    func testMissingCameraSaysWhatToCheck() {
        let kernel = makeKernel()
        let error = cameraError { () throws(CameraError) in try CaptureDevice(path: "/dev/video5", driver: kernel.driver) }
        XCTAssertEqual(error?.description, "no camera at /dev/video5 (is it connected? `ls /dev/video*`)")
        XCTAssertEqual(error?.errno, ENOENT)
    }

    func testDemoModeProducesFramesWhenPolled() throws {
        let kernel = makeKernel()
        kernel.setProducesFrameWhenPolled(true)
        let camera = try CaptureDevice(width: 320, height: 240, driver: kernel.driver)
        XCTAssertEqual(try camera.nextFrame(timeout: 0.1)?.sequence, 0)
        XCTAssertEqual(try camera.nextFrame(timeout: 0.1)?.sequence, 1)
    }
}

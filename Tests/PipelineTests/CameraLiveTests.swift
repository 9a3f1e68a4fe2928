import Camera
import CameraTestSupport
import Foundation
import MediaIO
import XCTest
@testable import Pipeline
import PresetCatalog

/// The live pipeline end to end on the kernel-like fake V4L2 driver: a webcam in, a
/// v4l2loopback virtual camera out — the same ioctl and write() path as on a real machine.
final class CameraLiveTests: XCTestCase {
    func options(frames: Int? = nil) throws -> LiveOptions {
        let preset = try PresetCatalog(searchPaths: [VideoStylizationTests.repository.appendingPathComponent("Presets").path])
            .resolve("sketch")
        var options = LiveOptions(styles: [StyleSettings(preset: preset)])
        options.threads = 2
        options.maxSize = 64
        options.frameLimit = frames
        return options
    }

    func makeKernel(formats: [FakeCameraFormat] = FakeCameraFormat.typicalWebcam) -> FakeV4L2Kernel {
        let kernel = FakeV4L2Kernel()
        kernel.addCamera(path: "/dev/video0", formats: formats)
        kernel.addLoopback(path: "/dev/video10")
        kernel.setProducesFrameWhenPolled(true, on: "/dev/video0")   // a camera that always has a new frame
        return kernel
    }

    func testWebcamToVirtualCamera() throws {
        let kernel = makeKernel()
        let source = try CameraSource(path: "/dev/video0", width: 320, height: 240, frameRate: 30, driver: kernel.driver)
        let live = try LiveStylization(source: source, options: try options(frames: 5))
        let sink = try LoopbackOutput(path: "/dev/video10", width: 320, height: 240, format: .yuyv, driver: kernel.driver)
        let summary = try live.run(sinks: [DeviceSink(sink)], controls: LiveControls(styleCount: 1, strength: 1, temporal: true))
        XCTAssertEqual(summary.stats.framesOut, 5)
        let written = kernel.writtenFrames(on: "/dev/video10")
        XCTAssertEqual(written.count, 5)
        XCTAssertTrue(written.allSatisfy { $0.pixelFormat == .yuyv && $0.width == 320 && $0.height == 240 && $0.bytes.count == 320 * 240 * 2 })
        XCTAssertEqual(kernel.openDescriptorCount, 0, "the camera or the loopback was left open")
        XCTAssertEqual(kernel.mappedBufferCount, 0, "capture buffers were left mapped")
    }

    func testBypassSendsTheCameraPictureThrough() throws {
        let kernel = makeKernel()
        let source = try CameraSource(path: "/dev/video0", width: 320, height: 240, frameRate: 30, driver: kernel.driver)
        let live = try LiveStylization(source: source, options: try options(frames: 3))
        let sink = try LoopbackOutput(path: "/dev/video10", width: 320, height: 240, format: .i420, driver: kernel.driver)
        let controls = LiveControls(styleCount: 1, strength: 1, temporal: true)
        controls.toggleBypass()
        _ = try live.run(sinks: [DeviceSink(sink)], controls: controls)
        // The fake camera paints its frame number into the picture: it must survive capture →
        // I420 → loopback unchanged (no stylization in bypass; YUYV → I420 is a repack, so exactly).
        let written = kernel.writtenFrames(on: "/dev/video10")
        let numbers = written.map { FakeTestPattern.frameNumber(inI420: $0.bytes, width: 320, height: 240) }
        XCTAssertEqual(numbers.count, 3)
        XCTAssertEqual(numbers, numbers.sorted(), "frames out of order: \(numbers)")
        XCTAssertEqual(Set(numbers).count, 3, "the same camera frame went out twice: \(numbers)")
        for (frame, number) in zip(written, numbers) {
            XCTAssertEqual(frame.bytes, FakeTestPattern.i420(width: 320, height: 240, frameNumber: number))
        }
    }

    /// A camera that only gives RGB24 (MJPEG through libv4l2) gets one colour conversion, into
    /// the BT.601 limited-range YUV webcams send: the bars come out at their standard codes.
    func testRGB24CameraIsConvertedOnceToBT601() throws {
        let kernel = makeKernel(formats: [FakeCameraFormat(.rgb24, sizes: [FakeCameraFormat.Size(320, 240)], isEmulated: true)])
        let source = try CameraSource(path: "/dev/video0", width: 320, height: 240, frameRate: 30, driver: kernel.driver)
        XCTAssertEqual(source.device.layout, .rgb24)
        let live = try LiveStylization(source: source, options: try options(frames: 2))
        let sink = try LoopbackOutput(path: "/dev/video10", width: 320, height: 240, format: .i420, driver: kernel.driver)
        let controls = LiveControls(styleCount: 1, strength: 1, temporal: false)
        controls.toggleBypass()
        _ = try live.run(sinks: [DeviceSink(sink)], controls: controls)
        let frame = try XCTUnwrap(kernel.writtenFrames(on: "/dev/video10").last)
        let number = FakeTestPattern.frameNumber(inI420: frame.bytes, width: 320, height: 240)
        let expected = FakeTestPattern.i420(width: 320, height: 240, frameNumber: number)
        // Away from the bars' edges (where scaling filters may blur chroma), within rounding.
        var worst = 0
        for y in stride(from: 16, to: 240, by: 2) {
            for x in [20, 60, 100, 140, 180, 220, 260, 300] {
                worst = max(worst, abs(Int(frame.bytes[y * 320 + x]) - Int(expected[y * 320 + x])))
                for plane in 0..<2 {
                    let index = 320 * 240 + plane * 160 * 120 + (y / 2) * 160 + x / 2
                    worst = max(worst, abs(Int(frame.bytes[index]) - Int(expected[index])))
                }
            }
        }
        XCTAssertLessThanOrEqual(worst, 2)
    }

    func testUnplugMidStreamEndsWithOneClearError() throws {
        let kernel = makeKernel()
        let source = try CameraSource(path: "/dev/video0", width: 320, height: 240, frameRate: 30, driver: kernel.driver)
        let live = try LiveStylization(source: source, options: try options())
        final class UnplugAfter: FrameSink {
            let kernel: FakeV4L2Kernel; var count = 0
            init(_ kernel: FakeV4L2Kernel) { self.kernel = kernel }
            func write(_ frame: VideoFrame) throws(PipelineError) { count += 1; if count == 3 { kernel.unplug("/dev/video0") } }
            func close() {}
        }
        let output = UnplugAfter(kernel)
        XCTAssertThrowsError(try live.run(sinks: [output], controls: LiveControls(styleCount: 1, strength: 1, temporal: true))) {
            XCTAssertEqual(($0 as? PipelineError)?.stage, .input)
            XCTAssertTrue(($0 as? PipelineError)?.message.contains("unplugged") ?? false, "\($0)")
        }
        XCTAssertGreaterThanOrEqual(output.count, 3)
        XCTAssertEqual(kernel.openDescriptorCount, 0)
    }
}

@testable import Camera
import CameraTestSupport
import XCTest

/// The largest difference between two pictures, byte by byte.
func maximumDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
    precondition(a.count == b.count)
    var worst = 0
    for index in a.indices { worst = max(worst, abs(Int(a[index]) - Int(b[index]))) }
    return worst
}

/// A kernel with one typical webcam at /dev/video0 (metadata node at
/// /dev/video1) and a loopback node at /dev/video10.
func makeKernel(formats: [FakeCameraFormat] = FakeCameraFormat.typicalWebcam) -> FakeV4L2Kernel {
    let kernel = FakeV4L2Kernel()
    kernel.addCamera(path: "/dev/video0", formats: formats, metadataPath: "/dev/video1")
    kernel.addLoopback(path: "/dev/video10")
    return kernel
}

/// Runs `body` and returns the CameraError it threw, failing if it did not throw one.
func cameraError<Value>(_ body: () throws(CameraError) -> Value, file: StaticString = #filePath, line: UInt = #line) -> CameraError? {
    do {
        _ = try body()
        XCTFail("expected a CameraError", file: file, line: line)
        return nil
    } catch {
        return error
    }
}

/// Writes tightly packed I420 bytes to a sink.
func write(_ i420: [UInt8], width: Int = 320, height: Int = 240, to sink: VideoSink) throws(CameraError) {
    let result: Result<Void, CameraError> = i420.withUnsafeBytes { bytes in
        let picture = I420Planes(packed: bytes, width: width, height: height)!
        do throws(CameraError) { return .success(try sink.write(picture)) } catch { return .failure(error) }
    }
    try result.get()
}

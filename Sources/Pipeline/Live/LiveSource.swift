import Foundation
import MediaIO

/// Seconds on the monotonic clock (the clock V4L2 stamps camera buffers with), for
/// frame pacing and capture-to-output latency.
public func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
}

/// One picture from a live source.
public struct LiveInput: @unchecked Sendable {
    /// At the live size (the source scales or the camera was set to it).
    public let frame: VideoFrame
    /// When it was captured, in `monotonicSeconds()`.
    public let captured: Double
    /// Frames the source skipped just before this one because the consumer was busy.
    public let dropped: Int

    public init(frame: VideoFrame, captured: Double, dropped: Int = 0) {
        self.frame = frame
        self.captured = captured
        self.dropped = dropped
    }
}

/// Where live pictures come from: a camera, or a file or URL played at its own pace.
/// Used from one thread (the capture thread of `LiveStylization`).
public protocol LiveSource: AnyObject {
    /// Size of the frames `next()` returns.
    var width: Int { get }
    var height: Int { get }
    /// Frames per second the source delivers.
    var frameRate: Double { get }
    /// What to call it in messages ("/dev/video0", "city-night.mp4").
    var name: String { get }
    /// Blocks until the next picture. nil: the source ended (a file that does not loop).
    func next() throws(PipelineError) -> LiveInput?
    /// Stops capturing and releases the device; `next()` must not be called afterwards.
    func close()
}

/// Where stylized pictures go: a virtual camera, a YUV4MPEG2 stream, … Frames arrive in
/// order, as 4:2:0 YUV at the live size, on the live pipeline's output thread.
public protocol LiveOutput: AnyObject {
    func write(_ frame: VideoFrame) throws(PipelineError)
    func close()
}

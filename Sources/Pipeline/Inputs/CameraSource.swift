import Camera
import Foundation
import MediaIO

/// A V4L2 webcam as a live source: the device negotiates the nearest size and format it
/// has, and frames are scaled (centre-cropped) to the wanted live size when it did not
/// give exactly that.
public final class CameraSource: FrameSource {
    public let width: Int
    public let height: Int
    public let frameRate: Double?
    public var name: String { device.path }
    public let device: CaptureDevice
    /// Scales when the camera gave another size, and converts RGB24 cameras' pictures to the
    /// 4:2:0 YUV the pipeline works in (bypass frames go out as they are).
    private let resizer: FrameResizer
    /// How long `next()` waits for a camera that sends nothing before giving up.
    private let stallTimeout: Double = 5
    private var sequence: Int64 = 0

    public init(path: String, width: Int, height: Int, frameRate: Int, driver: V4L2Driver = .system) throws(PipelineError) {
        do throws(CameraError) {
            device = try CaptureDevice(path: path, width: width, height: height, framesPerSecond: frameRate, driver: driver)
        } catch { throw PipelineError(error) }
        self.width = width
        self.height = height
        self.frameRate = device.framesPerSecond ?? Double(frameRate)
        resizer = FrameResizer(width: width, height: height)
    }

    public func next() throws(PipelineError) -> SourceItem? {
        var waited = 0.0
        while true {
            let captured: CapturedFrame?
            do throws(CameraError) { captured = try device.nextFrame(timeout: 0.5) } catch { throw PipelineError(error) }
            guard let captured else {
                waited += 0.5
                if waited >= stallTimeout {
                    throw PipelineError(.input, "\(device.path) sent no frame for \(Int(stallTimeout)) seconds")
                }
                continue
            }
            let now = monotonicSeconds()
            // The driver's timestamp (CLOCK_MONOTONIC) includes the time the frame sat in
            // the queue; trust it when it is plausible.
            let stamp = (0...1).contains(now - captured.timestamp) ? captured.timestamp : now
            let pts = sequence
            // I420 from a YUYV/NV12 camera is already the pipeline's format; RGB24 gets its one
            // colour conversion in the resizer, into the BT.601 matrix webcams' YUV uses.
            let layout = captured.layout
            let made: Result<VideoFrame, MediaError> = captured.pixels.withUnsafeBytes { bytes in
                do throws(MediaError) {
                    return .success(try VideoFrame(width: captured.width, height: captured.height,
                                                   pixelFormatName: layout == .i420 ? "yuv420p" : "rgb24", pts: pts,
                                                   color: .bt601LimitedRange, bytes: bytes))
                } catch { return .failure(error) }
            }
            var frame: VideoFrame
            do throws(MediaError) {
                frame = try made.get()
                if layout != .i420 || captured.width != width || captured.height != height { frame = try resizer.resize(frame) }
            } catch { throw PipelineError(error) }
            sequence += 1
            return .frame(SourceFrame(frame: frame, captured: stamp, dropped: captured.dropped))
        }
    }

    public func close() { device.close() }
}

extension PipelineError {
    public init(_ error: CameraError) {
        switch error {
        case .outputClosed, .notAnOutputDevice, .frameSizeMismatch: self.init(.output, error.description)
        default: self.init(.input, error.description)
        }
    }
}

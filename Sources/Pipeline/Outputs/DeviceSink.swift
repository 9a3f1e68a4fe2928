import Camera
import Foundation
import MediaIO

/// A virtual camera or a YUV4MPEG2 stream (anything `Camera` calls a `VideoSink`) as a live
/// output: the pipeline's 4:2:0 frames go out from their own planes, repacked at most (YUYV).
public final class DeviceSink: FrameSink {
    public let sink: VideoSink

    public init(_ sink: VideoSink) {
        self.sink = sink
    }

    public func write(_ frame: VideoFrame) throws(PipelineError) {
        guard frame.pixelFormatName == "yuv420p" else {
            throw PipelineError(.output, "internal: live frames must be yuv420p, got \(frame.pixelFormatName)")
        }
        let written: Result<Void, CameraError>? = frame.withPlanes { planes in
            guard planes.count >= 3 else { return nil }
            let picture = I420Planes(width: frame.width, height: frame.height, y: planes[0].base, yStride: planes[0].stride,
                                     u: planes[1].base, uStride: planes[1].stride, v: planes[2].base, vStride: planes[2].stride)
            do throws(CameraError) { return .success(try sink.write(picture)) } catch { return .failure(error) }
        }
        guard let written else {
            throw PipelineError(.output, "internal: could not read a \(frame.width)×\(frame.height) live frame's planes")
        }
        do throws(CameraError) { try written.get() } catch { throw PipelineError(error) }
    }

    public func close() { sink.close() }
}

/// Where a live feed goes.
public enum LiveDestination: Sendable, Equatable {
    /// A YUV4MPEG2 stream on standard output (`| ffplay -`, `| ffmpeg -i -`).
    case standardOutput
    /// A v4l2loopback virtual camera; nil: the first one found.
    case virtualCamera(path: String?, format: VirtualCameraFormat)
}

extension DeviceSink {
    /// Opens `destination` for pictures of this size and rate; `name` says what was opened.
    /// A reader of standard output that goes away (ffplay closed) is an output error, not
    /// a SIGPIPE death: `ProcessSetup.apply()` ignores SIGPIPE.
    public static func open(_ destination: LiveDestination, width: Int, height: Int,
                            frameRate: Double) throws(PipelineError) -> (sink: DeviceSink, name: String) {
        let rate = Int(frameRate.rounded())
        switch destination {
        case .standardOutput:
            return (DeviceSink(Y4MWriter(fileDescriptor: STDOUT_FILENO, width: width, height: height, frameRate: (rate, 1))),
                    "stdout (YUV4MPEG2)")
        case .virtualCamera(let path, let format):
            guard let path = path ?? LoopbackOutput.findDevice() else {
                throw PipelineError(.output, "no virtual camera found; create one with "
                                    + "`sudo modprobe v4l2loopback exclusive_caps=1 card_label=\"Stylize\"`", setting: .destination)
            }
            do throws(CameraError) {
                let output = try LoopbackOutput(path: path, width: width, height: height, framesPerSecond: rate, format: format)
                return (DeviceSink(output), "\(path) (\(format.rawValue))")
            } catch { throw PipelineError(error) }
        }
    }
}

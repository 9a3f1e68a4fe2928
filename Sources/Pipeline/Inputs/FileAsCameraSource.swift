import Foundation
import MediaIO

/// Any file or URL FFmpeg can open, played as if it were a camera: frames come at the
/// source's own rate (or `frameRate` when given, as a camera set to that rate would give
/// them), scaled and centre-cropped to the live size, and frames whose time has passed
/// while the consumer was busy are skipped — the consumer always gets the current picture,
/// never a backlog. For demos, tests and machines without a camera.
public final class FileAsCameraSource: FrameSource {
    public let width: Int
    public let height: Int
    /// Frames per second it plays at.
    public let rate: Double
    public var frameRate: Double? { rate }
    public let name: String
    private let path: String
    private let loop: Bool
    private var reader: MediaReader
    private let resizer: FrameResizer
    private var start: Double?
    private var index = 0
    private var decodedSinceOpen = 0

    /// `frameRate` nil: the file's own rate (25 when it does not say). `loop`: start over at the end.
    public init(path: String, width: Int, height: Int, frameRate: Double? = nil, loop: Bool = false) throws(PipelineError) {
        do throws(MediaError) { reader = try MediaReader(path: path) } catch { throw PipelineError(error) }
        let native = reader.info.video.frameRate?.doubleValue ?? 0
        rate = frameRate ?? (native > 0 && native <= 240 ? native : 25)
        guard rate.isFinite, rate > 0 else { throw PipelineError.invalid(.frameRate, "must be a positive number (got \(rate))") }
        self.path = path
        self.name = (path as NSString).lastPathComponent
        self.width = width
        self.height = height
        self.loop = loop
        resizer = FrameResizer(width: width, height: height)
    }

    public func next() throws(PipelineError) -> SourceItem? {
        var dropped = 0
        while true {
            let decoded: VideoFrame?
            do throws(MediaError) { decoded = try reader.nextVideoFrame() } catch { throw PipelineError(error) }
            guard let frame = decoded else {
                guard loop, decodedSinceOpen > 0 else { return nil }
                // Reopening takes a moment a camera never needs: the clock stands still meanwhile,
                // so the restart does not show up as dropped frames.
                let reopening = monotonicSeconds()
                do throws(MediaError) { reader = try MediaReader(path: path) } catch { throw PipelineError(error) }
                if let start { self.start = start + (monotonicSeconds() - reopening) }
                decodedSinceOpen = 0
                continue
            }
            decodedSinceOpen += 1
            let now = monotonicSeconds()
            if start == nil { start = now }
            let due = start! + Double(index) / rate
            index += 1
            if now > due + 1 / rate {
                // Its time has passed: a camera would already have replaced it.
                dropped += 1
                continue
            }
            if due > now { Thread.sleep(forTimeInterval: due - now) }
            let scaled: VideoFrame
            do throws(MediaError) { scaled = try resizer.resize(frame) } catch { throw PipelineError(error) }
            return .frame(SourceFrame(frame: scaled, captured: max(due, now), dropped: dropped))
        }
    }

    public func close() {}
}

import Foundation
import MediaIO

/// A video file decoded as fast as the workers take its frames, with its audio as the
/// side channel (copied or re-encoded by the encoder sink, never decoded here).
public final class MediaFileSource: FrameSource {
    public let path: String
    public let info: MediaInfo
    /// Also the encoder's source of audio stream parameters.
    let reader: MediaReader

    /// Only this part of the file, its timestamps moved so that the range starts at zero.
    public let range: TimeRange?
    /// Painted before the range starts and after it ends (`SourceFrame.context`), never written.
    public let warmUpFrames: Int, coolDownFrames: Int
    private var rangeEnded = false
    /// Frames after the range given so far.
    private var cooledDown = 0
    /// In the video time base: where the range starts, where warm-up starts, where the range ends
    /// (audio packets are compared in seconds, in their own time base).
    private var startTicks: Int64 = 0, warmUpTicks: Int64 = 0, endTicks: Int64 = .max

    public init(path: String, range: TimeRange? = nil, warmUpFrames: Int = 0, coolDownFrames: Int = 0) throws(PipelineError) {
        do throws(MediaError) { reader = try MediaReader(path: path) } catch { throw PipelineError(error) }
        self.path = path
        info = reader.info
        self.range = range
        self.warmUpFrames = range == nil ? 0 : warmUpFrames
        self.coolDownFrames = range?.end == nil ? 0 : coolDownFrames
        guard let range else { return }
        let tb = info.video.timeBase.doubleValue
        let frame = 1 / (info.video.frameRate?.doubleValue ?? 25)
        let warmUpStart = max(0, range.start - Double(self.warmUpFrames) * frame)
        startTicks = Int64((range.start / tb).rounded())
        warmUpTicks = Int64((warmUpStart / tb).rounded())
        endTicks = range.end.map { Int64(($0 / tb).rounded()) } ?? .max
        if let duration = info.video.duration, range.start >= duration {
            throw PipelineError(.input, "\(name): the range starts at \(TimeRange.format(range.start)) s, "
                                + "after the video's end (\(TimeRange.format(duration)) s)")
        }
        // Half a frame early: a keyframe exactly at the start is found whatever the rounding.
        if warmUpStart > 0 {
            do throws(MediaError) { try reader.seek(toSeconds: warmUpStart - frame / 2) } catch { throw PipelineError(error) }
        }
    }

    public var width: Int { info.video.width }
    public var height: Int { info.video.height }
    public var frameRate: Double? { info.video.frameRate?.doubleValue }
    public var name: String { path == "-" ? "standard input" : (path as NSString).lastPathComponent }
    /// Corrupt frames replaced by the previous picture so far.
    public var concealedFrames: Int { reader.concealedFrameCount }
    /// Set when the input stopped on a read error rather than at its end.
    public var endedEarly: String? { reader.readError?.message }

    public func next() throws(PipelineError) -> SourceItem? {
        while !rangeEnded {
            let item: MediaItem?
            do throws(MediaError) { item = try reader.next() } catch { throw PipelineError(error) }
            switch item {
            case nil:
                return nil
            case .video(let frame)?:
                guard range != nil else { return .frame(SourceFrame(frame: frame, captured: monotonicSeconds())) }
                if frame.pts >= endTicks {
                    guard cooledDown < coolDownFrames else { rangeEnded = true; return nil }
                    cooledDown += 1
                    return .frame(SourceFrame(frame: frame, captured: monotonicSeconds(), context: true))
                }
                if frame.pts < warmUpTicks { continue }
                let warmUp = frame.pts < startTicks
                if warmUp && warmUpFrames == 0 { continue }
                return .frame(SourceFrame(frame: warmUp ? frame : frame.moved(earlierBy: startTicks), captured: monotonicSeconds(),
                                          context: warmUp))
            case .audio(let packet)?:
                guard let range else { return .audio(packet) }
                guard let time = packet.time, time >= range.start, time < range.end ?? .infinity else { continue }
                packet.move(earlierBy: range.start)
                return .audio(packet)
            }
        }
        return nil
    }

    public func close() {}
}

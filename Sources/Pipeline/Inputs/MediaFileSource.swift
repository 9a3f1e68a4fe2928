import Foundation
import MediaIO

/// A video file decoded as fast as the workers take its frames, with its audio as the
/// side channel (copied or re-encoded by the encoder sink, never decoded here).
public final class MediaFileSource: FrameSource {
    public let path: String
    public let info: MediaInfo
    /// Also the encoder's source of audio stream parameters.
    let reader: MediaReader

    public init(path: String) throws(PipelineError) {
        do throws(MediaError) { reader = try MediaReader(path: path) } catch { throw PipelineError(error) }
        self.path = path
        info = reader.info
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
        let item: MediaItem?
        do throws(MediaError) { item = try reader.next() } catch { throw PipelineError(error) }
        switch item {
        case nil: return nil
        case .video(let frame)?: return .frame(SourceFrame(frame: frame, captured: monotonicSeconds()))
        case .audio(let packet)?: return .audio(packet)
        }
    }

    public func close() {}
}

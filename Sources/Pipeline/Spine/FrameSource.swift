import MediaIO

/// One picture from a source, with when it was taken.
public struct SourceFrame: @unchecked Sendable {
    public let frame: VideoFrame
    /// When it was captured (or decoded), in `monotonicSeconds()`: the start of its latency.
    public let captured: Double
    /// Frames the source skipped just before this one because the consumer was busy.
    public let dropped: Int
    /// Painted only to steady the temporal history around a time range — before it starts, and
    /// after it ends for the frames before to look ahead to (`TemporalSettings.lookahead`); never written.
    public let context: Bool

    public init(frame: VideoFrame, captured: Double, dropped: Int = 0, context: Bool = false) {
        self.frame = frame
        self.captured = captured
        self.dropped = dropped
        self.context = context
    }
}

/// What a source hands the pipeline: a picture to paint, or a packet for the side channel
/// that sinks taking audio receive unchanged (a file's audio).
public enum SourceItem: @unchecked Sendable {
    case frame(SourceFrame)
    case audio(EncodedPacket)
}

/// Where pictures come from: a file decoded as fast as the workers take it, a camera, a
/// file played as a camera. Used from one thread (the pipeline's source thread).
public protocol FrameSource: AnyObject {
    /// Size of the frames `next()` returns (the first one's, for a file whose size changes).
    var width: Int { get }
    var height: Int { get }
    /// Frames per second the source delivers; nil when it does not say.
    var frameRate: Double? { get }
    /// What to call it in messages ("/dev/video0", "city-night.mp4").
    var name: String { get }
    /// Blocks until the next item. nil: the source ended.
    func next() throws(PipelineError) -> SourceItem?
    /// Stops capturing and releases the device; `next()` must not be called afterwards.
    func close()
    /// Why the source stopped before its end (a read error), if it did.
    var endedEarly: String? { get }
}

extension FrameSource {
    public var endedEarly: String? { nil }
}

/// Where finished pictures go: an encoder, a virtual camera, a YUV4MPEG2 stream, the
/// terminal. Pictures arrive in order, as 4:2:0 YUV, on the pipeline's output thread.
public protocol FrameSink: AnyObject {
    func write(_ frame: VideoFrame) throws(PipelineError)
    /// The source's side channel; sinks without audio ignore it.
    func write(audio packet: EncodedPacket) throws(PipelineError)
    /// After the last picture of a run that succeeded: completes the output (a file gets its
    /// trailer and its real name).
    func finish() throws(PipelineError)
    /// Releases the output; after a failure or an abort, an unfinished file is removed.
    /// Called once at the end of every run, after `finish` when that was called.
    func close()
}

extension FrameSink {
    public func write(audio packet: EncodedPacket) throws(PipelineError) {}
    public func finish() throws(PipelineError) {}
}

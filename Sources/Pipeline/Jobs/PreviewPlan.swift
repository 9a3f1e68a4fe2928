import MediaIO

/// What `stylize preview` shows of a file: a still (painted once with the quality network,
/// at the size the terminal shows) or a video (played with the realtime network).
public struct PreviewPlan: Sendable, Equatable {
    public let isStill: Bool
    /// The picture's size as played: at most `maxSide` across, even.
    public let width: Int
    public let height: Int
    /// The network variant that suits it.
    public var variant: PresetVariant { isStill ? .quality : .realtime }
    /// The network's longest side when the caller sets none: a still is painted at the size
    /// shown; a video's is chosen to keep up (nil).
    public var maxSize: Int? { isStill ? max(width, height) : nil }

    /// The terminal shows far fewer pixels than a video has: 640 across is plenty.
    public init(path: String, maxSide: Int = 640) throws(PipelineError) {
        do throws(MediaError) {
            let reader = try MediaReader(path: path)
            // A still is anything with a single picture (containers rarely say: decode up to two).
            let first = try reader.nextVideoFrame()
            let second = try reader.nextVideoFrame()
            isStill = first != nil && second == nil
            let video = reader.info.video
            let scale = min(1, Double(maxSide) / Double(max(video.width, video.height)))
            width = max(2, Int(Double(video.width) * scale) / 2 * 2)
            height = max(2, Int(Double(video.height) * scale) / 2 * 2)
        } catch { throw PipelineError(error) }
    }
}

/// A picture's width and height: what the network paints at (`NetworkSize`), a camera's
/// size, a benchmark's.
public struct PictureSize: Sendable, Equatable, CustomStringConvertible {
    public let width: Int
    public let height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// As people write it: "640x480" (x, X or ×); nil unless both sides are positive whole numbers.
    public init?(parsing text: String) {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
            .flatMap { $0.split(separator: "×", omittingEmptySubsequences: false) }
        guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]), width > 0, height > 0 else { return nil }
        self.init(width: width, height: height)
    }

    public var description: String { "\(width)×\(height)" }

    /// The sizes live sources and virtual cameras take: even sides (4:2:0 and YUYV pair their
    /// pixels), from 32×32 up to 7680×4320.
    public func checkedForLive() throws(PipelineError) -> PictureSize {
        guard width >= 32, height >= 32, width <= 7680, height <= 4320, width % 2 == 0, height % 2 == 0 else {
            throw PipelineError.invalid(.pictureSize, "must be even numbers between 32×32 and 7680×4320 (got \(width)×\(height))")
        }
        return self
    }
}

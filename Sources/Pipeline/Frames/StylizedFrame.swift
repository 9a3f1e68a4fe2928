import MediaIO

/// A stylized picture at network resolution, planar RGB 0…255, with the frame it came from.
public struct StylizedFrame: @unchecked Sendable {
    public let original: VideoFrame
    public var pixels: [Float]
    public let width: Int
    public let height: Int
    /// How to carry the previous output into this frame (temporal blending); nil for the
    /// first frame or when temporal blending is off.
    public var link: TemporalLink? = nil
    /// How to carry this frame's output back into the previous frame (the two-way blend's second
    /// pass); nil without a lookahead.
    public var reverseLink: TemporalLink? = nil
}

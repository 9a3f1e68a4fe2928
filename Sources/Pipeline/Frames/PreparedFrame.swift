import MediaIO
import OpticalFlow

/// A decoded frame made ready once, on the decode thread: its pixels at network size
/// (planar RGB 0…255) and, when temporal blending is on, what the flow and its checks need
/// (`MotionFrame`) — shared by the two pairs the frame belongs to (with the frame before
/// it and the frame after it), so computed once per frame, not once per pair.
public struct PreparedFrame: @unchecked Sendable {
    public let original: VideoFrame
    public var pixels: [Float]
    public let motion: MotionFrame?
}

/// Makes `PreparedFrame`s. Not thread-safe; one per decode thread.
public final class FramePreparer {
    private let converter = FrameConverter()
    private let size: NetworkSize
    private let flowSettings: DISSettings?

    /// `flow`: the DIS settings of temporal blending, or nil when it is off (no pyramid is built).
    public init(size: NetworkSize, flow: DISSettings?) {
        self.size = size
        flowSettings = flow
    }

    /// `recycled`, when given, is reused for the pixels' storage.
    public func prepare(_ frame: VideoFrame, reusing recycled: consuming [Float]? = nil) throws(MediaError) -> PreparedFrame {
        let (w, h) = (size.width, size.height)
        var pixels = (consume recycled) ?? []   // referenced once: written in place, not copied first
        if pixels.count != 3 * w * h { pixels = Array(repeating: 0, count: 3 * w * h) }
        let motion = try pixels.withUnsafeMutableBufferPointer { (buffer) throws(MediaError) -> MotionFrame? in
            try converter.planarRGB(from: frame, width: w, height: h, into: buffer.baseAddress!)
            guard let flowSettings else { return nil }
            return MotionFrame(planar: buffer.baseAddress!, width: w, height: h, settings: flowSettings)
        }
        return PreparedFrame(original: frame, pixels: pixels, motion: motion)
    }
}

import MediaIO
import OpticalFlow
import PresetCatalog
import StyleEngine

/// The size the network sees: the frame scaled so its longer side is at most
/// `maxSize`, rounded to multiples of `multiple` (4 for a Johnson network's two
/// stride-2 stages, 8 for the realtime networks' three) so the stages divide evenly
/// (the output is scaled back to the frame's size).
public struct NetworkSize: Sendable, Equatable, CustomStringConvertible {
    public let width: Int
    public let height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public init(fitting frameWidth: Int, _ frameHeight: Int, maxSize: Int, multiple: Int = 4) {
        let longer = max(frameWidth, frameHeight)
        let scale = longer > maxSize ? Double(maxSize) / Double(longer) : 1
        let m = Double(max(multiple, 1))
        func round(_ v: Double) -> Int { max(Int(m), Int((v / m).rounded()) * Int(m)) }
        self.init(width: round(Double(frameWidth) * scale), height: round(Double(frameHeight) * scale))
    }

    public var description: String { "\(width)×\(height)" }
}

/// A stylized picture at network resolution, planar RGB 0…255, with the frame it came from.
public struct StylizedFrame: @unchecked Sendable {
    public let original: VideoFrame
    public var pixels: [Float]
    public let width: Int
    public let height: Int
    /// How to carry the previous output into this frame (temporal blending); nil for the
    /// first frame or when temporal blending is off.
    public var link: TemporalLink? = nil
}

/// A decoded frame made ready once, on the decode thread: its pixels at network size
/// (planar RGB 0…255) and, when temporal blending is on, what the flow and its checks need
/// (`MotionFrame`) — shared by the two pairs the frame belongs to (with the frame before
/// it and the frame after it), so computed once per frame, not once per pair.
public struct PreparedFrame: @unchecked Sendable {
    public let original: VideoFrame
    public var pixels: [Float]
    public let motion: MotionFrame?
}

/// The BT.601 colour transform temporal blending measures in (Y 0…255, Cb/Cr ±128), one place
/// for both directions. Linear, so `rgb` also turns Y, Cb, Cr *differences* into R, G, B ones.
enum BT601 {
    @inline(__always) static func luma(_ r: Float, _ g: Float, _ b: Float) -> Float { 0.299 * r + 0.587 * g + 0.114 * b }

    @inline(__always) static func ycbcr(_ r: Float, _ g: Float, _ b: Float) -> (y: Float, cb: Float, cr: Float) {
        let y = luma(r, g, b)
        return (y, 0.564 * (b - y), 0.713 * (r - y))
    }

    @inline(__always) static func rgb(_ y: Float, _ cb: Float, _ cr: Float) -> (r: Float, g: Float, b: Float) {
        let r = y + cr / 0.713, b = y + cb / 0.564
        return (r, (y - 0.299 * r - 0.114 * b) / 0.587, b)
    }
}

/// One input frame as temporal blending sees it: the gray pyramid and gradients for the
/// optical flow, and the frame as Y, Cb, Cr planes (BT.601; Y 0…255, Cb/Cr ±128) for the
/// check that the flow really explains the next frame — a gray-only check is blind to an
/// object whose colour differs from the background but whose brightness does not.
public struct MotionFrame: @unchecked Sendable {
    public let flow: FlowFrame
    /// Y, then Cb, then Cr, each width × height.
    public let planes: [Float]

    /// From planar RGB 0…255 at network size.
    init(planar rgb: UnsafePointer<Float>, width: Int, height: Int, settings: DISSettings) {
        let n = width * height
        var planes = [Float](repeating: 0, count: 3 * n)
        planes.withUnsafeMutableBufferPointer { p in
            for i in 0..<n {
                (p[i], p[n + i], p[2 * n + i]) = BT601.ycbcr(rgb[i], rgb[n + i], rgb[2 * n + i])
            }
        }
        flow = FlowFrame(GrayImage(width: width, height: height, pixels: Array(planes[0..<n])), for: settings)
        self.planes = planes
    }
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
    public func prepare(_ frame: VideoFrame, reusing recycled: [Float]? = nil) throws(MediaError) -> PreparedFrame {
        let (w, h) = (size.width, size.height)
        var pixels = recycled ?? []
        if pixels.count != 3 * w * h { pixels = Array(repeating: 0, count: 3 * w * h) }
        let motion = try pixels.withUnsafeMutableBufferPointer { (buffer) throws(MediaError) -> MotionFrame? in
            try converter.planarRGB(from: frame, width: w, height: h, into: buffer.baseAddress!)
            guard let flowSettings else { return nil }
            return MotionFrame(planar: buffer.baseAddress!, width: w, height: h, settings: flowSettings)
        }
        return PreparedFrame(original: frame, pixels: pixels, motion: motion)
    }
}

/// One worker's kit: a session of the network, with buffers reused from frame
/// to frame. Not thread-safe; one per worker.
public final class FrameStylizer {
    private let session: StyleSession
    private let size: NetworkSize
    private let inputScale: Float
    private lazy var preparer = FramePreparer(size: size, flow: nil)

    /// `threads` > 1 splits each frame's convolutions over that many threads.
    public init(model: StyleModel, inputRange: Float, size: NetworkSize, threads: Int = 1) {
        session = StyleSession(model: model, threads: threads)
        self.size = size
        inputScale = inputRange / 255
    }

    /// Runs the network on one frame (converting it here; the still-image path).
    public func stylize(_ frame: VideoFrame) throws(PipelineError) -> StylizedFrame {
        var prepared: PreparedFrame
        do throws(MediaError) { prepared = try preparer.prepare(frame) } catch { throw PipelineError(error) }
        return try stylize(&prepared)
    }

    /// Runs the network on a prepared frame. With `temporal` and the motion frame of the
    /// input frame just before this one (`previous`), also computes the flow link between
    /// them (`StylizedFrame.link`) for the sequential stage. `frame.pixels` is used as
    /// scratch (scaled to the network's input range); `recycled`, when given, is reused
    /// for the result's storage.
    public func stylize(_ frame: inout PreparedFrame, previous: MotionFrame? = nil, temporal: TemporalSettings? = nil,
                        reusing recycled: [Float]? = nil) throws(PipelineError) -> StylizedFrame {
        let (w, h, scale) = (size.width, size.height, inputScale)
        guard frame.pixels.count == 3 * w * h else {
            throw PipelineError(.engine, "a frame was prepared at another size than the network's \(size)")
        }
        var link: TemporalLink? = nil
        if let temporal, let previous, let current = frame.motion {
            link = Temporal.link(previous: previous, current: current, settings: temporal)
        }
        if scale != 1 { frame.pixels.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] *= scale } } }
        let output: ImageOutput
        do throws(EngineError) {
            output = try frame.pixels.withUnsafeBufferPointer { (buffer) throws(EngineError) in
                try session.run(image: buffer.baseAddress!, channels: 3, height: h, width: w)
            }
        } catch { throw PipelineError(error) }
        guard output.channels == 3 else {
            throw PipelineError(.engine, "the style network returned \(output.channels) channels; an RGB image needs 3")
        }
        var pixels = recycled ?? []
        let count = output.pixels.count
        if pixels.count != count { pixels = Array(repeating: 0, count: count) }
        let unscale = 1 / scale
        pixels.withUnsafeMutableBufferPointer { dst in
            for i in 0..<count { dst[i] = output.pixels[i] * unscale }
        }
        return StylizedFrame(original: frame.original, pixels: pixels, width: output.width, height: output.height,
                             link: link)
    }
}

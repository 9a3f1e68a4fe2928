import MediaIO
import StyleEngine

/// One worker's kit: a session of the network, with buffers reused from frame
/// to frame. Not thread-safe; one per worker.
public final class FrameStylizer {
    private let session: StyleSession
    private let size: NetworkSize
    private let inputScale: Float
    private lazy var preparer = FramePreparer(size: size, flow: nil)

    /// `threads` > 1 splits each frame's convolutions over that many threads; `precision` must be
    /// one this CPU supports (the first frame reports it if not).
    public init(model: StyleModel, inputRange: Float, size: NetworkSize, threads: Int = 1, precision: Precision = .fp32) {
        session = StyleSession(model: model, threads: threads, precision: precision)
        self.size = size
        inputScale = inputRange / 255
    }

    /// Runs the network on one frame (converting it here; the still-image path).
    public func stylize(_ frame: VideoFrame, modelInputs: [String: Tensor] = [:]) throws(PipelineError) -> StylizedFrame {
        var prepared: PreparedFrame
        do throws(MediaError) { prepared = try preparer.prepare(frame) } catch { throw PipelineError(error) }
        return try stylize(&prepared, modelInputs: modelInputs)
    }

    /// Runs the network on a prepared frame; `link` (the flow from the frame before, for the
    /// output's temporal blend) goes out with the result. `frame.pixels` is used as
    /// scratch (scaled to the network's input range); `recycled`, when given, is reused
    /// for the result's storage. `modelInputs`: the network's inputs besides the picture (a style
    /// bank's weights, `StyleSettings.modelInputs`); `foldInputs` false while they change from frame
    /// to frame (a cross-fade), so that they do not make a plan each.
    public func stylize(_ frame: inout PreparedFrame, link: TemporalLink? = nil,
                        reusing recycled: consuming [Float]? = nil, modelInputs: [String: Tensor] = [:],
                        foldInputs: Bool = true) throws(PipelineError) -> StylizedFrame {
        let (w, h, scale) = (size.width, size.height, inputScale)
        guard frame.pixels.count == 3 * w * h else {
            throw PipelineError(.engine, "a frame was prepared at another size than the network's \(size)")
        }
        if scale != 1 { frame.pixels.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] *= scale } } }
        let output: ImageOutput
        do throws(EngineError) {
            output = try frame.pixels.withUnsafeBufferPointer { (buffer) throws(EngineError) in
                try session.run(image: buffer.baseAddress!, channels: 3, height: h, width: w, extraInputs: modelInputs,
                                foldExtraInputs: foldInputs)
            }
        } catch { throw PipelineError(error) }
        guard output.channels == 3 else {
            throw PipelineError(.engine, "the style network returned \(output.channels) channels; an RGB image needs 3")
        }
        var pixels = (consume recycled) ?? []   // referenced once: written in place, not copied first
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

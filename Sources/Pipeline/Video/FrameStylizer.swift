import MediaIO
import OpticalFlow
import PresetCatalog
import StyleEngine

/// The size the network sees: the frame scaled so its longer side is at most
/// `maxSize`, rounded to multiples of 4 so the two stride-2 stages of a
/// Johnson network divide evenly (the output is scaled back to the frame's size).
public struct NetworkSize: Sendable, Equatable, CustomStringConvertible {
    public let width: Int
    public let height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public init(fitting frameWidth: Int, _ frameHeight: Int, maxSize: Int) {
        let longer = max(frameWidth, frameHeight)
        let scale = longer > maxSize ? Double(maxSize) / Double(longer) : 1
        func round4(_ v: Double) -> Int { max(4, Int((v / 4).rounded()) * 4) }
        self.init(width: round4(Double(frameWidth) * scale), height: round4(Double(frameHeight) * scale))
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

/// One worker's kit: a session of the network and a pixel converter, with
/// buffers reused from frame to frame. Not thread-safe; one per worker.
public final class FrameStylizer {
    private let session: StyleSession
    private let converter = FrameConverter()
    private let size: NetworkSize
    private let inputScale: Float
    private var input: [Float]
    private var previousInput: [Float] = []
    private let previousConverter = FrameConverter()

    /// `threads` > 1 splits each frame's convolutions over that many threads.
    public init(model: StyleModel, inputRange: Float, size: NetworkSize, threads: Int = 1) {
        session = StyleSession(model: model, threads: threads)
        self.size = size
        inputScale = inputRange / 255
        input = Array(repeating: 0, count: 3 * size.width * size.height)
    }

    /// Runs the network on `frame`. `recycled`, when given, is reused for the result's storage.
    /// With `temporal` and the input frame just before this one (`previous`), also computes
    /// the flow link between them (`StylizedFrame.link`) for the sequential stage.
    public func stylize(_ frame: VideoFrame, previous: VideoFrame? = nil, temporal: TemporalSettings? = nil,
                        reusing recycled: [Float]? = nil) throws(PipelineError) -> StylizedFrame {
        let (w, h, scale) = (size.width, size.height, inputScale)
        var link: TemporalLink? = nil
        do throws(MediaError) {
            try input.withUnsafeMutableBufferPointer { (buffer) throws(MediaError) in
                try converter.planarRGB(from: frame, width: w, height: h, into: buffer.baseAddress!)
                if let temporal, let previous {
                    let current = Temporal.gray(planar: buffer.baseAddress!, width: w, height: h)
                    if previousInput.count != 3 * w * h { previousInput = Array(repeating: 0, count: 3 * w * h) }
                    let before = try previousInput.withUnsafeMutableBufferPointer { (prev) throws(MediaError) -> GrayImage in
                        try previousConverter.planarRGB(from: previous, width: w, height: h, into: prev.baseAddress!)
                        return Temporal.gray(planar: prev.baseAddress!, width: w, height: h)
                    }
                    link = Temporal.link(previous: before, current: current, settings: temporal)
                }
                if scale != 1 { for i in buffer.indices { buffer[i] *= scale } }
            }
        } catch { throw PipelineError(error) }
        let output: ImageOutput
        do throws(EngineError) {
            output = try input.withUnsafeBufferPointer { (buffer) throws(EngineError) in
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
        return StylizedFrame(original: frame, pixels: pixels, width: output.width, height: output.height, link: link)
    }
}

import MediaIO
import OpticalFlow

/// Flicker of a stylized video, measured against the video it came from.
public struct TemporalMeasurement: Sendable {
    /// Lai et al. 2018's warping error of the output (per-channel MSE on 0…1 values over the
    /// reliable pixels, mean over consecutive pairs): lower = steadier.
    public let warpingError: Double
    /// Mean gradient magnitude of the output's luminance (0…255 per pixel): a steadier
    /// result that is also much blurrier or flatter shows here.
    public let meanGradient: Double
    /// Consecutive pairs measured.
    public let pairs: Int
    /// Size the frames were compared at.
    public let size: NetworkSize
}

public enum TemporalMeasure {
    /// Measures `outputPath` with the motion and occlusion masks computed on `inputPath`
    /// (both decoded, scaled to `maxSize`). The pair count is the shorter video's.
    /// `measure(output: input, input: input)` gives the input's own floor (flow and
    /// interpolation error).
    public static func measure(output outputPath: String, input inputPath: String, maxSize: Int = 480,
                               flow settings: DISSettings = .fast) throws(PipelineError) -> TemporalMeasurement {
        do throws(MediaError) {
            let input = try MediaReader(path: inputPath)
            let output = try MediaReader(path: outputPath)
            let size = NetworkSize(fitting: input.info.video.width, input.info.video.height, maxSize: maxSize)
            let (w, h) = (size.width, size.height)
            let inConv = FrameConverter(), outConv = FrameConverter()
            var rgb = [Float](repeating: 0, count: 3 * w * h)

            func nextFrame(_ reader: MediaReader) throws(MediaError) -> VideoFrame? {
                while let item = try reader.next() { if case .video(let f) = item { return f } }
                return nil
            }
            func load(_ frame: VideoFrame, _ conv: FrameConverter) throws(MediaError) {
                try rgb.withUnsafeMutableBufferPointer { (b) throws(MediaError) in
                    try conv.planarRGB(from: frame, width: w, height: h, into: b.baseAddress!)
                }
            }

            var accumulator = WarpingError.Accumulator()
            var gradient = 0.0, frames = 0
            var previousFlow: FlowFrame? = nil
            var previousOut: [Float] = []
            while let inFrame = try nextFrame(input), let outFrame = try nextFrame(output) {
                try load(inFrame, inConv)
                let gray = rgb.withUnsafeBufferPointer { Temporal.gray(planar: $0.baseAddress!, width: w, height: h) }
                let flowFrame = FlowFrame(gray, patchSize: settings.patchSize)
                try load(outFrame, outConv)
                let out = rgb.map { $0 / 255 }
                let outGray = rgb.withUnsafeBufferPointer { Temporal.gray(planar: $0.baseAddress!, width: w, height: h) }
                gradient += meanGradient(outGray)
                frames += 1
                if let prev = previousFlow {
                    let forward = OpticalFlow.dis(from: prev, to: flowFrame, settings: settings)
                    let backward = OpticalFlow.dis(from: flowFrame, to: prev, settings: settings)
                    let mask = Consistency.confidenceInCurrentFrame(forward: forward, backward: backward)
                    accumulator.add(outputT: previousOut, outputT1: out, flowForward: forward, mask: mask)
                }
                previousFlow = flowFrame
                previousOut = out
            }
            return TemporalMeasurement(warpingError: accumulator.mean, meanGradient: frames > 0 ? gradient / Double(frames) : 0,
                                       pairs: accumulator.count, size: size)
        } catch {
            throw PipelineError(error)
        }
    }

    /// Mean of √(gx² + gy²) with forward differences.
    static func meanGradient(_ g: GrayImage) -> Double {
        let w = g.width, h = g.height
        guard w > 1, h > 1 else { return 0 }
        var total = 0.0
        for y in 0..<(h - 1) {
            var row: Float = 0
            for x in 0..<(w - 1) {
                let i = y * w + x
                let gx = g.pixels[i + 1] - g.pixels[i], gy = g.pixels[i + w] - g.pixels[i]
                row += (gx * gx + gy * gy).squareRoot()
            }
            total += Double(row)
        }
        return total / Double((w - 1) * (h - 1))
    }
}

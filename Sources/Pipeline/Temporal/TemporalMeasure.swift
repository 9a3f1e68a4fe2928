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
    /// The same two figures for the input itself, with the same flows and masks: the floor
    /// (flow and interpolation error alone) and the input's own detail.
    public let inputWarpingError: Double
    public let inputMeanGradient: Double
    /// Consecutive pairs measured.
    public let pairs: Int
    /// Size the frames were compared at.
    public let size: NetworkSize
}

public enum TemporalMeasure {
    /// Measures `outputPath` with the motion and occlusion masks computed on `inputPath`
    /// (both decoded, scaled to `maxSize`), and the input itself with the same flows, in one
    /// pass. The pair count is the shorter video's (an output stopped early is still measured);
    /// an output of another size than the input is not its stylization and is refused.
    public static func measure(output outputPath: String, input inputPath: String, maxSize: Int = 480,
                               flow settings: DISSettings = .fast) throws(PipelineError) -> TemporalMeasurement {
        try PipelineError.Setting.maxSize.check(maxSize, atLeast: 16, unit: " pixels")
        do throws(MediaError) {
            let input = try MediaReader(path: inputPath)
            let output = try MediaReader(path: outputPath)
            let (iv, ov) = (input.info.video, output.info.video)
            guard iv.width == ov.width, iv.height == ov.height else {
                throw MediaError(.invalidArgument, "\(outputPath) is \(ov.width)×\(ov.height) but \(inputPath) is "
                                 + "\(iv.width)×\(iv.height): not a stylization of it")
            }
            let size = NetworkSize(fitting: iv.width, iv.height, maxSize: maxSize)
            let (w, h) = (size.width, size.height)
            let inConv = FrameConverter(), outConv = FrameConverter()
            var rgb = [Float](repeating: 0, count: 3 * w * h)

            /// The frame at measuring size: 0…1 RGB for the warping error, and its luminance.
            func load(_ frame: VideoFrame, _ conv: FrameConverter) throws(MediaError) -> (rgb: [Float], gray: GrayImage) {
                try rgb.withUnsafeMutableBufferPointer { (b) throws(MediaError) in
                    try conv.planarRGB(from: frame, width: w, height: h, into: b.baseAddress!)
                }
                let gray = rgb.withUnsafeBufferPointer { Temporal.gray(planar: $0.baseAddress!, width: w, height: h) }
                return (rgb.map { $0 / 255 }, gray)
            }

            var outputError = WarpingError.Accumulator(), inputError = WarpingError.Accumulator()
            var outputGradient = 0.0, inputGradient = 0.0, frames = 0
            var previous: (flow: FlowFrame, input: [Float], output: [Float])? = nil
            while let inFrame = try input.nextVideoFrame(), let outFrame = try output.nextVideoFrame() {
                let (inRGB, inGray) = try load(inFrame, inConv)
                let (outRGB, outGray) = try load(outFrame, outConv)
                let flowFrame = FlowFrame(inGray, for: settings)
                outputGradient += meanGradient(outGray)
                inputGradient += meanGradient(inGray)
                frames += 1
                if let previous {
                    let forward = OpticalFlow.dis(from: previous.flow, to: flowFrame, settings: settings)
                    let backward = OpticalFlow.dis(from: flowFrame, to: previous.flow, settings: settings)
                    let mask = Consistency.confidenceInCurrentFrame(forward: forward, backward: backward)
                    outputError.add(outputT: previous.output, outputT1: outRGB, flowForward: forward, mask: mask)
                    inputError.add(outputT: previous.input, outputT1: inRGB, flowForward: forward, mask: mask)
                }
                previous = (flowFrame, inRGB, outRGB)
            }
            let perFrame = { (sum: Double) in frames > 0 ? sum / Double(frames) : 0 }
            return TemporalMeasurement(warpingError: outputError.mean, meanGradient: perFrame(outputGradient),
                                       inputWarpingError: inputError.mean, inputMeanGradient: perFrame(inputGradient),
                                       pairs: outputError.count, size: size)
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

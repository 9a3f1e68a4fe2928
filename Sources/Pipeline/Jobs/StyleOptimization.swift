import Foundation
import MediaIO
import PresetCatalog
import StyleEngine

/// A photo painted in the style of any picture, by optimization (`PaintingSettings`). Slow
/// (minutes), and the reference the fast networks are measured against.
public struct OptimizationJobOptions: Sendable {
    public enum Start: String, Sendable, CaseIterable { case content, noise }

    public var inputPath: String
    public var outputPath: String
    /// The paintings and the weights of the loss.
    public var painting: PaintingSettings
    /// L-BFGS iterations at the coarsest size; each finer size gets half as many.
    public var iterations = 300
    public var start = Start.content
    /// For `start == .noise`.
    public var seed: UInt64 = 0
    /// The result's longest side while optimizing (the file keeps the photo's size). Above
    /// `coarseSize`, the picture is first optimized smaller and refined at each doubling.
    public var maxSize = 768
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    public var overwrite = false

    /// The longest side the coarse-to-fine schedule starts at.
    public static let coarseSize = 384

    public init(inputPath: String, outputPath: String, painting: PaintingSettings) {
        self.inputPath = inputPath
        self.outputPath = outputPath
        self.painting = painting
    }

    func validate() throws(PipelineError) {
        try painting.validate()
        try PipelineError.Setting.iterations.check(iterations, atLeast: 1)
        try PipelineError.Setting.maxSize.check(maxSize, atLeast: 32, unit: " pixels")
        try PipelineError.Setting.threads.check(threads, atLeast: 1)
    }

    /// The painted sizes, coarsest first: the final size, halved until it is at most `coarseSize`.
    func schedule(width: Int, height: Int) -> [PictureSize] {
        var longest = [min(maxSize, max(width, height))]
        while longest.last! > Self.coarseSize { longest.append(longest.last! / 2) }
        return longest.reversed().map { PictureSize(fitting: width, height, maxSize: $0, multiple: 8) }
    }
}

public struct OptimizationProgress: Sendable {
    /// Which size (0 = coarsest) of how many, and that size.
    public let level: Int
    public let levels: Int
    public let size: PictureSize
    /// Iterations done over all sizes, and planned.
    public let done: Int
    public let total: Int
    public let loss: Double
    public let elapsed: Double
}

public struct OptimizationSummary: Sendable {
    public let outputPath: String
    public let width: Int
    public let height: Int
    public let sizes: [PictureSize]
    public let iterations: Int
    public let evaluations: Int
    /// The objective at the finest size when it ended.
    public let loss: Double
    public let elapsed: Double
    /// Ctrl-C: the best picture so far was written.
    public let interrupted: Bool
}

/// Runs one optimization. Checks everything first (files, the loss network, sizes); the output
/// is complete or absent, and Ctrl-C (`stop`) writes the best picture found so far.
public final class StyleOptimization {
    public let options: OptimizationJobOptions
    public let sizes: [PictureSize]
    private let photo: VideoFrame
    private let style: PaintingStyle
    private let output: OutputFile
    private let format: StillImageWriter.Format
    private let converter = FrameConverter()

    public init(options: OptimizationJobOptions) throws(PipelineError) {
        try options.validate()
        format = try StillPicture.format(of: options.outputPath)
        self.options = options
        photo = try PaintingStyle.picture(options.inputPath, stage: .input)
        style = try options.painting.load()
        output = try OutputFile(path: options.outputPath, inputPath: options.inputPath, overwrite: options.overwrite)
        sizes = options.schedule(width: photo.width, height: photo.height)
    }

    /// Iterations planned at each size.
    public var iterationsPerSize: [Int] {
        sizes.indices.map { $0 == 0 ? options.iterations : max(1, options.iterations >> $0) }
    }

    public func run(stop: StopSignal = StopSignal(), progress: (OptimizationProgress) -> Void = { _ in })
        throws(PipelineError) -> OptimizationSummary {
        let start = monotonicSeconds()
        let plan = iterationsPerSize, total = plan.reduce(0, +)
        var picture: [Float] = []
        var paintedSize = sizes[0]
        var (done, evaluations, loss) = (0, 0, 0.0)
        var interrupted = false
        for (level, size) in sizes.enumerated() {
            let photoPixels = try style.planes(photo, size: size)
            let objective = try photoPixels.withUnsafeBufferPointer { (content) throws(PipelineError) in
                try style.objective(size: size, content: content.baseAddress!, threads: options.threads)
            }
            if level == 0 {
                picture = options.start == .content ? photoPixels : noise(count: photoPixels.count)
            } else {
                picture = try style.planes(try frame(picture, size: paintedSize, preserveColors: false), size: size)
            }
            paintedSize = size
            var optimizer = LBFGS()
            optimizer.maxIterations = plan[level]
            let before = done
            let result = optimizer.minimize(&picture, { x, gradient in objective.evaluate(x, gradient: gradient).total }) { p in
                done = before + p.iteration
                progress(OptimizationProgress(level: level, levels: sizes.count, size: size, done: done, total: total,
                                              loss: p.loss, elapsed: monotonicSeconds() - start))
                return stop.state == .running
            }
            evaluations += result.evaluations
            loss = result.loss
            if stop.state == .aborted { output.discard(); throw PipelineError(.aborted, "aborted; nothing was written") }
            if result.stop == .cancelled || stop.state != .running { interrupted = true; break }
            done = before + plan[level]
        }
        try StillPicture.write(to: output, format: format) { () throws(PipelineError) in
            try frame(picture, size: paintedSize, preserveColors: options.painting.preserveColors)
        }
        return OptimizationSummary(outputPath: output.finalPath, width: photo.width, height: photo.height, sizes: sizes,
                                   iterations: done, evaluations: evaluations, loss: loss,
                                   elapsed: monotonicSeconds() - start, interrupted: interrupted)
    }

    /// The optimized planes (at `size`) as a picture of the photo's size, with the photo's colours if asked.
    private func frame(_ pixels: [Float], size: PictureSize, preserveColors: Bool) throws(PipelineError) -> VideoFrame {
        let clamped = pixels.map { min(255, max(0, $0)) }
        return try converter.compose(StylizedFrame(original: photo, pixels: clamped, width: size.width, height: size.height),
                                     strength: 1, preserveColors: preserveColors, chroma: .full)
    }

    private func noise(count: Int) -> [Float] {
        var generator = SplitMix64(seed: options.seed)
        return (0..<count).map { _ in Float(generator.next() >> 40) / Float(1 << 24) * 255 }
    }
}

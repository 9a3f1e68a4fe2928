import Foundation
import MediaIO
import PresetCatalog
import StyleEngine

/// A photo painted in the style of any picture, by optimization (Gatys, Ecker & Bethge 2016): no
/// network is trained; the picture itself is changed until VGG16 sees the photo's content and the
/// painting's Gram matrices. Slow (minutes), and the reference the fast networks are measured against.
public struct OptimizationJobOptions: Sendable {
    public enum Start: String, Sendable, CaseIterable { case content, noise }

    public var inputPath: String
    public var outputPath: String
    /// One painting, or several blended by `mix`.
    public var stylePaths: [String]
    /// One weight per painting (normalized to sum to 1); nil: equal weights.
    public var mix: [Float]?
    /// L-BFGS iterations at the coarsest size; each finer size gets half as many.
    public var iterations = 300
    public var contentWeight: Float = 1
    public var styleWeight: Float = 30
    /// How large the painting is seen, relative to the picture being painted: larger means larger strokes.
    public var styleScale: Float = 1
    public var start = Start.content
    /// For `start == .noise`.
    public var seed: UInt64 = 0
    /// Keep the photo's colours: only the result's luminance is kept.
    public var preserveColors = false
    /// The result's longest side while optimizing (the file keeps the photo's size). Above
    /// `coarseSize`, the picture is first optimized smaller and refined at each doubling.
    public var maxSize = 768
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    public var overwrite = false
    /// The VGG16 ONNX file (`scripts/fetch-loss-network.sh` installs it here).
    public var lossNetworkPath = PresetCatalog.lossNetworkPath() ?? "vgg16.onnx"

    /// The longest side the coarse-to-fine schedule starts at.
    public static let coarseSize = 384

    public init(inputPath: String, outputPath: String, stylePaths: [String]) {
        self.inputPath = inputPath
        self.outputPath = outputPath
        self.stylePaths = stylePaths
    }

    func validate() throws(PipelineError) {
        guard !stylePaths.isEmpty else { throw PipelineError(.options, "optimization needs at least one painting") }
        try PipelineError.Setting.iterations.check(iterations, atLeast: 1)
        try PipelineError.Setting.contentWeight.check(contentWeight, in: 0...1e9)
        try PipelineError.Setting.styleWeight.check(styleWeight, in: 0...1e9)
        try PipelineError.Setting.styleScale.check(styleScale, in: 0.1...4)
        try PipelineError.Setting.maxSize.check(maxSize, atLeast: 32, unit: " pixels")
        try PipelineError.Setting.threads.check(threads, atLeast: 1)
        if let mix {
            guard mix.count == stylePaths.count else {
                throw PipelineError.invalid(.styleMix, "needs one weight per painting (\(stylePaths.count), got \(mix.count))")
            }
            guard mix.allSatisfy({ $0.isFinite && $0 >= 0 }), mix.reduce(0, +) > 0 else {
                throw PipelineError.invalid(.styleMix, "must be weights of at least 0 with a positive sum")
            }
        }
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
    private let paintings: [VideoFrame]
    private let network: LossNetwork
    private let output: OutputFile
    private let format: StillImageWriter.Format
    private let converter = FrameConverter()

    public init(options: OptimizationJobOptions) throws(PipelineError) {
        try options.validate()
        format = try StillPicture.format(of: options.outputPath)
        self.options = options
        photo = try Self.picture(options.inputPath, stage: .input)
        paintings = try options.stylePaths.map { (path) throws(PipelineError) in try Self.picture(path, stage: .style) }
        guard FileManager.default.fileExists(atPath: options.lossNetworkPath) else {
            throw PipelineError(.style, "optimizing needs the VGG16 loss network, which is not installed "
                                + "(\(options.lossNetworkPath)); run fetch-loss-network.sh once (in scripts/ of Stylize's source, or share/stylize/ of an installation)")
        }
        do throws(EngineError) { network = try LossNetwork(contentsOf: options.lossNetworkPath) } catch {
            throw PipelineError(.style, error.message)
        }
        output = try OutputFile(path: options.outputPath, inputPath: options.inputPath, overwrite: options.overwrite)
        sizes = options.schedule(width: photo.width, height: photo.height)
    }

    /// The smallest sides painted or seen: VGG16 pools three times.
    static let smallestSide = 16

    private static func picture(_ path: String, stage: PipelineError.Stage) throws(PipelineError) -> VideoFrame {
        let picture: VideoFrame
        do throws(PipelineError) { picture = try StillPicture.read(path) } catch {
            throw PipelineError(stage, error.message)
        }
        guard min(picture.width, picture.height) >= smallestSide else {
            throw PipelineError(stage, "\(path): a \(picture.width)×\(picture.height) picture is too small to paint "
                                + "(at least \(smallestSide)×\(smallestSide) pixels)")
        }
        return picture
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
            let (w, h) = (size.width, size.height)
            let photoPixels = try planes(photo, width: w, height: h)
            let objective: StyleObjective
            do throws(EngineError) {
                let grams = try targetGrams(longestSide: Int((Float(max(w, h)) * options.styleScale).rounded()))
                objective = try photoPixels.withUnsafeBufferPointer { (content) throws(EngineError) in
                    try StyleObjective(network: network, width: w, height: h, content: content.baseAddress!, style: grams,
                                       weights: .init(content: options.contentWeight, style: options.styleWeight),
                                       threads: options.threads)
                }
            } catch { throw PipelineError(.engine, error.message) }
            if level == 0 {
                picture = options.start == .content ? photoPixels : noise(count: photoPixels.count)
            } else {
                picture = try planes(try frame(picture, size: paintedSize, preserveColors: false), width: w, height: h)
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
            try frame(picture, size: paintedSize, preserveColors: options.preserveColors)
        }
        return OptimizationSummary(outputPath: output.finalPath, width: photo.width, height: photo.height, sizes: sizes,
                                   iterations: done, evaluations: evaluations, loss: loss,
                                   elapsed: monotonicSeconds() - start, interrupted: interrupted)
    }

    /// The paintings' Gram matrices with each painting's longest side at `longestSide`, mixed.
    private func targetGrams(longestSide: Int) throws(EngineError) -> StyleObjective.Grams {
        var grams: [StyleObjective.Grams] = []
        for painting in paintings {
            let scaled = Self.scaled(painting, to: longestSide)
            let pixels: [Float]
            do throws(PipelineError) { pixels = try planes(painting, width: scaled.width, height: scaled.height) } catch {
                throw EngineError(error.message)
            }
            grams.append(try pixels.withUnsafeBufferPointer { (p) throws(EngineError) in
                try StyleObjective.grams(of: p.baseAddress!, width: scaled.width, height: scaled.height, network: network,
                                         threads: options.threads)
            })
        }
        let weights = options.mix ?? Array(repeating: 1, count: paintings.count)
        let sum = weights.reduce(0, +)
        return StyleObjective.mix(grams, weights: weights.map { $0 / sum })
    }

    /// A picture's size with its longest side at `longest` (up or down), rounded to whole pixels.
    private static func scaled(_ frame: VideoFrame, to longest: Int) -> PictureSize {
        let scale = Double(longest) / Double(max(frame.width, frame.height))
        return PictureSize(width: max(8, Int((Double(frame.width) * scale).rounded())),
                           height: max(8, Int((Double(frame.height) * scale).rounded())))
    }

    private func planes(_ frame: VideoFrame, width: Int, height: Int) throws(PipelineError) -> [Float] {
        var pixels = [Float](repeating: 0, count: 3 * width * height)
        do throws(MediaError) {
            try pixels.withUnsafeMutableBufferPointer { (buffer) throws(MediaError) in
                try converter.planarRGB(from: frame, width: width, height: height, into: buffer.baseAddress!)
            }
        } catch { throw PipelineError(error) }
        return pixels
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

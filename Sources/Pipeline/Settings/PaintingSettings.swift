import Foundation
import MediaIO
import PresetCatalog
import StyleEngine

/// A style given as pictures, painted by optimization (Gatys, Ecker & Bethge 2016): no network is
/// trained; each picture is changed until VGG16 sees the photo's content and the paintings' Gram
/// matrices. What a still (`StyleOptimization`) and a video's frames (`FrameOptimizer`) share.
public struct PaintingSettings: Sendable {
    /// One painting, or several blended by `mix`.
    public var stylePaths: [String]
    /// One weight per painting (normalized to sum to 1); nil: equal weights.
    public var mix: [Float]?
    public var contentWeight: Float = 1
    public var styleWeight: Float = 30
    /// How large the painting is seen, relative to the picture being painted: larger means larger strokes.
    public var styleScale: Float = 1
    /// Keep the photo's colours: only the result's luminance is kept.
    public var preserveColors = false
    /// The VGG16 ONNX file (`scripts/fetch-loss-network.sh` installs it here).
    public var lossNetworkPath = PresetCatalog.lossNetworkPath() ?? "vgg16.onnx"

    public init(stylePaths: [String]) {
        self.stylePaths = stylePaths
    }

    func validate() throws(PipelineError) {
        guard !stylePaths.isEmpty else { throw PipelineError(.options, "optimization needs at least one painting") }
        try PipelineError.Setting.contentWeight.check(contentWeight, in: 0...1e9)
        try PipelineError.Setting.styleWeight.check(styleWeight, in: 0...1e9)
        try PipelineError.Setting.styleScale.check(styleScale, in: 0.1...4)
        if let mix {
            guard mix.count == stylePaths.count else {
                throw PipelineError.invalid(.styleMix, "needs one weight per painting (\(stylePaths.count), got \(mix.count))")
            }
            guard mix.allSatisfy({ $0.isFinite && $0 >= 0 }), mix.reduce(0, +) > 0 else {
                throw PipelineError.invalid(.styleMix, "must be weights of at least 0 with a positive sum")
            }
        }
    }

    /// Reads the paintings and the loss network, refusing what is missing or unreadable (one line each).
    func load() throws(PipelineError) -> PaintingStyle {
        let paintings = try stylePaths.map { (path) throws(PipelineError) in try PaintingStyle.picture(path, stage: .style) }
        guard FileManager.default.fileExists(atPath: lossNetworkPath) else {
            throw PipelineError(.style, "optimizing needs the VGG16 loss network, which is not installed "
                                + "(\(lossNetworkPath)); run fetch-loss-network.sh once (in scripts/ of Stylize's source, or share/stylize/ of an installation)")
        }
        let network: LossNetwork
        do throws(EngineError) { network = try LossNetwork(contentsOf: lossNetworkPath) } catch {
            throw PipelineError(.style, error.message)
        }
        let weights = mix ?? Array(repeating: 1, count: paintings.count)
        let sum = weights.reduce(0, +)
        return PaintingStyle(settings: self, network: network, paintings: paintings, weights: weights.map { $0 / sum })
    }
}

/// Painting settings made ready: the loss network and the paintings, read once.
public final class PaintingStyle: @unchecked Sendable {
    public let settings: PaintingSettings
    let network: LossNetwork
    private let paintings: [VideoFrame]
    private let weights: [Float]
    private let converter = FrameConverter()

    init(settings: PaintingSettings, network: LossNetwork, paintings: [VideoFrame], weights: [Float]) {
        self.settings = settings
        self.network = network
        self.paintings = paintings
        self.weights = weights
    }

    /// The smallest sides painted or seen: VGG16 pools three times.
    static let smallestSide = 16

    /// A picture that is read whole and large enough to paint or to take a style from.
    static func picture(_ path: String, stage: PipelineError.Stage) throws(PipelineError) -> VideoFrame {
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

    /// The objective for pictures of `size`: the paintings seen at `styleScale` times its longest
    /// side, their Gram matrices mixed; `content` (RGB planes at `size`) the photo, if known yet.
    func objective(size: PictureSize, content: UnsafePointer<Float>?, threads: Int) throws(PipelineError) -> StyleObjective {
        let longest = Int((Float(max(size.width, size.height)) * settings.styleScale).rounded())
        do throws(EngineError) {
            var grams: [StyleObjective.Grams] = []
            for painting in paintings {
                let scaled = Self.scaled(painting, to: longest)
                let pixels: [Float]
                do throws(PipelineError) { pixels = try planes(painting, size: scaled) } catch { throw EngineError(error.message) }
                grams.append(try pixels.withUnsafeBufferPointer { (p) throws(EngineError) in
                    try StyleObjective.grams(of: p.baseAddress!, width: scaled.width, height: scaled.height, network: network,
                                             threads: threads)
                })
            }
            return try StyleObjective(network: network, width: size.width, height: size.height, content: content,
                                      style: StyleObjective.mix(grams, weights: weights),
                                      weights: .init(content: settings.contentWeight, style: settings.styleWeight), threads: threads)
        } catch { throw PipelineError(.engine, error.message) }
    }

    /// A picture's size with its longest side at `longest` (up or down), rounded to whole pixels.
    private static func scaled(_ frame: VideoFrame, to longest: Int) -> PictureSize {
        let scale = Double(longest) / Double(max(frame.width, frame.height))
        return PictureSize(width: max(8, Int((Double(frame.width) * scale).rounded())),
                           height: max(8, Int((Double(frame.height) * scale).rounded())))
    }

    /// A picture as RGB planes (0…255) at `size`.
    func planes(_ frame: VideoFrame, size: PictureSize) throws(PipelineError) -> [Float] {
        var pixels = [Float](repeating: 0, count: 3 * size.width * size.height)
        do throws(MediaError) {
            try pixels.withUnsafeMutableBufferPointer { (buffer) throws(MediaError) in
                try converter.planarRGB(from: frame, width: size.width, height: size.height, into: buffer.baseAddress!)
            }
        } catch { throw PipelineError(error) }
        return pixels
    }
}

import OpticalFlow
import StyleEngine

/// One worker's painter for a style given as pictures: every frame is optimized (Gatys et al.),
/// and a frame that continues the one before starts from that frame's result carried along the
/// optical flow and is held near it where the flow is trusted (Ruder, Dosovitskiy & Brox 2016,
/// "Artistic style transfer for videos"). So frames must come in order, to one worker: each
/// needs the result before it. Not thread-safe.
public final class FrameOptimizer {
    public struct Settings: Sendable {
        /// L-BFGS iterations of a frame that starts afresh (the first, and after a cut): from the photo.
        public var firstFrameIterations = 150
        /// L-BFGS iterations of a frame that starts from the previous result.
        public var iterations = 50
        /// Weight of the temporal term, mean(c · (x − ω)²) on 0…255 values, beside the content
        /// and style terms (`StyleObjective`).
        public var temporalWeight: Float = 2

        public init() {}

        func validate() throws(PipelineError) {
            try PipelineError.Setting.iterations.check(iterations, atLeast: 1)
            try PipelineError.Setting.iterations.check(firstFrameIterations, atLeast: 1)
            try PipelineError.Setting.temporalWeight.check(temporalWeight, in: 0...1e6)
        }
    }

    private let style: PaintingStyle
    private let settings: Settings
    private let size: NetworkSize
    private let threads: Int
    private let canvas: CanvasMargin
    /// Frames are painted on a canvas this many pixels wider on each side: the bright edge VGG's
    /// zero padding leaves falls outside the picture, where the temporal term cannot carry it inward.
    static let margin = 8
    private var objective: StyleObjective?
    /// The last frame's result, RGB planes 0…255 on the canvas.
    private var previous: [Float]?
    private var warped: [Float] = []

    public init(style: PaintingStyle, settings: Settings, size: NetworkSize, threads: Int) {
        self.style = style
        self.settings = settings
        self.size = size
        self.threads = threads
        canvas = CanvasMargin(width: size.width, height: size.height, margin: Self.margin)
    }

    /// Paints `frame` (its pixels: RGB planes 0…255 at network size). `link` carries the previous
    /// frame's result into this one; nil, or a cut, starts afresh. `shouldContinue` is asked after
    /// every iteration: false ends this frame at the best picture so far.
    public func paint(_ frame: PreparedFrame, link: TemporalLink?,
                      shouldContinue: () -> Bool = { true }) throws(PipelineError) -> StylizedFrame {
        let (w, h) = (size.width, size.height)
        guard frame.pixels.count == 3 * w * h else {
            throw PipelineError(.engine, "a frame was prepared at another size than the painting's \(size)")
        }
        let content = canvas.pad(frame.pixels, .mirror)
        let (cw, ch) = (canvas.paddedWidth, canvas.paddedHeight)
        let objective: StyleObjective
        if let made = self.objective {
            objective = made
            content.withUnsafeBufferPointer { objective.setContent($0.baseAddress!) }
        } else {
            objective = try content.withUnsafeBufferPointer { (p) throws(PipelineError) in
                try style.objective(size: PictureSize(width: cw, height: ch), content: p.baseAddress!, threads: threads)
            }
            self.objective = objective
        }

        var x: [Float]
        let iterations: Int
        if let link, !link.isCut, let previous {
            // The flow near the frame's edges goes on into the margin; the margin is not held.
            let flow = FlowField(width: cw, height: ch, u: canvas.pad(link.flow.u, .nearest), v: canvas.pad(link.flow.v, .nearest))
            Warp.backwardCubic(planar: previous, channels: 3, width: cw, height: ch, flow: flow, reusing: &warped)
            x = warped
            objective.setTemporal(settings.temporalWeight > 0
                                  ? (warped, canvas.pad(link.confidence, .zero), settings.temporalWeight) : nil)
            iterations = settings.iterations
        } else {
            x = content
            objective.setTemporal(nil)
            iterations = settings.firstFrameIterations
        }
        var optimizer = LBFGS()
        optimizer.maxIterations = iterations
        _ = optimizer.minimize(&x, { p, gradient in objective.evaluate(p, gradient: gradient).total }) { _ in shouldContinue() }
        for i in x.indices { x[i] = min(255, max(0, x[i])) }
        previous = x
        return StylizedFrame(original: frame.original, pixels: canvas.crop(x), width: w, height: h, link: link)
    }
}

/// Gatys, Ecker & Bethge's objective at one picture size, with its gradient:
///
///     loss(x) = content · 1e-4 · mean((φ(x) − φ(photo))²)            at the content tap
///             + style   · 1e-3 · Σ_taps mean((Gram(φ(x)) − A)²)       A: the painting's Gram matrices
///             + temporal · mean(c · (x − ω)²)                          only for a video's frame (`setTemporal`)
///
/// The temporal term is Ruder, Dosovitskiy & Brox's (2016): ω is the previous frame's result carried
/// along the optical flow, c the flow's confidence per pixel (0 where it is occluded or unreliable).
///
/// The scale constants are the training's (`Training/train.py`), so a weight means the same for an
/// optimized picture as for a trained network. Not thread-safe; its session's threads split the work.
public final class StyleObjective {
    public typealias Tap = LossNetwork.Tap
    /// Gram matrices by tap (C × C each, row-major).
    public typealias Grams = [Tap: [Float]]

    public struct Weights: Sendable {
        public var content: Float
        public var style: Float
        public var contentTap: Tap = .relu2_2
        public var styleTaps: [Tap] = Tap.allCases

        public init(content: Float, style: Float) {
            self.content = content
            self.style = style
        }
    }

    /// The loss of one evaluation, by term.
    public struct Loss: Sendable {
        public var content: Double = 0
        public var style: Double = 0
        public var temporal: Double = 0
        public var total: Double { content + style + temporal }
    }

    static let contentScale: Float = 1e-4
    static let styleScale: Float = 1e-3

    public let width: Int, height: Int
    public let weights: Weights
    private let session: LossNetworkSession
    private var contentFeatures: [Float]?
    private var temporal: (target: [Float], confidence: [Float], weight: Float)?
    private let targets: Grams
    private let seeds: [Tap: TensorStorage<Float>]
    private let gram: TensorStorage<Float>

    /// `content`: the photo (RGB planes, 0…255, width × height), or nil for texture alone.
    /// `style`: the target Gram matrices (`grams(of:…)`, or `mix` of several).
    public init(network: LossNetwork, width: Int, height: Int, content: UnsafePointer<Float>?, style: Grams,
                weights: Weights, threads: Int = 1) throws(EngineError) {
        let styleTaps = weights.style != 0 ? weights.styleTaps : []
        for tap in styleTaps {
            let channels = network.channels(at: tap)
            guard style[tap]?.count == channels * channels else {
                throw EngineError("the style target has no \(channels)×\(channels) Gram matrix at \(tap.name)")
            }
        }
        let used = styleTaps + (weights.content != 0 ? [weights.contentTap] : [])
        session = try LossNetworkSession(network: network, width: width, height: height, deepestTap: used.max() ?? .relu1_2,
                                         threads: threads)
        self.width = width
        self.height = height
        self.weights = weights
        targets = style
        var seeds: [Tap: TensorStorage<Float>] = [:]
        var largestGram = 1
        for tap in Set(used) {
            let f = session.features(at: tap)
            seeds[tap] = TensorStorage(count: f.channels * f.height * f.width, repeating: 0)
            largestGram = max(largestGram, f.channels * f.channels)
        }
        self.seeds = seeds
        gram = TensorStorage(count: largestGram, repeating: 0)
        setContent(content)
    }

    /// The photo whose content is kept (RGB planes, 0…255, width × height), or nil for none: a
    /// video's next frame.
    public func setContent(_ content: UnsafePointer<Float>?) {
        guard let content else { contentFeatures = nil; return }
        session.forward(content)
        let f = session.features(at: weights.contentTap)
        contentFeatures = Array(UnsafeBufferPointer(start: f.pointer, count: f.channels * f.height * f.width))
    }

    /// Ruder et al.'s temporal term: stay near `target` (RGB planes, 0…255) by `confidence` (one
    /// weight per pixel, 0…1) times `weight`; nil: none (a video's first frame, or after a cut).
    public func setTemporal(_ term: (target: [Float], confidence: [Float], weight: Float)?) {
        if let term {
            precondition(term.target.count == 3 * width * height && term.confidence.count == width * height,
                         "a temporal target of another size than the objective's")
        }
        temporal = term
    }

    /// The Gram matrices of a picture (RGB planes, 0…255) at every tap: a painting's style target.
    public static func grams(of image: UnsafePointer<Float>, width: Int, height: Int, network: LossNetwork,
                             threads: Int = 1) throws(EngineError) -> Grams {
        let session = try LossNetworkSession(network: network, width: width, height: height, threads: threads)
        session.forward(image)
        var grams: Grams = [:]
        for tap in Tap.allCases {
            let f = session.features(at: tap)
            var gram = [Float](repeating: 0, count: f.channels * f.channels)
            gram.withUnsafeMutableBufferPointer { g in
                GramMatrix.compute(f.pointer, channels: f.channels, pixels: f.height * f.width, into: g.baseAddress!,
                                   parallel: session.parallel)
            }
            grams[tap] = gram
        }
        return grams
    }

    /// Σ wᵢ · Gramsᵢ: the target of a blend of paintings (weights as given; the caller normalizes).
    public static func mix(_ grams: [Grams], weights: [Float]) -> Grams {
        var result: Grams = [:]
        for (target, weight) in zip(grams, weights) {
            for (tap, gram) in target {
                var sum = result[tap] ?? [Float](repeating: 0, count: gram.count)
                for i in gram.indices { sum[i] += weight * gram[i] }
                result[tap] = sum
            }
        }
        return result
    }

    /// The loss at `x` (RGB planes, 0…255, width × height) and its gradient (the same shape).
    public func evaluate(_ x: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>) -> Loss {
        session.forward(x)
        let parallel = session.parallel
        var loss = Loss()
        for (_, seed) in seeds { seed.pointer.update(repeating: 0, count: seed.count) }
        if let contentFeatures, weights.content != 0, let seed = seeds[weights.contentTap] {
            let f = session.features(at: weights.contentTap)
            let count = f.channels * f.height * f.width
            let weight = weights.content * Self.contentScale
            let slope = 2 * weight / Float(count)
            let area = f.height * f.width
            loss.content = contentFeatures.withUnsafeBufferPointer { target in
                Self.sumOfSquares(channels: f.channels, parallel: parallel) { c in
                    var sum: Double = 0
                    for i in (c * area)..<((c + 1) * area) {
                        let d = f.pointer[i] - target[i]
                        seed.pointer[i] = slope * d
                        sum += Double(d * d)
                    }
                    return sum
                }
            } * Double(weight) / Double(count)
        }
        if weights.style != 0 {
            let weight = weights.style * Self.styleScale
            for tap in weights.styleTaps {
                guard let target = targets[tap], let seed = seeds[tap] else { continue }
                let f = session.features(at: tap)
                let (channels, pixels) = (f.channels, f.height * f.width)
                GramMatrix.compute(f.pointer, channels: channels, pixels: pixels, into: gram.pointer, parallel: parallel)
                var squares: Double = 0
                for i in 0..<(channels * channels) {
                    let d = gram.pointer[i] - target[i]
                    gram.pointer[i] = d
                    squares += Double(d * d)
                }
                let entries = Float(channels * channels)
                loss.style += Double(weight) * squares / Double(entries)
                GramMatrix.backward(gram.pointer, features: f.pointer, channels: channels, pixels: pixels,
                                    scale: 4 * weight / (entries * Float(channels * pixels)), adding: seed.pointer,
                                    parallel: parallel)
            }
        }
        var pointers: [Tap: UnsafePointer<Float>] = [:]
        for (tap, seed) in seeds { pointers[tap] = UnsafePointer(seed.pointer) }
        session.backward(seeds: pointers, into: gradient)
        if let temporal, temporal.weight != 0 {
            loss.temporal = addTemporalTerm(temporal, at: x, gradient: gradient)
        }
        return loss
    }

    /// weight · mean(c · (x − ω)²) over every value, its gradient added to `gradient`.
    private func addTemporalTerm(_ term: (target: [Float], confidence: [Float], weight: Float), at x: UnsafePointer<Float>,
                                 gradient: UnsafeMutablePointer<Float>) -> Double {
        let area = width * height
        let scale = term.weight / Float(3 * area)
        var sum: Double = 0
        term.target.withUnsafeBufferPointer { target in
            term.confidence.withUnsafeBufferPointer { confidence in
                for channel in 0..<3 {
                    let offset = channel * area
                    for i in 0..<area {
                        let d = x[offset + i] - target[offset + i]
                        let weighted = confidence[i] * d
                        sum += Double(weighted * d)
                        gradient[offset + i] += 2 * scale * weighted
                    }
                }
            }
        }
        return Double(scale) * sum
    }

    /// Σ over channels of `channel(c)`, the channels split over the threads.
    private static func sumOfSquares(channels: Int, parallel: ParallelContext, _ channel: (Int) -> Double) -> Double {
        var sums = [Double](repeating: 0, count: channels)
        sums.withUnsafeMutableBufferPointer { sums in
            parallel.forEach(channels) { c, _ in sums[c] = channel(c) }
        }
        return sums.reduce(0, +)
    }
}

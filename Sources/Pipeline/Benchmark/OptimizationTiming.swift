import StyleEngine

/// The cost of one step of painting by optimization: Gatys et al.'s loss and its gradient at one
/// picture size, on made-up pictures (the cost does not depend on what they show).
public struct OptimizationTiming: Sendable {
    public let lossNetworkPath: String
    public let size: PictureSize
    public let threads: Int

    public init(lossNetworkPath: String, size: PictureSize, threads: Int) {
        self.lossNetworkPath = lossNetworkPath
        self.size = size
        self.threads = threads
    }

    /// The median milliseconds of `runs` evaluations, after one that is not timed.
    public func run(runs: Int) throws(PipelineError) -> Double {
        let (w, h) = (size.width, size.height)
        var generator = SplitMix64(seed: 1)
        let photo = (0..<(3 * w * h)).map { _ in Float.random(in: 0...255, using: &generator) }
        let painting = (0..<(3 * w * h)).map { _ in Float.random(in: 0...255, using: &generator) }
        var x = photo.map { min(255, max(0, $0 + Float.random(in: -20...20, using: &generator))) }
        var gradient = [Float](repeating: 0, count: x.count)
        var times: [Double] = []
        do throws(EngineError) {
            let network = try LossNetwork(contentsOf: lossNetworkPath)
            let grams = try painting.withUnsafeBufferPointer { (p) throws(EngineError) in
                try StyleObjective.grams(of: p.baseAddress!, width: w, height: h, network: network, threads: threads)
            }
            let objective = try photo.withUnsafeBufferPointer { (p) throws(EngineError) in
                try StyleObjective(network: network, width: w, height: h, content: p.baseAddress!, style: grams,
                                   weights: .init(content: 1, style: 1000), threads: threads)
            }
            for run in 0...runs {
                let start = monotonicSeconds()
                _ = x.withUnsafeBufferPointer { p in
                    gradient.withUnsafeMutableBufferPointer { objective.evaluate(p.baseAddress!, gradient: $0.baseAddress!) }
                }
                if run > 0 { times.append((monotonicSeconds() - start) * 1000) }
                x[run % x.count] += 1
            }
        } catch { throw PipelineError(.engine, error.message) }
        return median(times)
    }
}

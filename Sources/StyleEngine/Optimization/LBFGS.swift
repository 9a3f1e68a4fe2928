/// Limited-memory BFGS (Nocedal & Wright, "Numerical Optimization", algorithms 7.4 and 7.5) with
/// a line search that meets the strong Wolfe conditions (algorithms 3.5 and 3.6, cubic
/// interpolation): the optimizer Gatys et al. used. Minimizes f over a Float vector; the function
/// hands back its value and writes its gradient.
public struct LBFGS: Sendable {
    /// Correction pairs kept.
    public var history = 50
    public var maxIterations = 100
    /// Stop when an iteration lowers the loss by less than this fraction of it (0: never).
    public var relativeTolerance = 0.0
    /// Stop when no gradient component is larger than this.
    public var gradientTolerance = 1e-7
    /// Function evaluations one line search may spend.
    public var maxLineSearchEvaluations = 25

    public enum Stop: Sendable { case iterations, converged, cancelled, noProgress }

    public struct Progress: Sendable {
        public let iteration: Int
        public let evaluations: Int
        /// The loss at the point this iteration moved to.
        public let loss: Double
    }

    public struct Result: Sendable {
        public let iterations: Int
        public let evaluations: Int
        /// The lowest loss seen; `x` holds its point.
        public let loss: Double
        public let stop: Stop
    }

    public init() {}

    /// Minimizes `f` from `x`, leaving in `x` the best point it evaluated. After each iteration
    /// `progress` hears how it went; returning false stops (Ctrl-C).
    public func minimize(_ x: inout [Float],
                         _ f: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Double,
                         progress: (Progress) -> Bool = { _ in true }) -> Result {
        let n = x.count
        var evaluations = 0
        var best = x, bestLoss = Double.infinity
        func evaluate(_ point: [Float], _ gradient: inout [Float]) -> Double {
            evaluations += 1
            let value = point.withUnsafeBufferPointer { p in
                gradient.withUnsafeMutableBufferPointer { g in f(p.baseAddress!, g.baseAddress!) }
            }
            if value < bestLoss { bestLoss = value; best = point }
            return value
        }
        var gradient = [Float](repeating: 0, count: n)
        var loss = evaluate(x, &gradient)
        var steps: [[Float]] = [], changes: [[Float]] = [], curvatures: [Double] = []
        var direction = [Float](repeating: 0, count: n)
        var previousGradient = gradient
        var step = 0.0
        var stop = Stop.iterations
        var iteration = 0
        if Double(Self.maxAbs(gradient)) <= gradientTolerance { return Result(iterations: 0, evaluations: 1, loss: loss, stop: .converged) }
        while iteration < maxIterations {
            iteration += 1
            if iteration == 1 {
                for i in 0..<n { direction[i] = -gradient[i] }
                step = min(1, 1 / Self.sumAbs(gradient))
            } else {
                // The newest pair: s = the last move, y = the change of gradient it caused.
                var change = [Float](repeating: 0, count: n)
                var s = [Float](repeating: 0, count: n)
                for i in 0..<n {
                    change[i] = gradient[i] - previousGradient[i]
                    s[i] = Float(step) * direction[i]
                }
                let ys = Self.dot(change, s)
                if ys > 1e-10 {
                    if steps.count == history { steps.removeFirst(); changes.removeFirst(); curvatures.removeFirst() }
                    steps.append(s); changes.append(change); curvatures.append(1 / ys)
                }
                direction = twoLoop(gradient, steps: steps, changes: changes, curvatures: curvatures)
                step = 1
            }
            previousGradient = gradient
            let slope = Self.dot(gradient, direction)
            if slope > -1e-12 { stop = .noProgress; break }
            let previousLoss = loss
            let search = lineSearch(x, loss: loss, gradient: &gradient, direction: direction, step: step, slope: slope,
                                    evaluate: evaluate)
            step = search.step
            loss = search.loss
            for i in 0..<n { x[i] += Float(step) * direction[i] }
            if !progress(Progress(iteration: iteration, evaluations: evaluations, loss: loss)) { stop = .cancelled; break }
            if Double(Self.maxAbs(gradient)) <= gradientTolerance { stop = .converged; break }
            if step * Double(Self.maxAbs(direction)) <= 1e-9 { stop = .noProgress; break }
            if relativeTolerance > 0, abs(previousLoss - loss) <= relativeTolerance * abs(previousLoss) { stop = .converged; break }
        }
        if bestLoss < loss || stop == .cancelled { x = best }
        return Result(iterations: iteration, evaluations: evaluations, loss: min(bestLoss, loss), stop: stop)
    }

    /// −H·g with H the inverse-Hessian estimate of the stored pairs, scaled by the newest's y·s / y·y.
    private func twoLoop(_ gradient: [Float], steps: [[Float]], changes: [[Float]], curvatures: [Double]) -> [Float] {
        var q = gradient.map { -$0 }
        var alphas = [Double](repeating: 0, count: steps.count)
        for k in stride(from: steps.count - 1, through: 0, by: -1) {
            alphas[k] = curvatures[k] * Self.dot(steps[k], q)
            Self.addScaled(&q, changes[k], -alphas[k])
        }
        if let s = steps.last, let y = changes.last {
            let scale = Self.dot(y, s) / Self.dot(y, y)
            for i in q.indices { q[i] = Float(Double(q[i]) * scale) }
        }
        for k in 0..<steps.count {
            let beta = curvatures[k] * Self.dot(changes[k], q)
            Self.addScaled(&q, steps[k], alphas[k] - beta)
        }
        return q
    }

    private struct Trial {
        var step: Double
        var loss: Double
        var slope: Double
    }

    /// A step along `direction` meeting the strong Wolfe conditions (c₁ = 1e-4, c₂ = 0.9), or the
    /// best one found within `maxLineSearchEvaluations`. Leaves the gradient at that step in `gradient`.
    private func lineSearch(_ x: [Float], loss: Double, gradient: inout [Float], direction: [Float], step: Double,
                            slope: Double, evaluate: (_ point: [Float], _ gradient: inout [Float]) -> Double)
        -> (step: Double, loss: Double) {
        let (c1, c2) = (1e-4, 0.9)
        let start = Trial(step: 0, loss: loss, slope: slope)
        var point = x
        var trialGradient = gradient
        var spent = 0
        func trial(_ t: Double) -> Trial {
            for i in point.indices { point[i] = x[i] + Float(t) * direction[i] }
            spent += 1
            let value = evaluate(point, &trialGradient)
            return Trial(step: t, loss: value, slope: Self.dot(trialGradient, direction))
        }
        var previous = start, previousGradient = gradient
        var current = trial(step)
        var low: Trial, high: Trial, lowGradient: [Float]
        var first = true
        while true {
            if current.loss > loss + c1 * current.step * slope || (!first && current.loss >= previous.loss) {
                (low, high, lowGradient) = (previous, current, previousGradient)
                break
            }
            if abs(current.slope) <= -c2 * slope { gradient = trialGradient; return (current.step, current.loss) }
            if current.slope >= 0 {
                (low, high, lowGradient) = (current, previous, trialGradient)
                break
            }
            if spent >= maxLineSearchEvaluations { gradient = trialGradient; return (current.step, current.loss) }
            let next = Self.cubicMinimum(previous, current,
                                         within: current.step + 0.01 * (current.step - previous.step), 10 * current.step)
            (previous, previousGradient) = (current, trialGradient)
            current = trial(next)
            first = false
        }
        // Zoom into [low, high], which holds a point meeting the conditions.
        while spent < maxLineSearchEvaluations {
            let (lo, hi) = (min(low.step, high.step), max(low.step, high.step))
            var t = Self.cubicMinimum(low, high, within: lo, hi)
            // Keep away from the ends of the bracket, so that it shrinks.
            let margin = 0.1 * (hi - lo)
            if t - lo < margin || hi - t < margin { t = 0.5 * (lo + hi) }
            let middle = trial(t)
            if middle.loss > loss + c1 * middle.step * slope || middle.loss >= low.loss {
                high = middle
            } else {
                if abs(middle.slope) <= -c2 * slope { gradient = trialGradient; return (middle.step, middle.loss) }
                if middle.slope * (high.step - low.step) >= 0 { high = low }
                (low, lowGradient) = (middle, trialGradient)
            }
            if abs(high.step - low.step) * Double(Self.maxAbs(direction)) < 1e-9 { break }
        }
        gradient = lowGradient
        return (low.step, low.loss)
    }

    /// The minimizer of the cubic through two points with their slopes, clamped to [lower, upper]
    /// (either order); the middle when the cubic has none.
    private static func cubicMinimum(_ a: Trial, _ b: Trial, within lower: Double, _ upper: Double) -> Double {
        let (lo, hi) = (min(lower, upper), max(lower, upper))
        let d1 = a.slope + b.slope - 3 * (a.loss - b.loss) / (a.step - b.step)
        let square = d1 * d1 - a.slope * b.slope
        guard square >= 0, a.step != b.step else { return 0.5 * (lo + hi) }
        let d2 = (b.step > a.step ? 1.0 : -1.0) * square.squareRoot()
        let t = b.step - (b.step - a.step) * (b.slope + d2 - d1) / (b.slope - a.slope + 2 * d2)
        guard t.isFinite else { return 0.5 * (lo + hi) }
        return min(max(t, lo), hi)
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Double {
        var sum = 0.0
        for i in a.indices { sum += Double(a[i]) * Double(b[i]) }
        return sum
    }

    static func addScaled(_ a: inout [Float], _ b: [Float], _ scale: Double) {
        let s = Float(scale)
        for i in a.indices { a[i] += s * b[i] }
    }

    static func maxAbs(_ a: [Float]) -> Float { a.reduce(0) { max($0, abs($1)) } }
    static func sumAbs(_ a: [Float]) -> Double { a.reduce(0) { $0 + Double(abs($1)) } }
}

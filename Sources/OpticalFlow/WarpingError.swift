/// The warping error of Lai et al., "Learning Blind Video Temporal Consistency"
/// (ECCV 2018), the standard flicker metric for processed videos.
///
/// For a pair of output frames (O_t, O_{t+1}) in planar RGB (or any `channels`) with
/// values in [0, 1]:
///
///     E_pair = Σ_x M(x) Σ_c (Ŵ(x, c) − O_t(x, c))²  /  (C · Σ_x M(x)),
///     Ŵ(x) = O_{t+1}(x + w(x))
///
/// where `w` is the forward flow t→t+1 computed on the *input* video (defined on frame
/// t's grid, used as a backward warp from t's coordinates) and `M` is the
/// non-occlusion mask on frame t's grid, also from the input video's flows
/// (`Consistency.confidenceInCurrentFrame(forward:backward:)`). The division by
/// `C · ΣM` matches the reference evaluation script, which reads the mask as a
/// 3-channel image, so the value is a per-channel mean squared error over the
/// reliable pixels (pure noise of variance σ² on one frame gives ≈ σ²).
/// With a soft mask, pixels are weighted by M. A pair with ΣM = 0 scores 0 (the
/// numerator is 0 too, as in the reference). The video's error is the mean over
/// its pairs (`Accumulator`).
public enum WarpingError {
    /// Warping error of one pair; see the type's documentation.
    /// - Parameters:
    ///   - outputT, outputT1: planar images of `channels × width × height` floats,
    ///     where width/height are the flow's.
    ///   - flowForward: flow t→t+1 of the input video, on frame t's grid.
    ///   - mask: non-occlusion mask on frame t's grid, the flow's size.
    public static func pair(outputT: [Float], outputT1: [Float], channels: Int = 3,
                            flowForward: FlowField, mask: FlowConfidence) -> Double {
        var scratch: [Float] = []
        return pair(outputT: outputT, outputT1: outputT1, channels: channels,
                    flowForward: flowForward, mask: mask, scratch: &scratch)
    }

    /// As `pair`, reusing `scratch` for the warped frame (resized when needed).
    public static func pair(outputT: [Float], outputT1: [Float], channels: Int,
                            flowForward flow: FlowField, mask: FlowConfidence,
                            scratch: inout [Float]) -> Double {
        let w = flow.width, h = flow.height, n = w * h
        precondition(mask.width == w && mask.height == h, "mask must match the flow size")
        precondition(outputT.count == channels * n && outputT1.count == channels * n,
                     "frames must hold channels×width×height floats")
        if scratch.count != channels * n { scratch = [Float](repeating: 0, count: channels * n) }
        outputT1.withUnsafeBufferPointer { src in
            scratch.withUnsafeMutableBufferPointer { dst in
                Warp.backward(planar: src.baseAddress!, channels: channels, width: w, height: h,
                              flow: flow, into: dst.baseAddress!, valid: nil)
            }
        }
        var weight = 0.0
        for m in mask.mask { weight += Double(m) }
        guard weight > 0 else { return 0 }
        var total = 0.0
        outputT.withUnsafeBufferPointer { o in
            scratch.withUnsafeBufferPointer { wp in
                mask.mask.withUnsafeBufferPointer { mb in
                    for c in 0..<channels {
                        let base = c * n
                        // Float sums per row, Double across rows: fast and precise enough.
                        for y in 0..<h {
                            let row = y * w
                            var rowSum: Float = 0
                            for x in row..<(row + w) {
                                let d = wp[base + x] - o[base + x]
                                rowSum += mb[x] * d * d
                            }
                            total += Double(rowSum)
                        }
                    }
                }
            }
        }
        return total / (Double(channels) * weight)
    }

    /// Accumulates pair errors over a sequence; `mean` is the sequence's warping error.
    public struct Accumulator: Sendable {
        public private(set) var sum: Double = 0
        public private(set) var count: Int = 0
        private var scratch: [Float] = []

        public init() {}

        /// The mean over the pairs added so far (0 when none).
        public var mean: Double { count == 0 ? 0 : sum / Double(count) }

        /// Adds an already computed pair error.
        public mutating func add(_ pairError: Double) {
            sum += pairError
            count += 1
        }

        /// Computes, adds and returns the error of one pair (reusing an internal buffer).
        @discardableResult
        public mutating func add(outputT: [Float], outputT1: [Float], channels: Int = 3,
                                 flowForward: FlowField, mask: FlowConfidence) -> Double {
            let e = WarpingError.pair(outputT: outputT, outputT1: outputT1, channels: channels,
                                      flowForward: flowForward, mask: mask, scratch: &scratch)
            add(e)
            return e
        }
    }
}

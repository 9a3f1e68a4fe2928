/// The kernel BatchNormalization and InstanceNormalization share: each
/// (batch, channel) plane becomes (x − mean) / √(variance + ε) · scale + B,
/// with scale and B per channel (inputs 1 and 2). Only where mean and variance
/// come from differs.
struct ChannelNormalizationKernel: Kernel {
    enum Statistics {
        /// Per channel, from inputs 3 and 4 (BatchNormalization in inference mode).
        case stored
        /// Measured on each plane (InstanceNormalization).
        case perPlane
    }

    let statistics: Statistics
    let planes: Int
    let channels: Int
    let area: Int
    let epsilon: Float

    var canRunInPlace: Bool { true }

    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>) {
        for plane in 0..<planes {
            let (factor, shift) = affine(plane: plane, inputs: inputs)
            scaleAndShift(inputs[0] + plane * area, outputs[0] + plane * area, count: area, scale: factor, shift: shift)
        }
    }

    /// What the normalization does to plane `plane`: y = x · scale + shift.
    func affine(plane: Int, inputs: [UnsafePointer<Float>]) -> (scale: Float, shift: Float) {
        let channel = plane % channels
        let (mean, variance) = switch statistics {
        case .stored: (inputs[3][channel], inputs[4][channel])
        case .perPlane: meanAndVariance(inputs[0] + plane * area, count: area)
        }
        let factor = inputs[1][channel] / (variance + epsilon).squareRoot()
        return (factor, inputs[2][channel] - mean * factor)
    }
}

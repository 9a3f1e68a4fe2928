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
        let (input, scale, bias, output) = (inputs[0], inputs[1], inputs[2], outputs[0])
        for plane in 0..<planes {
            let channel = plane % channels
            let (mean, variance) = switch statistics {
            case .stored: (inputs[3][channel], inputs[4][channel])
            case .perPlane: meanAndVariance(input + plane * area, count: area)
            }
            let factor = scale[channel] / (variance + epsilon).squareRoot()
            scaleAndShift(input + plane * area, output + plane * area, count: area,
                          scale: factor, shift: bias[channel] - mean * factor)
        }
    }
}

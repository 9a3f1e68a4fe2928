import CKernels

/// InstanceNormalization or BatchNormalization with what follows it folded
/// into the normalizing pass: a residual Add (Johnson's residual blocks end
/// in IN → Add) and/or a ReLU (IN → ReLU after every other convolution).
/// The planner fuses them (see Fusion.swift); the statistics are those of
/// `ChannelNormalizationKernel`, and each element gets the same float
/// operations as the separate steps: ((x · factor + shift) + residual), then max(·, 0).
struct FusedNormalizationKernel: Kernel {
    let base: ChannelNormalizationKernel
    /// Input `residualInput` (same shape as the output) is added after normalizing.
    let residual: Bool
    let relu: Bool

    var canRunInPlace: Bool { true }

    /// Where the residual comes in: after x, scale, B (and mean, var for stored statistics).
    var residualInput: Int { base.statistics == .stored ? 5 : 3 }

    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>) {
        for plane in 0..<base.planes { normalize(plane: plane, inputs: inputs, output: outputs[0]) }
    }

    /// One (batch, channel) plane; planes are independent, so they may run in parallel.
    func normalize(plane: Int, inputs: [UnsafePointer<Float>], output: UnsafeMutablePointer<Float>) {
        let area = base.area
        let (factor, shift) = base.affine(plane: plane, inputs: inputs)
        Self.normalize(inputs[0] + plane * area, output + plane * area, residual ? inputs[residualInput] + plane * area : nil,
                       count: area, scale: factor, shift: shift, relu: relu)
    }

    /// y = x · scale + shift (+ r) (then max(·, 0)); x and y may be the same buffer.
    @inline(__always)
    static func normalize(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ r: UnsafePointer<Float>?,
                          count: Int, scale: Float, shift: Float, relu: Bool) {
        stylize_normalize_plane(vectors, x, y, r, count, scale, shift, relu ? 1 : 0)
    }

    /// The instructions the pass runs on, as the statistics'.
    private static let vectors = stylize_vector_kernel_best()
}

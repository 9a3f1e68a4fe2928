/// Small loops over contiguous floats shared by several kernels. Reductions
/// are written with SIMD accumulators because the compiler may not reorder a
/// scalar float sum on its own.

typealias FloatVector = SIMD16<Float>

@inline(__always)
func loadVector(_ pointer: UnsafePointer<Float>) -> FloatVector {
    UnsafeRawPointer(pointer).loadUnaligned(as: FloatVector.self)
}

@inline(__always)
func storeVector(_ vector: FloatVector, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: vector, as: FloatVector.self)
}

/// y[i] = x[i] * scale + shift (x and y may be the same buffer).
func scaleAndShift(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int, scale: Float, shift: Float) {
    let width = FloatVector.scalarCount
    var i = 0
    while i + width <= count {
        storeVector(loadVector(x + i) * scale + shift, y + i)
        i += width
    }
    while i < count {
        y[i] = x[i] * scale + shift
        i += 1
    }
}

/// Σ (x[i] - center)^power for power 1 or 2, accumulated in blocks: float
/// vectors inside a block, double across blocks, so a full-HD plane keeps ~1e-7 accuracy.
func centeredSum(_ x: UnsafePointer<Float>, count: Int, center: Float, squared: Bool) -> Double {
    let width = FloatVector.scalarCount
    let blockLength = 1024
    var total = 0.0
    var blockStart = 0
    while blockStart < count {
        let blockEnd = min(blockStart + blockLength, count)
        var accumulator = FloatVector()
        var i = blockStart
        while i + width <= blockEnd {
            let deviation = loadVector(x + i) - center
            accumulator += squared ? deviation * deviation : deviation
            i += width
        }
        var blockSum = accumulator.sum()
        while i < blockEnd {
            let deviation = x[i] - center
            blockSum += squared ? deviation * deviation : deviation
            i += 1
        }
        total += Double(blockSum)
        blockStart = blockEnd
    }
    return total
}

/// Mean and (biased) variance of `count` floats, two-pass for accuracy.
func meanAndVariance(_ x: UnsafePointer<Float>, count: Int) -> (mean: Float, variance: Float) {
    guard count > 0 else { return (0, 0) }
    let mean = Float(centeredSum(x, count: count, center: 0, squared: false) / Double(count))
    let variance = Float(centeredSum(x, count: count, center: mean, squared: true) / Double(count))
    return (mean, variance)
}

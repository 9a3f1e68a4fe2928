import CKernels

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

/// Σ x[i], accumulated in blocks: float vectors inside a block, double across blocks, so a
/// full-HD plane keeps ~1e-7 accuracy.
func blockedSum(_ x: UnsafePointer<Float>, count: Int) -> Double {
    let width = FloatVector.scalarCount
    let blockLength = 1024
    var total = 0.0
    var blockStart = 0
    while blockStart < count {
        let blockEnd = min(blockStart + blockLength, count)
        var accumulator = FloatVector()
        var i = blockStart
        while i + width <= blockEnd {
            accumulator += loadVector(x + i)
            i += width
        }
        var blockSum = accumulator.sum()
        while i < blockEnd {
            blockSum += x[i]
            i += 1
        }
        total += Double(blockSum)
        blockStart = blockEnd
    }
    return total
}

/// Mean and (biased) variance of `count` floats, in one pass (CKernels' plane_statistics).
func meanAndVariance(_ x: UnsafePointer<Float>, count: Int) -> (mean: Float, variance: Float) {
    var mean: Float = 0, variance: Float = 0
    stylize_mean_variance(x, count, &mean, &variance)
    return (mean, variance)
}

/// Separable box blur with clamped (replicated) borders, O(pixels) for any
/// radius (running sums). Softens confidence masks and brightness changes, and gives
/// the local means and variances of the temporal blend.
public enum BoxBlur {
    public static func apply(_ src: [Float], width: Int, height: Int, radius r: Int) -> [Float] {
        if r <= 0 { return src }
        var dst = [Float](repeating: 0, count: src.count)
        var workspace = [Float]()
        src.withUnsafeBufferPointer { s in
            dst.withUnsafeMutableBufferPointer { d in
                apply(s.baseAddress!, into: d.baseAddress!, width: width, height: height, radius: r, workspace: &workspace)
            }
        }
        return dst
    }

    /// The blur without allocating (after the first call): `workspace` grows to
    /// width·height + width floats and is kept for the next call. `dst` may be `src`.
    public static func apply(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, width: Int, height: Int,
                             radius r: Int, workspace: inout [Float]) {
        let n = width * height
        if r <= 0 {
            if UnsafePointer(dst) != src { dst.update(from: src, count: n) }
            return
        }
        if workspace.count < n + width { workspace = [Float](repeating: 0, count: n + width) }
        let norm = 1 / Float(2 * r + 1)
        workspace.withUnsafeMutableBufferPointer { ws in
            let tmp = ws.baseAddress!, acc = ws.baseAddress! + n
            // Horizontal pass.
            for y in 0..<height {
                let row = src + y * width, out = tmp + y * width
                var sum: Float = 0
                for k in -r...r { sum += row[min(max(k, 0), width - 1)] }
                for x in 0..<width {
                    out[x] = sum * norm
                    sum += row[min(x + r + 1, width - 1)] - row[max(x - r, 0)]
                }
            }
            // Vertical pass, a whole row at a time (a running sum per column, updated with
            // the row entering and the row leaving the window): contiguous, vectorizable
            // loops instead of strided column walks.
            acc.update(repeating: 0, count: width)
            for k in -r...r {
                let row = tmp + min(max(k, 0), height - 1) * width
                for x in 0..<width { acc[x] += row[x] }
            }
            for y in 0..<height {
                let out = dst + y * width
                let entering = tmp + min(y + r + 1, height - 1) * width
                let leaving = tmp + max(y - r, 0) * width
                for x in 0..<width {
                    out[x] = acc[x] * norm
                    acc[x] += entering[x] - leaving[x]
                }
            }
        }
    }

    /// Mean and variance of `src` over each pixel's (2r+1)² window (clamped borders), for
    /// values on a 0…255 scale. `mean` and `variance` must not overlap `src`.
    public static func localMoments(_ src: UnsafePointer<Float>, mean: UnsafeMutablePointer<Float>,
                                    variance: UnsafeMutablePointer<Float>, width: Int, height: Int, radius r: Int,
                                    workspace: inout [Float]) {
        let n = width * height
        // E[(x−k)²] − (E[x]−k)² with k mid-range: smaller squares, less cancellation in Float.
        let k: Float = 128
        for i in 0..<n { let d = src[i] - k; variance[i] = d * d }
        apply(src, into: mean, width: width, height: height, radius: r, workspace: &workspace)
        apply(variance, into: variance, width: width, height: height, radius: r, workspace: &workspace)
        for i in 0..<n {
            let d = mean[i] - k
            variance[i] = max(variance[i] - d * d, 0)
        }
    }
}

/// Separable box blur with clamped (replicated) borders, O(pixels) for any
/// radius (running sums). Softens confidence masks and brightness changes.
public enum BoxBlur {
    public static func apply(_ src: [Float], width: Int, height: Int, radius r: Int) -> [Float] {
        if r <= 0 { return src }
        let norm = 1 / Float(2 * r + 1)
        var tmp = [Float](repeating: 0, count: src.count)
        var dst = [Float](repeating: 0, count: src.count)
        // Horizontal pass.
        for y in 0..<height {
            let row = y * width
            var sum: Float = 0
            for k in -r...r { sum += src[row + min(max(k, 0), width - 1)] }
            for x in 0..<width {
                tmp[row + x] = sum * norm
                sum += src[row + min(x + r + 1, width - 1)] - src[row + max(x - r, 0)]
            }
        }
        // Vertical pass, a whole row at a time (a running sum per column, updated with
        // the row entering and the row leaving the window): contiguous, vectorizable
        // loops instead of strided column walks.
        tmp.withUnsafeBufferPointer { t in
            dst.withUnsafeMutableBufferPointer { d in
                var sum = [Float](repeating: 0, count: width)
                sum.withUnsafeMutableBufferPointer { acc in
                    for k in -r...r {
                        let src = t.baseAddress! + min(max(k, 0), height - 1) * width
                        for x in 0..<width { acc[x] += src[x] }
                    }
                    for y in 0..<height {
                        let out = d.baseAddress! + y * width
                        let entering = t.baseAddress! + min(y + r + 1, height - 1) * width
                        let leaving = t.baseAddress! + max(y - r, 0) * width
                        for x in 0..<width {
                            out[x] = acc[x] * norm
                            acc[x] += entering[x] - leaving[x]
                        }
                    }
                }
            }
        }
        return dst
    }
}

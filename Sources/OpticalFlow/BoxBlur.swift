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
        // Vertical pass.
        for x in 0..<width {
            var sum: Float = 0
            for k in -r...r { sum += tmp[min(max(k, 0), height - 1) * width + x] }
            for y in 0..<height {
                dst[y * width + x] = sum * norm
                sum += tmp[min(y + r + 1, height - 1) * width + x] - tmp[max(y - r, 0) * width + x]
            }
        }
        return dst
    }
}

/// One level of an image pyramid: the image and its central-difference gradients
/// (empty on levels finer than any flow will use: see `FlowFrame.init(_:for:)`).
/// Level l has pixel x ↔ pixel 2x of level l−1 (the `pyrDown` convention), and size ⌈w/2⌉ × ⌈h/2⌉.
struct PyramidLevel {
    let width: Int
    let height: Int
    let pixels: [Float]
    let gx: [Float]
    let gy: [Float]

    init(width: Int, height: Int, pixels: [Float], gradients: Bool = true) {
        self.width = width
        self.height = height
        self.pixels = pixels
        if gradients {
            (gx, gy) = Pyramid.gradients(pixels, width: width, height: height)
        } else {
            (gx, gy) = ([], [])
        }
    }

    var hasGradients: Bool { gx.count == width * height }
}

enum Pyramid {
    /// Gaussian 5-tap [1 4 6 4 1]/16 blur evaluated at even positions (replicate borders).
    static func down(_ src: [Float], width w: Int, height h: Int) -> (pixels: [Float], width: Int, height: Int) {
        let w2 = (w + 1) / 2, h2 = (h + 1) / 2
        // Horizontal pass: h rows × w2 columns.
        var tmp = [Float].uninitialized(w2 * h), out = [Float].uninitialized(w2 * h2)
        src.withUnsafeBufferPointer { s in
            tmp.withUnsafeMutableBufferPointer { t in
                for y in 0..<h {
                    let row = y * w
                    for x in 0..<w2 {
                        let c = 2 * x
                        let xm2 = max(c - 2, 0), xm1 = max(c - 1, 0)
                        let xp1 = min(c + 1, w - 1), xp2 = min(c + 2, w - 1)
                        let a = s[row + xm2] + s[row + xp2]
                        let b = s[row + xm1] + s[row + xp1]
                        t[y * w2 + x] = (a + 4 * b + 6 * s[row + c]) * (1.0 / 16.0)
                    }
                }
            }
        }
        tmp.withUnsafeBufferPointer { t in
            out.withUnsafeMutableBufferPointer { o in
                for y in 0..<h2 {
                    let c = 2 * y
                    let r0 = max(c - 2, 0) * w2, r1 = max(c - 1, 0) * w2, r2 = c * w2
                    let r3 = min(c + 1, h - 1) * w2, r4 = min(c + 2, h - 1) * w2
                    let orow = y * w2
                    for x in 0..<w2 {
                        o[orow + x] = (t[r0 + x] + t[r4 + x] + 4 * (t[r1 + x] + t[r3 + x]) + 6 * t[r2 + x]) * (1.0 / 16.0)
                    }
                }
            }
        }
        return (out, w2, h2)
    }

    /// Central differences inside, one-sided at the borders.
    static func gradients(_ p: [Float], width w: Int, height h: Int) -> ([Float], [Float]) {
        var gx = [Float](repeating: 0, count: w * h)
        var gy = [Float](repeating: 0, count: w * h)
        p.withUnsafeBufferPointer { s in
            gx.withUnsafeMutableBufferPointer { ox in
                gy.withUnsafeMutableBufferPointer { oy in
                    for y in 0..<h {
                        let row = y * w
                        let up = (y > 0 ? y - 1 : y) * w, dn = (y < h - 1 ? y + 1 : y) * w
                        let sy: Float = (y > 0 && y < h - 1) ? 0.5 : 1
                        for x in 0..<w {
                            let l = x > 0 ? x - 1 : x, r = x < w - 1 ? x + 1 : x
                            let sx: Float = (x > 0 && x < w - 1) ? 0.5 : 1
                            ox[row + x] = (w > 1) ? (s[row + r] - s[row + l]) * sx : 0
                            oy[row + x] = (h > 1) ? (s[dn + x] - s[up + x]) * sy : 0
                        }
                    }
                }
            }
        }
        return (gx, gy)
    }

    /// Bilinear sample with coordinates clamped to the image (replicate border).
    @inline(__always)
    static func sampleClamped(_ p: UnsafePointer<Float>, _ w: Int, _ h: Int, _ x: Float, _ y: Float) -> Float {
        let xc = min(max(x, 0), Float(w - 1)), yc = min(max(y, 0), Float(h - 1))
        let x0 = Int(xc), y0 = Int(yc)
        let x1 = min(x0 + 1, w - 1), y1 = min(y0 + 1, h - 1)
        let fx = xc - Float(x0), fy = yc - Float(y0)
        let a = p[y0 * w + x0], b = p[y0 * w + x1], c = p[y1 * w + x0], d = p[y1 * w + x1]
        let top = a + (b - a) * fx, bot = c + (d - c) * fx
        return top + (bot - top) * fy
    }

    /// Resample a flow field (in `src`'s pixel units) to a new size, scaling the vectors by `dst/src`
    /// and keeping the pyramid convention (dst pixel x ↔ src pixel x·srcW/dstW…, here x / 2^k).
    static func upsampleFlow(u: [Float], v: [Float], width w: Int, height h: Int,
                             toWidth W: Int, height H: Int, factor: Int) -> ([Float], [Float]) {
        (upsample(u, width: w, height: h, toWidth: W, height: H, factor: factor, scale: Float(factor)),
         upsample(v, width: w, height: h, toWidth: W, height: H, factor: factor, scale: Float(factor)))
    }

    /// A plane resampled bilinearly `factor` times larger (dst pixel x ↔ src pixel x / factor, the
    /// border replicated), each value times `scale`.
    static func upsample(_ plane: [Float], width w: Int, height h: Int, toWidth W: Int, height H: Int,
                         factor: Int, scale f: Float) -> [Float] {
        var out = [Float].uninitialized(W * H)
        let inv = 1 / Float(factor)
        // Separable: per output row, blend the two source rows (length w), then expand horizontally with tables.
        var x0s = [Int](repeating: 0, count: W), x1s = x0s, fxs = [Float](repeating: 0, count: W)
        for x in 0..<W {
            let sx = min(Float(x) * inv, Float(w - 1))
            let x0 = Int(sx)
            x0s[x] = x0; x1s[x] = min(x0 + 1, w - 1); fxs[x] = sx - Float(x0)
        }
        var rowBlend = [Float](repeating: 0, count: w)
        plane.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
        rowBlend.withUnsafeMutableBufferPointer { t in
        x0s.withUnsafeBufferPointer { x0b in
        x1s.withUnsafeBufferPointer { x1b in
        fxs.withUnsafeBufferPointer { fxb in
            for y in 0..<H {
                let sy = min(Float(y) * inv, Float(h - 1))
                let y0 = Int(sy), y1 = min(y0 + 1, h - 1), fy = sy - Float(y0)
                let a = y0 * w, b = y1 * w
                let g0 = f * (1 - fy), g1 = f * fy
                for x in 0..<w { t[x] = g0 * src[a + x] + g1 * src[b + x] }
                let row = y * W
                for x in 0..<W {
                    let i0 = x0b[x], i1 = x1b[x], fx = fxb[x]
                    dst[row + x] = t[i0] + (t[i1] - t[i0]) * fx
                }
            }
        }}}}}}
        return out
    }

    /// Area-average a full-resolution flow down by `factor` (vectors divided by `factor`), to size W×H.
    static func downsampleFlow(_ flow: FlowField, factor: Int, toWidth W: Int, height H: Int) -> ([Float], [Float]) {
        var ou = [Float](repeating: 0, count: W * H)
        var ov = [Float](repeating: 0, count: W * H)
        let w = flow.width, h = flow.height
        for y in 0..<H {
            let ya = min(y * factor, h - 1), yb = min(ya + factor, h)
            for x in 0..<W {
                let xa = min(x * factor, w - 1), xb = min(xa + factor, w)
                var su: Float = 0, sv: Float = 0
                for yy in ya..<yb {
                    for xx in xa..<xb { su += flow.u[yy * w + xx]; sv += flow.v[yy * w + xx] }
                }
                let n = Float((yb - ya) * (xb - xa)) * Float(factor)
                ou[y * W + x] = su / n
                ov[y * W + x] = sv / n
            }
        }
        return (ou, ov)
    }
}

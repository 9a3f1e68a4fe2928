// Dense Inverse Search optical flow (Kroeger, Timofte, Dai, Van Gool, ECCV 2016).
//
// Per pyramid level, coarse to fine: a grid of patches, each aligned by inverse
// compositional Gauss–Newton (translation only, mean-normalized SSD), then
// densified by a photometric-error-weighted average of the overlapping patches,
// then (optionally) a few iterations of variational refinement.

/// Parameters of DIS. The presets are OpenCV's (`DISOpticalFlow::create`).
public struct DISSettings: Sendable, Equatable {
    /// Finest pyramid level computed (0 = full resolution); the flow is bilinearly upsampled from there.
    public var finestScale: Int
    /// Side of the square patches, in pixels of the level.
    public var patchSize: Int
    /// Distance between neighbouring patches (smaller = more overlap = slower, smoother).
    public var patchStride: Int
    /// Gauss–Newton iterations per patch (at most; stops early when the update is tiny).
    public var gradientDescentIterations: Int
    /// Fixed-point iterations of variational refinement per level; 0 = off.
    public var variationalRefinementIterations: Int
    /// Variational refinement weights (OpenCV's defaults): smoothness, brightness constancy, gradient constancy.
    public var variationalRefinementAlpha: Float
    public var variationalRefinementDelta: Float
    public var variationalRefinementGamma: Float

    public init(finestScale: Int, patchSize: Int, patchStride: Int, gradientDescentIterations: Int,
                variationalRefinementIterations: Int,
                variationalRefinementAlpha: Float = 20, variationalRefinementDelta: Float = 5,
                variationalRefinementGamma: Float = 10) {
        precondition(patchSize >= 2 && patchStride >= 1 && finestScale >= 0 && gradientDescentIterations >= 0)
        self.finestScale = finestScale
        self.patchSize = patchSize
        self.patchStride = patchStride
        self.gradientDescentIterations = gradientDescentIterations
        self.variationalRefinementIterations = variationalRefinementIterations
        self.variationalRefinementAlpha = variationalRefinementAlpha
        self.variationalRefinementDelta = variationalRefinementDelta
        self.variationalRefinementGamma = variationalRefinementGamma
    }

    public static let ultrafast = DISSettings(finestScale: 2, patchSize: 8, patchStride: 4,
                                              gradientDescentIterations: 12, variationalRefinementIterations: 0)
    public static let fast = DISSettings(finestScale: 2, patchSize: 8, patchStride: 4,
                                         gradientDescentIterations: 16, variationalRefinementIterations: 5)
    public static let medium = DISSettings(finestScale: 1, patchSize: 8, patchStride: 3,
                                           gradientDescentIterations: 25, variationalRefinementIterations: 5)
}

/// One frame prepared once (pyramid + image gradients), reusable as the "from" of one pair and the "to" of the next.
public final class FlowFrame: @unchecked Sendable {
    public let width: Int
    public let height: Int
    /// Pyramid levels actually built (level 0 is the image itself).
    public var levelCount: Int { levels.count }
    let levels: [PyramidLevel]

    /// Builds `levels` pyramid levels (fewer if the image gets smaller than 2×2 first).
    public init(_ image: GrayImage, levels: Int) {
        width = image.width
        height = image.height
        var built = [PyramidLevel(width: image.width, height: image.height, pixels: image.pixels)]
        var cur = image.pixels, w = image.width, h = image.height
        while built.count < max(levels, 1) && w >= 4 && h >= 4 {
            let d = Pyramid.down(cur, width: w, height: h)
            cur = d.pixels; w = d.width; h = d.height
            built.append(PyramidLevel(width: w, height: h, pixels: cur))
        }
        self.levels = built
    }

    /// Builds as many levels as DIS uses for this size with the given patch size.
    public convenience init(_ image: GrayImage, patchSize: Int = 8) {
        self.init(image, levels: FlowFrame.levelsNeeded(width: image.width, height: image.height, patchSize: patchSize))
    }

    /// Levels DIS uses: the coarsest has its larger side about 4 patches (OpenCV's rule), plus level 0.
    public static func levelsNeeded(width: Int, height: Int, patchSize: Int) -> Int {
        // round(log2(max(w, h) / (4·patchSize))), at least 0.
        let m = Double(max(width, height)) / Double(4 * patchSize)
        var k = 0
        while m >= Double(1 << (k + 1)) * 0.7071067811865476 { k += 1 }
        return k + 1
    }
}

public enum OpticalFlow {
    /// Flow from `from` to `to` (for each pixel of `from`, where it went in `to`). `initial` (e.g. the previous flow) seeds the coarsest level.
    public static func dis(from: FlowFrame, to: FlowFrame, settings: DISSettings = .fast, initial: FlowField? = nil) -> FlowField {
        precondition(from.width == to.width && from.height == to.height, "frames must have the same size")
        let W = from.width, H = from.height
        if let initial { precondition(initial.width == W && initial.height == H, "initial flow must match the frames") }
        let P = settings.patchSize
        // Levels where a patch still fits, capped by OpenCV's coarsest-scale rule and by what both frames built.
        var coarsest = min(from.levelCount, to.levelCount, FlowFrame.levelsNeeded(width: W, height: H, patchSize: P)) - 1
        while coarsest > 0 && (from.levels[coarsest].width < P || from.levels[coarsest].height < P) { coarsest -= 1 }
        if W < P || H < P { return initial ?? FlowField(zeroWidth: W, height: H) }
        let finest = min(settings.finestScale, coarsest)

        // Seed the coarsest level.
        let c = from.levels[coarsest]
        var u: [Float], v: [Float]
        if let initial {
            (u, v) = Pyramid.downsampleFlow(initial, factor: 1 << coarsest, toWidth: c.width, height: c.height)
        } else {
            u = [Float](repeating: 0, count: c.width * c.height)
            v = u
        }

        var level = coarsest
        while true {
            let l0 = from.levels[level], l1 = to.levels[level]
            DISLevel.run(l0, l1, u: &u, v: &v, settings: settings)
            if settings.variationalRefinementIterations > 0 {
                VariationalRefinement.run(l0, l1, u: &u, v: &v, settings: settings)
            }
            if level == finest { break }
            let next = from.levels[level - 1]
            (u, v) = Pyramid.upsampleFlow(u: u, v: v, width: l0.width, height: l0.height,
                                          toWidth: next.width, height: next.height, factor: 2)
            level -= 1
        }
        if finest > 0 {
            let l = from.levels[finest]
            (u, v) = Pyramid.upsampleFlow(u: u, v: v, width: l.width, height: l.height,
                                          toWidth: W, height: H, factor: 1 << finest)
        }
        return FlowField(width: W, height: H, u: u, v: v)
    }
}

/// Patch inverse search + densification on one level.
enum DISLevel {
    /// Patch origins along one axis: every `stride`, with the last patch flush with the far edge.
    static func origins(size: Int, patch: Int, stride: Int) -> [Int] {
        let span = size - patch
        if span <= 0 { return [0] }
        let n = (span + stride - 1) / stride + 1
        return (0..<n).map { min($0 * stride, span) }
    }

    static func run(_ l0: PyramidLevel, _ l1: PyramidLevel, u: inout [Float], v: inout [Float], settings: DISSettings) {
        let w = l0.width, h = l0.height, P = settings.patchSize
        let xs = origins(size: w, patch: P, stride: settings.patchStride)
        let ys = origins(size: h, patch: P, stride: settings.patchStride)
        let np = xs.count * ys.count
        var pu = [Float](repeating: 0, count: np), pv = [Float](repeating: 0, count: np)
        let iters = settings.gradientDescentIterations
        let n = Float(P * P), invN = 1 / n
        let maxMove = Float(P)

        l0.pixels.withUnsafeBufferPointer { i0b in
        l1.pixels.withUnsafeBufferPointer { i1b in
        l0.gx.withUnsafeBufferPointer { gxb in
        l0.gy.withUnsafeBufferPointer { gyb in
        u.withUnsafeBufferPointer { ub in
        v.withUnsafeBufferPointer { vb in
            let i0 = i0b.baseAddress!, i1 = i1b.baseAddress!, gx = gxb.baseAddress!, gy = gyb.baseAddress!
            var k = 0
            for py in ys {
                for px in xs {
                    defer { k += 1 }
                    // Template statistics (the inverse compositional part: computed once per patch).
                    var sxx: Float = 0, sxy: Float = 0, syy: Float = 0, sx: Float = 0, sy: Float = 0
                    var st: Float = 0, sgxt: Float = 0, sgyt: Float = 0
                    for j in 0..<P {
                        let row = (py + j) * w + px
                        for i in 0..<P {
                            let a = gx[row + i], b = gy[row + i], t = i0[row + i]
                            sxx += a * a; sxy += a * b; syy += b * b
                            sx += a; sy += b; st += t
                            sgxt += a * t; sgyt += b * t
                        }
                    }
                    // Hessian of the mean-normalized template: Σ (g − ḡ)(g − ḡ)ᵀ.
                    let hxx = sxx - sx * sx * invN, hxy = sxy - sx * sy * invN, hyy = syy - sy * sy * invN
                    let det = hxx * hyy - hxy * hxy
                    let cxi = (py + P / 2) * w + (px + P / 2)
                    let u0 = ub[cxi], v0 = vb[cxi]
                    var cu = u0, cv = v0
                    if det > 1e-6 * (hxx + hyy) * (hxx + hyy) + 1e-9 && iters > 0 {
                        let invDet = 1 / det
                        let tMean = st * invN
                        for _ in 0..<iters {
                            // Σ g·I1w and Σ I1w over the patch displaced by (cu, cv).
                            var sgw: Float = 0, sgyw: Float = 0, sw: Float = 0
                            let fxp = Float(px) + cu, fyp = Float(py) + cv
                            let fxf = fxp.rounded(.down), fyf = fyp.rounded(.down)
                            let ix = Int(fxf), iy = Int(fyf)
                            let fx = fxp - fxf, fy = fyp - fyf
                            if ix >= 0 && iy >= 0 && ix + P < w && iy + P < h {
                                let w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy
                                for j in 0..<P {
                                    let r1 = (iy + j) * w + ix, r0 = (py + j) * w + px
                                    let a = i1 + r1, b = a + w
                                    for i in 0..<P {
                                        let s = w00 * a[i] + w01 * a[i + 1] + w10 * b[i] + w11 * b[i + 1]
                                        sgw += gx[r0 + i] * s; sgyw += gy[r0 + i] * s; sw += s
                                    }
                                }
                            } else {
                                for j in 0..<P {
                                    let r0 = (py + j) * w + px
                                    for i in 0..<P {
                                        let s = Pyramid.sampleClamped(i1, w, h, fxp + Float(i), fyp + Float(j))
                                        sgw += gx[r0 + i] * s; sgyw += gy[r0 + i] * s; sw += s
                                    }
                                }
                            }
                            // b = Σ (g)(r), r = (I1w − mean I1w) − (T − mean T).
                            let dm = sw * invN - tMean
                            let bx = sgw - sgxt - dm * sx, by = sgyw - sgyt - dm * sy
                            let du = (hyy * bx - hxy * by) * invDet
                            let dv = (hxx * by - hxy * bx) * invDet
                            cu -= du; cv -= dv
                            if abs(cu - u0) > maxMove || abs(cv - v0) > maxMove || !(cu.isFinite && cv.isFinite) {
                                cu = u0; cv = v0; break   // diverged: keep the initial guess
                            }
                            if du * du + dv * dv < 1e-4 { break }
                        }
                    }
                    pu[k] = cu; pv[k] = cv
                }
            }
        }}}}}}

        // Densification: per pixel, average of the covering patches' flows weighted by
        // 1 / max(1, |I1(x + u_i) − I0(x)|).
        var su = [Float](repeating: 0, count: w * h), sv = su, sw = su
        l0.pixels.withUnsafeBufferPointer { i0b in
        l1.pixels.withUnsafeBufferPointer { i1b in
        su.withUnsafeMutableBufferPointer { sub in
        sv.withUnsafeMutableBufferPointer { svb in
        sw.withUnsafeMutableBufferPointer { swb in
            let i0 = i0b.baseAddress!, i1 = i1b.baseAddress!
            var k = 0
            for py in ys {
                for px in xs {
                    let cu = pu[k], cv = pv[k]
                    k += 1
                    let fxp = Float(px) + cu, fyp = Float(py) + cv
                    let fxf = fxp.rounded(.down), fyf = fyp.rounded(.down)
                    let ix = Int(fxf), iy = Int(fyf)
                    let fx = fxp - fxf, fy = fyp - fyf
                    let inside = ix >= 0 && iy >= 0 && ix + P < w && iy + P < h
                    let w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy
                    for j in 0..<P {
                        let r0 = (py + j) * w + px
                        for i in 0..<P {
                            let s: Float
                            if inside {
                                let a = i1 + (iy + j) * w + ix + i
                                s = w00 * a[0] + w01 * a[1] + w10 * a[w] + w11 * a[w + 1]
                            } else {
                                s = Pyramid.sampleClamped(i1, w, h, fxp + Float(i), fyp + Float(j))
                            }
                            let wt = 1 / max(1, abs(s - i0[r0 + i]))
                            sub[r0 + i] += wt * cu; svb[r0 + i] += wt * cv; swb[r0 + i] += wt
                        }
                    }
                }
            }
        }}}}}
        for i in 0..<(w * h) where sw[i] > 0 {
            let inv = 1 / sw[i]
            u[i] = su[i] * inv
            v[i] = sv[i] * inv
        }
    }
}

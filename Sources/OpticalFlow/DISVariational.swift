/// Variational refinement of a level's flow (the last stage of DIS, as in OpenCV):
/// minimises  Σ δ·Ψ(r²/(|∇I|²+ζ²)) + α·Ψ(|∇u|²+|∇v|²)  with Ψ(s²) = √(s²+ε²) (Charbonnier),
/// r the linearised brightness-constancy residual, by lagged fixed-point iterations of SOR.
/// (The gradient-constancy term γ of OpenCV is not implemented.)
enum VariationalRefinement {
    static let sorIterations = 5
    static let sorOmega: Float = 1.6
    static let zetaSquared: Float = 0.01
    static let epsilonSquared: Float = 1e-6

    static func run(_ l0: PyramidLevel, _ l1: PyramidLevel, u: inout [Float], v: inout [Float], settings: DISSettings) {
        let w = l0.width, h = l0.height, n = w * h
        if w < 2 || h < 2 { return }
        let alpha = settings.variationalRefinementAlpha, delta = settings.variationalRefinementDelta
        var ix = [Float](repeating: 0, count: n), iy = ix, it = ix, norm = ix
        var du = ix, dv = ix, psiD = ix, psiS = ix

        // Warp I1 (and its gradients) by the current flow once; average gradients with I0's.
        l1.pixels.withUnsafeBufferPointer { p1b in
        l1.gx.withUnsafeBufferPointer { g1xb in
        l1.gy.withUnsafeBufferPointer { g1yb in
            let p1 = p1b.baseAddress!, g1x = g1xb.baseAddress!, g1y = g1yb.baseAddress!
            for y in 0..<h {
                for x in 0..<w {
                    let i = y * w + x
                    let sx = Float(x) + u[i], sy = Float(y) + v[i]
                    let inside = sx >= 0 && sy >= 0 && sx <= Float(w - 1) && sy <= Float(h - 1)
                    let a = Pyramid.sampleClamped(p1, w, h, sx, sy)
                    let gxw = Pyramid.sampleClamped(g1x, w, h, sx, sy)
                    let gyw = Pyramid.sampleClamped(g1y, w, h, sx, sy)
                    ix[i] = 0.5 * (l0.gx[i] + gxw)
                    iy[i] = 0.5 * (l0.gy[i] + gyw)
                    it[i] = a - l0.pixels[i]
                    // Out-of-frame targets carry no data term.
                    norm[i] = inside ? delta / (ix[i] * ix[i] + iy[i] * iy[i] + zetaSquared) : 0
                }
            }
        }}}

        u.withUnsafeMutableBufferPointer { ub in
        v.withUnsafeMutableBufferPointer { vb in
        du.withUnsafeMutableBufferPointer { dub in
        dv.withUnsafeMutableBufferPointer { dvb in
        psiD.withUnsafeMutableBufferPointer { pd in
        psiS.withUnsafeMutableBufferPointer { ps in
            let u = ub.baseAddress!, v = vb.baseAddress!, du = dub.baseAddress!, dv = dvb.baseAddress!
            let pd = pd.baseAddress!, ps = ps.baseAddress!
            for _ in 0..<settings.variationalRefinementIterations {
                // Lagged robust weights.
                for y in 0..<h {
                    for x in 0..<w {
                        let i = y * w + x
                        let r = it[i] + ix[i] * du[i] + iy[i] * dv[i]
                        let nz = norm[i]
                        pd[i] = nz == 0 ? 0 : nz / (2 * (r * r * nz / delta + epsilonSquared).squareRoot())
                        let xr = x < w - 1 ? i + 1 : i, yd = y < h - 1 ? i + w : i
                        let ux = (u[xr] + du[xr]) - (u[i] + du[i]), uy = (u[yd] + du[yd]) - (u[i] + du[i])
                        let vx = (v[xr] + dv[xr]) - (v[i] + dv[i]), vy = (v[yd] + dv[yd]) - (v[i] + dv[i])
                        ps[i] = alpha / (2 * (ux * ux + uy * uy + vx * vx + vy * vy + epsilonSquared).squareRoot())
                    }
                }
                // SOR (Gauss–Seidel with over-relaxation) on the increments.
                for _ in 0..<sorIterations {
                    for y in 0..<h {
                        for x in 0..<w {
                            let i = y * w + x
                            var sumW: Float = 0, sumU: Float = 0, sumV: Float = 0
                            let bu = u[i], bv = v[i], psi = ps[i]
                            if x > 0 {
                                let j = i - 1, c = 0.5 * (psi + ps[j])
                                sumW += c; sumU += c * (u[j] + du[j] - bu); sumV += c * (v[j] + dv[j] - bv)
                            }
                            if x < w - 1 {
                                let j = i + 1, c = 0.5 * (psi + ps[j])
                                sumW += c; sumU += c * (u[j] + du[j] - bu); sumV += c * (v[j] + dv[j] - bv)
                            }
                            if y > 0 {
                                let j = i - w, c = 0.5 * (psi + ps[j])
                                sumW += c; sumU += c * (u[j] + du[j] - bu); sumV += c * (v[j] + dv[j] - bv)
                            }
                            if y < h - 1 {
                                let j = i + w, c = 0.5 * (psi + ps[j])
                                sumW += c; sumU += c * (u[j] + du[j] - bu); sumV += c * (v[j] + dv[j] - bv)
                            }
                            let d = pd[i], gx = ix[i], gy = iy[i], t = it[i]
                            let a11 = d * gx * gx + sumW, a22 = d * gy * gy + sumW, a12 = d * gx * gy
                            if a11 > 0 {
                                let nu = (sumU - d * gx * t - a12 * dv[i]) / a11
                                du[i] += sorOmega * (nu - du[i])
                            }
                            if a22 > 0 {
                                let nv = (sumV - d * gy * t - a12 * du[i]) / a22
                                dv[i] += sorOmega * (nv - dv[i])
                            }
                        }
                    }
                }
            }
            for i in 0..<n { u[i] += du[i]; v[i] += dv[i] }
        }}}}}}
    }
}

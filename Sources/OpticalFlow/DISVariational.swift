/// Variational refinement of a level's flow (the last stage of DIS, as in OpenCV):
/// minimises  Σ δ·Ψ(r²/(|∇I|²+ζ²)) + γ·Ψ(r_x²/(|∇I_x|²+ζ²) + r_y²/(|∇I_y|²+ζ²)) + α·Ψ(|∇u|²+|∇v|²)
/// with Ψ(s²) = √(s²+ε²) (Charbonnier), r the linearised brightness-constancy residual and r_x, r_y
/// those of the image's gradients (gradient constancy: what a change of brightness leaves alone),
/// by lagged fixed-point iterations of red-black SOR.
///
/// Layout: everything lives on a grid padded by one pixel on each side, where the smoothness
/// weights of edges leaving the frame are 0, so the SOR sweeps need no clamping or branches.
enum VariationalRefinement {
    static let sorIterations = 5
    static let sorOmega: Float = 1.6
    static let zetaSquared: Float = 0.01
    static let epsilonSquared: Float = 1e-6

    @inline(__always) static func ld16(_ q: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(q).loadUnaligned(as: SIMD16<Float>.self)
    }
    @inline(__always) static func ld16(_ q: UnsafeMutablePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(q).loadUnaligned(as: SIMD16<Float>.self)
    }
    @inline(__always) static func st16(_ x: SIMD16<Float>, _ q: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(q).storeBytes(of: x, as: SIMD16<Float>.self)
    }

    static func run(_ l0: PyramidLevel, _ l1: PyramidLevel, u: inout [Float], v: inout [Float], settings: DISSettings) {
        let w = l0.width, h = l0.height
        if w < 2 || h < 2 { return }
        let alpha = settings.variationalRefinementAlpha, delta = settings.variationalRefinementDelta
        let W = w + 2, n2 = W * (h + 2)
        let zero = [Float](repeating: 0, count: n2)
        // Padded: base flow, current flow (base + increment), warped data, weights.
        var U0 = zero, V0 = zero, U = zero, V = zero
        var ix = zero, iy = zero, it = zero, norm = zero
        var cH = zero, cV = zero, sW = zero, a11 = zero, a12 = zero, a22 = zero, b1 = zero, b2 = zero

        // Warp I1 (and its gradients) by the current flow once; average gradients with I0's.
        l1.pixels.withUnsafeBufferPointer { p1b in
        l1.gx.withUnsafeBufferPointer { g1xb in
        l1.gy.withUnsafeBufferPointer { g1yb in
            let p1 = p1b.baseAddress!, g1x = g1xb.baseAddress!, g1y = g1yb.baseAddress!
            for y in 0..<h {
                for x in 0..<w {
                    let i = y * w + x, p = (y + 1) * W + x + 1
                    let fu = u[i], fv = v[i]
                    U0[p] = fu; V0[p] = fv; U[p] = fu; V[p] = fv
                    let sx = Float(x) + fu, sy = Float(y) + fv
                    let inside = sx >= 0 && sy >= 0 && sx <= Float(w - 1) && sy <= Float(h - 1)
                    let a = Pyramid.sampleClamped(p1, w, h, sx, sy)
                    let gxw = Pyramid.sampleClamped(g1x, w, h, sx, sy)
                    let gyw = Pyramid.sampleClamped(g1y, w, h, sx, sy)
                    let gx = 0.5 * (l0.gx[i] + gxw), gy = 0.5 * (l0.gy[i] + gyw)
                    ix[p] = gx; iy[p] = gy
                    it[p] = a - l0.pixels[i]
                    // Out-of-frame targets carry no data term.
                    norm[p] = inside ? delta / (gx * gx + gy * gy + zetaSquared) : 0
                }
            }
        }}}

        let gamma = settings.variationalRefinementGamma
        let constancy = gamma > 0 ? gradientConstancy(ix: ix, iy: iy, it: it, norm: norm, width: w, height: h) : []

        U.withUnsafeMutableBufferPointer { Ub in
        V.withUnsafeMutableBufferPointer { Vb in
        cH.withUnsafeMutableBufferPointer { cHb in
        cV.withUnsafeMutableBufferPointer { cVb in
        sW.withUnsafeMutableBufferPointer { sWb in
        a11.withUnsafeMutableBufferPointer { a11b in
        a12.withUnsafeMutableBufferPointer { a12b in
        a22.withUnsafeMutableBufferPointer { a22b in
        b1.withUnsafeMutableBufferPointer { b1b in
        b2.withUnsafeMutableBufferPointer { b2b in
        U0.withUnsafeBufferPointer { U0b in
        V0.withUnsafeBufferPointer { V0b in
        ix.withUnsafeBufferPointer { ixb in
        iy.withUnsafeBufferPointer { iyb in
        it.withUnsafeBufferPointer { itb in
        norm.withUnsafeBufferPointer { nb in
        constancy.withUnsafeBufferPointer { gcb in
            let U = Ub.baseAddress!, V = Vb.baseAddress!, cH = cHb.baseAddress!, cV = cVb.baseAddress!
            let sW = sWb.baseAddress!, A11 = a11b.baseAddress!, A12 = a12b.baseAddress!, A22 = a22b.baseAddress!
            let B1 = b1b.baseAddress!, B2 = b2b.baseAddress!
            let U0 = U0b.baseAddress!, V0 = V0b.baseAddress!
            let IX = ixb.baseAddress!, IY = iyb.baseAddress!, IT = itb.baseAddress!, NZ = nb.baseAddress!
            let invDelta = 1 / delta
            for _ in 0..<settings.variationalRefinementIterations {
                // Lagged robust weights: data term folded into the 2×2 systems, smoothness on the edges.
                for y in 1...h {
                    let row = y * W
                    let lastRow = y == h
                    for p in (row + 1)...(row + w) {
                        let du = U[p] - U0[p], dv = V[p] - V0[p]
                        let gx = IX[p], gy = IY[p], t = IT[p], nz = NZ[p]
                        let r = t + gx * du + gy * dv
                        let d = nz / (2 * (r * r * nz * invDelta + epsilonSquared).squareRoot())
                        A11[p] = d * gx * gx; A12[p] = d * gx * gy; A22[p] = d * gy * gy
                        B1[p] = d * gx * t; B2[p] = d * gy * t
                        if gamma > 0 && nz > 0 {
                            // Gradient constancy: the same linearised residual for I_x and I_y.
                            let g = gcb.baseAddress! + 7 * p
                            let (xx, xy, yy, xt, yt, n1, n2) = (g[0], g[1], g[2], g[3], g[4], g[5], g[6])
                            let r1 = xt + xx * du + xy * dv, r2 = yt + xy * du + yy * dv
                            let e = gamma / (2 * (r1 * r1 * n1 + r2 * r2 * n2 + epsilonSquared).squareRoot())
                            let e1 = e * n1, e2 = e * n2
                            A11[p] += e1 * xx * xx + e2 * xy * xy
                            A12[p] += e1 * xx * xy + e2 * xy * yy
                            A22[p] += e1 * xy * xy + e2 * yy * yy
                            B1[p] += e1 * xx * xt + e2 * xy * yt
                            B2[p] += e1 * xy * xt + e2 * yy * yt
                        }
                        let ux = U[p + 1] - U[p], vx = V[p + 1] - V[p]
                        let uy = U[p + W] - U[p], vy = V[p + W] - V[p]
                        // Differences across the frame edge (into the padding) count as 0.
                        let mx: Float = p == row + w ? 0 : 1, my: Float = lastRow ? 0 : 1
                        let s2 = mx * (ux * ux + vx * vx) + my * (uy * uy + vy * vy)
                        sW[p] = alpha / (2 * (s2 + epsilonSquared).squareRoot())   // ψ_s, temporarily
                    }
                }
                for y in 1...h {
                    let row = y * W
                    for p in (row + 1)..<(row + w) { cH[p] = 0.5 * (sW[p] + sW[p + 1]) }
                    cH[row + w] = 0
                    if y < h {
                        for p in (row + 1)...(row + w) { cV[p] = 0.5 * (sW[p] + sW[p + W]) }
                    } else {
                        for p in (row + 1)...(row + w) { cV[p] = 0 }
                    }
                }
                for y in 1...h {
                    let row = y * W
                    for p in (row + 1)...(row + w) {
                        let sw = cH[p - 1] + cH[p] + cV[p - W] + cV[p]
                        sW[p] = sw
                        // Constant parts of the right-hand sides, for solving in the total flow U = U0 + du.
                        B1[p] = A12[p] * V0[p] + A11[p] * U0[p] - B1[p]
                        B2[p] = A12[p] * U0[p] + A22[p] * V0[p] - B2[p]
                        // Diagonals of the 2×2 systems, inverted once (constant during the SOR sweeps).
                        A11[p] = 1 / (A11[p] + sw + 1e-12); A22[p] = 1 / (A22[p] + sw + 1e-12)
                    }
                }
                // Red-black SOR (each colour's pixels depend only on the other colour).
                for _ in 0..<sorIterations {
                    for color in 0..<2 {
                        for y in 1...h {
                            let row = y * W
                            var p = row + 1 + ((y + color) & 1)
                            let end = row + w
                            // 8 pixels of this colour at a time: even/odd lanes of 16 consecutive floats.
                            while p + 14 <= end {
                                let l = ld16(cH + p - 1), vd = ld16(cV + p - W)
                                let cl = l.evenHalf, cr = l.oddHalf, cu = vd.evenHalf, cd = ld16(cV + p).evenHalf
                                var uc = ld16(U + p - 1), vc = ld16(V + p - 1)
                                let su = cl * uc.evenHalf + cr * ld16(U + p + 1).evenHalf
                                    + cu * ld16(U + p - W).evenHalf + cd * ld16(U + p + W).evenHalf
                                let sv = cl * vc.evenHalf + cr * ld16(V + p + 1).evenHalf
                                    + cu * ld16(V + p - W).evenHalf + cd * ld16(V + p + W).evenHalf
                                let a12 = ld16(A12 + p).evenHalf, u = uc.oddHalf, v = vc.oddHalf
                                let un = u + sorOmega * ((su - a12 * v + ld16(B1 + p).evenHalf) * ld16(A11 + p).evenHalf - u)
                                let vn = v + sorOmega * ((sv - a12 * un + ld16(B2 + p).evenHalf) * ld16(A22 + p).evenHalf - v)
                                uc.oddHalf = un; vc.oddHalf = vn
                                st16(uc, U + p - 1); st16(vc, V + p - 1)
                                p += 16
                            }
                            while p <= end {
                                let cl = cH[p - 1], cr = cH[p], cu = cV[p - W], cd = cV[p]
                                let su = cl * U[p - 1] + cr * U[p + 1] + cu * U[p - W] + cd * U[p + W]
                                let sv = cl * V[p - 1] + cr * V[p + 1] + cu * V[p - W] + cd * V[p + W]
                                let a12 = A12[p], u = U[p], v = V[p]
                                // Gauss–Seidel targets for the total flow, over-relaxed.
                                let un = u + sorOmega * ((su - a12 * v + B1[p]) * A11[p] - u)
                                let vn = v + sorOmega * ((sv - a12 * un + B2[p]) * A22[p] - v)
                                U[p] = un; V[p] = vn
                                p += 2
                            }
                        }
                    }
                }
            }
        }}}}}}}}}}}}}}}}}

        for y in 0..<h {
            for x in 0..<w {
                let p = (y + 1) * W + x + 1
                u[y * w + x] = U[p]; v[y * w + x] = V[p]
            }
        }
    }

    /// Per padded pixel, 7 floats: the derivatives I_xx, I_xy, I_yy of the (averaged) gradients,
    /// I_xt, I_yt of the frames' difference, and 1/(I_xx²+I_xy²+ζ²), 1/(I_xy²+I_yy²+ζ²);
    /// all 0 where the target falls outside the frame (`norm` = 0) and in the padding.
    static func gradientConstancy(ix: [Float], iy: [Float], it: [Float], norm: [Float], width w: Int, height h: Int) -> [Float] {
        let W = w + 2
        var out = [Float](repeating: 0, count: 7 * W * (h + 2))
        for y in 0..<h {
            for x in 0..<w {
                let p = (y + 1) * W + x + 1
                guard norm[p] > 0 else { continue }
                // Central differences, one-sided at the frame's edges.
                let l = x > 0 ? p - 1 : p, r = x < w - 1 ? p + 1 : p
                let u = y > 0 ? p - W : p, d = y < h - 1 ? p + W : p
                let sx: Float = r - l == 2 ? 0.5 : 1, sy: Float = d - u == 2 * W ? 0.5 : 1
                let xx = (ix[r] - ix[l]) * sx, yy = (iy[d] - iy[u]) * sy
                let xy = 0.5 * ((ix[d] - ix[u]) * sy + (iy[r] - iy[l]) * sx)
                let q = 7 * p
                out[q] = xx; out[q + 1] = xy; out[q + 2] = yy
                out[q + 3] = (it[r] - it[l]) * sx; out[q + 4] = (it[d] - it[u]) * sy
                out[q + 5] = 1 / (xx * xx + xy * xy + zetaSquared)
                out[q + 6] = 1 / (xy * xy + yy * yy + zetaSquared)
            }
        }
        return out
    }
}

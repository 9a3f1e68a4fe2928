import CKernels

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

    /// The instructions the iterations run on.
    static let vectors = stylize_vector_kernel_best()

    /// The padded planes of one run, in one allocation with the iterations' workspace after them.
    private enum Plane: Int, CaseIterable {
        case u0, v0, u, v, ix, iy, it, norm
        case xx, xy, yy, xt, yt, n1, n2   // gradient constancy (see `gradientConstancy`)
    }

    static func run(_ l0: PyramidLevel, _ l1: PyramidLevel, u: inout [Float], v: inout [Float], settings: DISSettings) {
        let w = l0.width, h = l0.height
        if w < 2 || h < 2 { return }
        let alpha = settings.variationalRefinementAlpha, delta = settings.variationalRefinementDelta
        let gamma = settings.variationalRefinementGamma
        let W = w + 2, n2 = W * (h + 2)
        let count = Plane.allCases.count * n2 + stylize_variational_workspace(Int32(w), Int32(h))
        let storage = UnsafeMutablePointer<Float>.allocate(capacity: count)
        storage.initialize(repeating: 0, count: count)
        defer { storage.deallocate() }
        func plane(_ p: Plane) -> UnsafeMutablePointer<Float> { storage + p.rawValue * n2 }
        // Padded: base flow, current flow (base + increment), warped data.
        let (U0, V0, U, V) = (plane(.u0), plane(.v0), plane(.u), plane(.v))
        let (ix, iy, it, norm) = (plane(.ix), plane(.iy), plane(.it), plane(.norm))

        // Warp I1 and its gradients by the current flow once (the warp kernel, three planes side
        // by side); average the gradients with I0's.
        let n = w * h
        let sampled = UnsafeMutablePointer<Float>.allocate(capacity: 7 * n)
        defer { sampled.deallocate() }
        let (source, warped, inside) = (sampled, sampled + 3 * n, sampled + 6 * n)
        l1.pixels.withUnsafeBufferPointer { source.update(from: $0.baseAddress!, count: n) }
        l1.gx.withUnsafeBufferPointer { (source + n).update(from: $0.baseAddress!, count: n) }
        l1.gy.withUnsafeBufferPointer { (source + 2 * n).update(from: $0.baseAddress!, count: n) }
        u.withUnsafeBufferPointer { ub in
            v.withUnsafeBufferPointer { vb in
                stylize_warp_bilinear(vectors, source, 3, Int32(w), Int32(h), ub.baseAddress!, vb.baseAddress!,
                                      warped, inside)
            }
        }
        l0.pixels.withUnsafeBufferPointer { p0b in
        l0.gx.withUnsafeBufferPointer { g0xb in
        l0.gy.withUnsafeBufferPointer { g0yb in
        u.withUnsafeBufferPointer { ub in
        v.withUnsafeBufferPointer { vb in
            let p0 = p0b.baseAddress!, g0x = g0xb.baseAddress!, g0y = g0yb.baseAddress!
            for y in 0..<h {
                let row = y * w, padded = (y + 1) * W + 1
                for x in 0..<w {
                    let i = row + x, p = padded + x
                    let fu = ub[i], fv = vb[i]
                    U0[p] = fu; V0[p] = fv; U[p] = fu; V[p] = fv
                    let gx = 0.5 * (g0x[i] + warped[n + i]), gy = 0.5 * (g0y[i] + warped[2 * n + i])
                    ix[p] = gx; iy[p] = gy
                    it[p] = warped[i] - p0[i]
                    // Out-of-frame targets carry no data term.
                    norm[p] = inside[i] > 0 ? delta / (gx * gx + gy * gy + zetaSquared) : 0
                }
            }
        }}}}}
        if gamma > 0 { gradientConstancy(ix: ix, iy: iy, it: it, norm: norm, width: w, height: h, into: plane(.xx)) }

        // The iterations: CKernels' variational_refinement (per target; the same numbers on each).
        var refinement = stylize_variational(
            width: Int32(w), height: Int32(h), iterations: Int32(settings.variationalRefinementIterations),
            sor_iterations: Int32(sorIterations), alpha: alpha, delta: delta, gamma: gamma, omega: sorOmega,
            u: U, v: V, u0: U0, v0: V0, ix: ix, iy: iy, it: it, norm: norm, constancy: gamma > 0 ? plane(.xx) : nil,
            workspace: storage + Plane.allCases.count * n2)
        stylize_variational_refine(vectors, &refinement)

        for y in 0..<h {
            for x in 0..<w {
                let p = (y + 1) * W + x + 1
                u[y * w + x] = U[p]; v[y * w + x] = V[p]
            }
        }
    }

    /// Seven padded planes: the derivatives I_xx, I_xy, I_yy of the (averaged) gradients,
    /// I_xt, I_yt of the frames' difference, and 1/(I_xx²+I_xy²+ζ²), 1/(I_xy²+I_yy²+ζ²);
    /// all 0 where the target falls outside the frame (`norm` = 0) and in the padding.
    /// `out` holds the seven planes, zeroed.
    static func gradientConstancy(ix: UnsafePointer<Float>, iy: UnsafePointer<Float>, it: UnsafePointer<Float>,
                                  norm: UnsafePointer<Float>, width w: Int, height h: Int, into out: UnsafeMutablePointer<Float>) {
        let W = w + 2, plane = W * (h + 2)
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
                out[p] = xx; out[plane + p] = xy; out[2 * plane + p] = yy
                out[3 * plane + p] = (it[r] - it[l]) * sx; out[4 * plane + p] = (it[d] - it[u]) * sy
                out[5 * plane + p] = 1 / (xx * xx + xy * xy + zetaSquared)
                out[6 * plane + p] = 1 / (xy * xy + yy * yy + zetaSquared)
            }
        }
    }
}

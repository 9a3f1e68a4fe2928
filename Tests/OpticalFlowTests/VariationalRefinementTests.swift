import CKernels
import XCTest

/// The refinement's iterations on every target this CPU runs: the same numbers, bit for bit
/// (no fused multiply-add; the vector and scalar paths compute each pixel the same way).
final class VariationalRefinementTests: XCTestCase {
    /// Random padded planes for a w × h refinement: the flow it starts from, the data term, the
    /// gradient constancy's seven planes (interior values only; the padding stays 0 as the Swift
    /// setup leaves it).
    struct Inputs {
        let w: Int, h: Int
        let u0: [Float], v0: [Float], ix: [Float], iy: [Float], it: [Float], norm: [Float], constancy: [Float]
        var plane: Int { (w + 2) * (h + 2) }

        init(width w: Int, height h: Int) {
            (self.w, self.h) = (w, h)
            var state: UInt64 = 0x9e37_79b9
            func next() -> Float {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Float(state >> 40) / Float(1 << 24)
            }
            func field(_ scale: Float, _ offset: Float = 0) -> [Float] {
                var p = [Float](repeating: 0, count: (w + 2) * (h + 2))
                for y in 1...h { for x in 1...w { p[y * (w + 2) + x] = offset + scale * next() } }
                return p
            }
            u0 = field(2, -1); v0 = field(2, -1); ix = field(40, -20); iy = field(40, -20); it = field(10, -5)
            norm = field(0.5)
            constancy = (0..<7).flatMap { k in field(k < 5 ? 4 : 0.5, k < 5 ? -2 : 0.01) }
        }
    }

    static let (alpha, delta, gamma, omega): (Float, Float, Float, Float) = (20, 5, 10, 1.6)

    /// The C kernel on `kernel`: the refined flow, u then v.
    func refined(_ d: Inputs, kernel: stylize_vector_kernel, iterations: Int32 = 2) -> [Float] {
        var u = d.u0, v = d.v0
        var work = [Float](repeating: 0, count: stylize_variational_workspace(Int32(d.w), Int32(d.h)))
        // The input planes in one array, so that every pointer the struct holds lives through the call.
        let inputs = d.u0 + d.v0 + d.ix + d.iy + d.it + d.norm + d.constancy
        let plane = d.plane
        u.withUnsafeMutableBufferPointer { u in v.withUnsafeMutableBufferPointer { v in
        work.withUnsafeMutableBufferPointer { work in inputs.withUnsafeBufferPointer { inputs in
            let i = inputs.baseAddress!
            var refinement = stylize_variational(
                width: Int32(d.w), height: Int32(d.h), iterations: iterations, sor_iterations: 5, alpha: Self.alpha,
                delta: Self.delta, gamma: Self.gamma, omega: Self.omega, u: u.baseAddress!, v: v.baseAddress!, u0: i,
                v0: i + plane, ix: i + 2 * plane, iy: i + 3 * plane, it: i + 4 * plane, norm: i + 5 * plane,
                constancy: i + 6 * plane, workspace: work.baseAddress!)
            stylize_variational_refine(kernel, &refinement)
        }}}}
        return u + v
    }

    func testEveryTargetRefinesToTheSameFlow() {
        // Widths that leave a partial vector of weights and a partial block of each colour.
        for (w, h) in [(37, 11), (16, 5), (70, 9)] {
            let d = Inputs(width: w, height: h)
            var results: [[Float]] = []
            let best = stylize_vector_kernel_best()
            for kernel in [STYLIZE_VECTOR_BASELINE, STYLIZE_VECTOR_AVX2, STYLIZE_VECTOR_AVX512] where kernel.rawValue <= best.rawValue {
                let flow = refined(d, kernel: kernel)
                XCTAssertNotEqual(Array(flow.prefix(d.plane)), d.u0, "\(w)×\(h): the flow should move")
                XCTAssertTrue(flow.allSatisfy(\.isFinite), "\(w)×\(h)")
                results.append(flow)
            }
            for other in results.dropFirst() {
                XCTAssertEqual(other.map(\.bitPattern), results[0].map(\.bitPattern), "\(w)×\(h)")
            }
            XCTAssertGreaterThan(results.count, 1, "at least the baseline and one vector target")
        }
    }

    /// The kernel (its sweeps on each colour's own planes) against the iterations written out
    /// plainly on the padded planes: the same flow bit for bit, on frames with odd and even widths,
    /// one row of a colour shorter than the other's, and rows narrower than a vector.
    func testKernelIsThePlainRedBlackIterations() {
        for (w, h) in [(37, 11), (2, 3), (9, 2), (70, 9)] {
            let d = Inputs(width: w, height: h)
            let W = w + 2, n = d.plane, eps: Float = 1e-6
            var U = d.u0, V = d.v0
            var cH = [Float](repeating: 0, count: n), cV = cH, sW = cH
            var a11 = cH, a12 = cH, a22 = cH, b1 = cH, b2 = cH
            for _ in 0..<2 {
                for y in 1...h {
                    for x in 1...w {
                        let p = y * W + x
                        let u = U[p], v = V[p], du = u - d.u0[p], dv = v - d.v0[p]
                        let gx = d.ix[p], gy = d.iy[p], t = d.it[p], nz = d.norm[p]
                        let r = t + gx * du + gy * dv
                        let dd = nz / (2 * (r * r * nz * (1 / Self.delta) + eps).squareRoot())
                        var (c11, c12, c22, r1, r2) = (dd * gx * gx, dd * gx * gy, dd * gy * gy, dd * gx * t, dd * gy * t)
                        let g = { (k: Int) in d.constancy[k * n + p] }
                        let (xx, xy, yy, xt, yt, n1, n2) = (g(0), g(1), g(2), g(3), g(4), g(5), g(6))
                        let s1 = xt + xx * du + xy * dv, s2 = yt + xy * du + yy * dv
                        let e = Self.gamma / (2 * (s1 * s1 * n1 + s2 * s2 * n2 + eps).squareRoot())
                        let (e1, e2) = (e * n1, e * n2)
                        c11 += nz > 0 ? e1 * xx * xx + e2 * xy * xy : 0
                        c12 += nz > 0 ? e1 * xx * xy + e2 * xy * yy : 0
                        c22 += nz > 0 ? e1 * xy * xy + e2 * yy * yy : 0
                        r1 += nz > 0 ? e1 * xx * xt + e2 * xy * yt : 0
                        r2 += nz > 0 ? e1 * xy * xt + e2 * yy * yt : 0
                        (a11[p], a12[p], a22[p], b1[p], b2[p]) = (c11, c12, c22, r1, r2)
                        let ux = U[p + 1] - u, vx = V[p + 1] - v, uy = U[p + W] - u, vy = V[p + W] - v
                        let edge: Float = x == w ? 0 : 1, bottom: Float = y == h ? 0 : 1
                        let s = edge * (ux * ux + vx * vx) + bottom * (uy * uy + vy * vy)
                        sW[p] = Self.alpha / (2 * (s + eps).squareRoot())
                    }
                }
                for y in 1...h {
                    for x in 1...w {
                        let p = y * W + x
                        cH[p] = x < w ? 0.5 * (sW[p] + sW[p + 1]) : 0
                        cV[p] = y < h ? 0.5 * (sW[p] + sW[p + W]) : 0
                    }
                }
                for y in 1...h {
                    for x in 1...w {
                        let p = y * W + x
                        let sw = cH[p - 1] + cH[p] + cV[p - W] + cV[p]
                        b1[p] = a12[p] * d.v0[p] + a11[p] * d.u0[p] - b1[p]
                        b2[p] = a12[p] * d.u0[p] + a22[p] * d.v0[p] - b2[p]
                        a11[p] = 1 / (a11[p] + sw + 1e-12)
                        a22[p] = 1 / (a22[p] + sw + 1e-12)
                    }
                }
                for _ in 0..<5 {
                    for colour in 0..<2 {
                        for y in 1...h {
                            for x in stride(from: 1 + (y + colour) % 2, through: w, by: 2) {
                                let p = y * W + x
                                let (cl, cr, cu, cd) = (cH[p - 1], cH[p], cV[p - W], cV[p])
                                let su = cl * U[p - 1] + cr * U[p + 1] + cu * U[p - W] + cd * U[p + W]
                                let sv = cl * V[p - 1] + cr * V[p + 1] + cu * V[p - W] + cd * V[p + W]
                                let u = U[p], v = V[p]
                                let un = u + Self.omega * ((su - a12[p] * v + b1[p]) * a11[p] - u)
                                let vn = v + Self.omega * ((sv - a12[p] * un + b2[p]) * a22[p] - v)
                                (U[p], V[p]) = (un, vn)
                            }
                        }
                    }
                }
            }
            let kernel = refined(d, kernel: stylize_vector_kernel_best())
            XCTAssertNotEqual(U, d.u0, "\(w)×\(h): the flow should move")
            XCTAssertEqual(kernel.map(\.bitPattern), (U + V).map(\.bitPattern), "\(w)×\(h)")
        }
    }
}

/// DIS's 8×8 patch evaluation on every target this CPU runs, plain and trimmed: the same sums, bit for bit.
final class PatchEvaluationTests: XCTestCase {
    func testEveryTargetEvaluatesAPatchAlike() {
        let (w, h) = (29, 21)
        let planes = (0..<4).map { k in (0..<(w * h)).map { Float(($0 &* (2654435761 &+ k)) % 1009) / 4.0 } }
        let best = stylize_vector_kernel_best()
        for outlier: Float in [0, 6] {
            var results: [[Float]] = []
            for kernel in [STYLIZE_VECTOR_BASELINE, STYLIZE_VECTOR_AVX2, STYLIZE_VECTOR_AVX512] where kernel.rawValue <= best.rawValue {
                var sums = [Float](repeating: 0, count: 5)
                planes[0].withUnsafeBufferPointer { i0 in planes[1].withUnsafeBufferPointer { i1 in
                planes[2].withUnsafeBufferPointer { gx in planes[3].withUnsafeBufferPointer { gy in
                    var patch = stylize_dis_patch(i0: i0.baseAddress!, i1: i1.baseAddress!, gx: gx.baseAddress!, gy: gy.baseAddress!,
                                                  width: Int32(w), px: 5, py: 7, ix: 11, iy: 9,
                                                  w00: 0.42, w01: 0.18, w10: 0.28, w11: 0.12, inv_n: 1.0 / 64,
                                                  outlier: outlier, outlier_scale: outlier > 0 ? 2 : 0, particle_level: 30)
                    stylize_dis_patch8(kernel, &patch, &sums)
                }}}}
                XCTAssertTrue(sums.allSatisfy(\.isFinite), "kernel \(kernel.rawValue)")
                results.append(sums)
            }
            for other in results.dropFirst() { XCTAssertEqual(other.map(\.bitPattern), results[0].map(\.bitPattern), "outlier \(outlier)") }
            XCTAssertGreaterThan(results.count, 1)
        }
    }
}

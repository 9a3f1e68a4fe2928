import CKernels
import XCTest

/// The refinement's iterations on every target this CPU runs: the same numbers, bit for bit
/// (no fused multiply-add; the vector and scalar paths compute each pixel the same way).
final class VariationalRefinementTests: XCTestCase {
    func testEveryTargetRefinesToTheSameFlow() {
        // Widths that leave a partial vector of weights and a scalar tail in the SOR rows.
        for (w, h) in [(37, 11), (16, 5), (70, 9)] {
            let plane = (w + 2) * (h + 2)
            var state: UInt64 = 0x9e37_79b9
            func next() -> Float {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Float(state >> 40) / Float(1 << 24)
            }
            // Interior values only; the padding stays 0 as the Swift setup leaves it.
            func field(_ scale: Float, _ offset: Float = 0) -> [Float] {
                var p = [Float](repeating: 0, count: plane)
                for y in 1...h { for x in 1...w { p[y * (w + 2) + x] = offset + scale * next() } }
                return p
            }
            let u0 = field(2, -1), v0 = field(2, -1), ix = field(40, -20), iy = field(40, -20), it = field(10, -5)
            let norm = field(0.5), constancy = (0..<7).flatMap { k in field(k < 5 ? 4 : 0.5, k < 5 ? -2 : 0.01) }
            var results: [[Float]] = []
            let best = stylize_vector_kernel_best()
            for kernel in [STYLIZE_VECTOR_BASELINE, STYLIZE_VECTOR_AVX2, STYLIZE_VECTOR_AVX512] where kernel.rawValue <= best.rawValue {
                var u = u0, v = v0
                var work = [Float](repeating: 0, count: stylize_variational_workspace(Int32(w), Int32(h)))
                // The input planes in one array, so that every pointer the struct holds lives through the call.
                let inputs = u0 + v0 + ix + iy + it + norm + constancy
                u.withUnsafeMutableBufferPointer { u in v.withUnsafeMutableBufferPointer { v in
                work.withUnsafeMutableBufferPointer { work in inputs.withUnsafeBufferPointer { inputs in
                    let (m, i) = (work.baseAddress!, inputs.baseAddress!)
                    var refinement = stylize_variational(
                        width: Int32(w), height: Int32(h), iterations: 2, sor_iterations: 5, alpha: 20, delta: 5, gamma: 10,
                        omega: 1.6, u: u.baseAddress!, v: v.baseAddress!, u0: i, v0: i + plane, ix: i + 2 * plane,
                        iy: i + 3 * plane, it: i + 4 * plane, norm: i + 5 * plane, constancy: i + 6 * plane,
                        workspace: m)
                    stylize_variational_refine(kernel, &refinement)
                }}}}
                XCTAssertNotEqual(u, u0, "\(w)×\(h): the flow should move")
                XCTAssertTrue((u + v).allSatisfy(\.isFinite), "\(w)×\(h)")
                results.append(u + v)
            }
            for other in results.dropFirst() {
                XCTAssertEqual(other.map(\.bitPattern), results[0].map(\.bitPattern), "\(w)×\(h)")
            }
            XCTAssertGreaterThan(results.count, 1, "at least the baseline and one vector target")
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

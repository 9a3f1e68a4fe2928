import XCTest
import CKernels
@testable import OpticalFlow

final class BoxBlurTests: XCTestCase {
    /// The definition: the mean over the (2r+1)² window, indices clamped to the image.
    private func reference(_ src: [Float], _ w: Int, _ h: Int, _ r: Int) -> [Float] {
        var out = [Float](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                var s: Float = 0
                for dy in -r...r {
                    for dx in -r...r {
                        s += src[min(max(y + dy, 0), h - 1) * w + min(max(x + dx, 0), w - 1)]
                    }
                }
                out[y * w + x] = s / Float((2 * r + 1) * (2 * r + 1))
            }
        }
        return out
    }

    func testMatchesTheClampedWindowMeanForSeveralSizesAndRadii() {
        for (w, h) in [(17, 11), (1, 9), (8, 1), (40, 23)] {
            let src = (0..<(w * h)).map { Float(($0 &* 2654435761) % 977) / 97 }
            for r in [0, 1, 2, 4, 30] {
                let got = BoxBlur.apply(src, width: w, height: h, radius: r)
                let want = reference(src, w, h, r)
                for i in 0..<(w * h) {
                    XCTAssertEqual(got[i], want[i], accuracy: 2e-4 * max(1, abs(want[i])), "\(w)×\(h) r=\(r) at \(i)")
                }
            }
        }
    }

    func testEveryVectorKernelThisCPURunsMatchesTheDefinition() {
        // Rows longer and shorter than a vector and than four, heights below the window, a flat
        // bright plane (the prefix sums are taken relative to each row's first value to keep its digits).
        let best = stylize_vector_kernel_best()
        let kernels = [STYLIZE_VECTOR_BASELINE, STYLIZE_VECTOR_AVX2, STYLIZE_VECTOR_AVX512].filter { $0.rawValue <= best.rawValue }
        for kernel in kernels {
            for (w, h) in [(1, 1), (15, 4), (16, 17), (47, 3), (100, 40), (150, 12)] {
                for r in [1, 2, 6, 8, 9, 20] {   // rows summed directly up to 8, as prefix sums above
                    let noisy = (0..<(w * h)).map { Float(($0 &* 2654435761) % 977) / 97 }
                    let flat = [Float](repeating: 250.25, count: w * h)
                    for src in [noisy, flat] {
                        var got = [Float](repeating: .nan, count: w * h)
                        var workspace = [Float](repeating: .nan, count: stylize_box_blur_workspace(Int32(w), Int32(r)))
                        stylize_box_blur(kernel, src, &got, Int32(w), Int32(h), Int32(r), &workspace)
                        let want = reference(src, w, h, r)
                        for i in 0..<(w * h) {
                            XCTAssertEqual(got[i], want[i], accuracy: 2e-5 * max(1, abs(want[i])),
                                           "kernel \(kernel.rawValue), \(w)×\(h) r=\(r) at \(i)")
                        }
                    }
                }
            }
        }
        XCTAssertGreaterThan(kernels.count, 0)
    }

    func testConstantImageStaysConstant() {
        let got = BoxBlur.apply([Float](repeating: 3.5, count: 30 * 20), width: 30, height: 20, radius: 3)
        XCTAssertTrue(got.allSatisfy { abs($0 - 3.5) < 1e-5 })
    }
}

final class LocalMomentsTests: XCTestCase {
    func testMeanAndVarianceMatchTheWindowDefinition() {
        let (w, h, r) = (23, 14, 3)
        let src = (0..<(w * h)).map { Float(($0 &* 2654435761) % 256) }
        var mean = [Float](repeating: 0, count: w * h), variance = mean, workspace = [Float]()
        src.withUnsafeBufferPointer { s in
            BoxBlur.localMoments(s.baseAddress!, mean: &mean, variance: &variance, width: w, height: h, radius: r,
                                 workspace: &workspace)
        }
        for y in 0..<h {
            for x in 0..<w {
                var values = [Float]()
                for dy in -r...r {
                    for dx in -r...r { values.append(src[min(max(y + dy, 0), h - 1) * w + min(max(x + dx, 0), w - 1)]) }
                }
                let m = values.reduce(0, +) / Float(values.count)
                let v = values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Float(values.count)
                XCTAssertEqual(mean[y * w + x], m, accuracy: 1e-3)
                XCTAssertEqual(variance[y * w + x], v, accuracy: 0.05 + 1e-4 * v, "at \(x),\(y)")
            }
        }
    }

    func testInPlaceBlurEqualsOutOfPlace() {
        let (w, h) = (31, 9)
        var src = (0..<(w * h)).map { Float($0 % 17) }
        let expected = BoxBlur.apply(src, width: w, height: h, radius: 2)
        var workspace = [Float]()
        src.withUnsafeMutableBufferPointer { s in
            BoxBlur.apply(s.baseAddress!, into: s.baseAddress!, width: w, height: h, radius: 2, workspace: &workspace)
        }
        XCTAssertEqual(src, expected)
    }
}

import CKernels
import XCTest
@testable import OpticalFlow

final class WarpTests: XCTestCase {
    private func constantFlow(_ w: Int, _ h: Int, _ u: Float, _ v: Float) -> FlowField {
        FlowField(width: w, height: h, u: [Float](repeating: u, count: w * h), v: [Float](repeating: v, count: w * h))
    }

    /// A deterministic "random" planar image.
    private func pattern(_ c: Int, _ w: Int, _ h: Int) -> [Float] {
        (0..<(c * w * h)).map { i in Float((i &* 2654435761) % 1000) / 1000 }
    }

    func testZeroFlowIsIdentityOnAllChannels() {
        let (w, h, c) = (13, 9, 3)
        let img = pattern(c, w, h)
        let r = Warp.backward(planar: img, channels: c, width: w, height: h, flow: FlowField(zeroWidth: w, height: h))
        XCTAssertEqual(r.image, img)
        XCTAssertEqual(r.valid, [Float](repeating: 1, count: w * h))
    }

    func testIntegerTranslationIsExactAndFlagsOutside() {
        let (w, h, c) = (16, 12, 3)
        let img = pattern(c, w, h)
        let (du, dv) = (2, -1)
        let r = Warp.backward(planar: img, channels: c, width: w, height: h,
                              flow: constantFlow(w, h, Float(du), Float(dv)))
        for y in 0..<h {
            for x in 0..<w {
                let sx = x + du, sy = y + dv
                let inside = sx >= 0 && sx < w && sy >= 0 && sy < h
                XCTAssertEqual(r.valid[y * w + x], inside ? 1 : 0, "validity at \(x),\(y)")
                for ch in 0..<c {
                    // Border clamped: outside samples replicate the nearest edge pixel.
                    let cx = min(max(sx, 0), w - 1), cy = min(max(sy, 0), h - 1)
                    XCTAssertEqual(r.image[ch * w * h + y * w + x], img[ch * w * h + cy * w + cx],
                                   accuracy: 1e-6, "ch \(ch) at \(x),\(y)")
                }
            }
        }
    }

    func testSubpixelTranslationOfLinearRampIsExact() {
        // Bilinear interpolation reproduces affine images exactly.
        let (w, h) = (20, 15)
        let img = (0..<(w * h)).map { i in Float(3 * (i % w) + 2 * (i / w)) + 1 }
        let (du, dv): (Float, Float) = (0.5, 0.25)
        let r = Warp.backward(planar: img, channels: 1, width: w, height: h, flow: constantFlow(w, h, du, dv))
        for y in 0..<(h - 1) {
            for x in 0..<(w - 1) {
                let expected = 3 * (Float(x) + du) + 2 * (Float(y) + dv) + 1
                XCTAssertEqual(r.image[y * w + x], expected, accuracy: 1e-4)
                XCTAssertEqual(r.valid[y * w + x], 1)
            }
        }
        // The last column samples x = w − 0.5: outside.
        XCTAssertEqual(r.valid[w - 1], 0)
        XCTAssertEqual(r.valid[(h - 1) * w], 0)
    }

    func testSubpixelTranslationOfSmoothImageIsWithinBilinearError() {
        let (w, h) = (48, 40)
        func f(_ x: Float, _ y: Float) -> Float { sin(0.3 * x) * cos(0.2 * y) }
        var img = [Float](repeating: 0, count: w * h)
        for y in 0..<h { for x in 0..<w { img[y * w + x] = f(Float(x), Float(y)) } }
        let (du, dv): (Float, Float) = (-1.3, 2.6)
        let r = Warp.backward(planar: img, channels: 1, width: w, height: h, flow: constantFlow(w, h, du, dv))
        // Bilinear error ≤ (1/8)(f_xx + f_yy) ≤ (0.09 + 0.04)/8 ≈ 0.017.
        var maxErr: Float = 0
        for y in 2..<(h - 3) {
            for x in 2..<(w - 2) {
                maxErr = max(maxErr, abs(r.image[y * w + x] - f(Float(x) + du, Float(y) + dv)))
            }
        }
        XCTAssertLessThan(maxErr, 0.017)
        XCTAssertGreaterThan(maxErr, 0, "a subpixel shift should not be exact on a curved image")
    }

    func testPointerVariantWritesCallerBufferAndNaNFlowIsInvalid() {
        let (w, h, c) = (5, 4, 2)
        let img = pattern(c, w, h)
        var flow = FlowField(zeroWidth: w, height: h)
        flow.u[7] = .nan
        flow.v[8] = -100
        var out = [Float](repeating: -1, count: c * w * h)
        var valid = [Float](repeating: -1, count: w * h)
        img.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                valid.withUnsafeMutableBufferPointer { val in
                    Warp.backward(planar: src.baseAddress!, channels: c, width: w, height: h,
                                  flow: flow, into: dst.baseAddress!, valid: val.baseAddress!)
                }
            }
        }
        XCTAssertEqual(valid[7], 0)
        XCTAssertEqual(valid[8], 0)
        XCTAssertEqual(valid.filter { $0 == 1 }.count, w * h - 2)
        XCTAssertFalse(out.contains { $0.isNaN })
        XCTAssertEqual(out[7], img[7], "NaN flow falls back to the pixel itself")
        XCTAssertEqual(out[w * h + 8], img[w * h + 3], "v = −100 clamps to row 0")
    }

    func testReusingVariantResizesAndReusesBuffers() {
        let (w, h, c) = (7, 6, 3)
        let img = pattern(c, w, h)
        let flow = constantFlow(w, h, 1, 0)
        var out: [Float] = []
        Warp.backward(planar: img, channels: c, width: w, height: h, flow: flow, reusing: &out)
        let expected = Warp.backward(planar: img, channels: c, width: w, height: h, flow: flow)
        XCTAssertEqual(out, expected.image)
        out = out.map { _ in -1 }
        Warp.backward(planar: img, channels: c, width: w, height: h, flow: flow, reusing: &out)
        XCTAssertEqual(out, expected.image)
    }

    func testWarpingAFlowFieldAndOneWideImages() {
        let (w, h) = (6, 5)
        var field = FlowField(zeroWidth: w, height: h)
        for i in 0..<(w * h) { field.u[i] = Float(i % w); field.v[i] = Float(i / w) }
        let r = Warp.backward(field: field, along: constantFlow(w, h, 1, 1))
        XCTAssertEqual(r.field.u[0], 1)
        XCTAssertEqual(r.field.v[0], 1)
        XCTAssertEqual(r.field.u[2 * w + 3], 4)
        XCTAssertEqual(r.field.v[2 * w + 3], 3)
        // Degenerate sizes do not read out of bounds.
        let one = Warp.backward(planar: [1, 2, 3], channels: 1, width: 1, height: 3, flow: constantFlow(1, 3, 0, 0.5))
        XCTAssertEqual(one.image[0], 1.5, accuracy: 1e-6)
        XCTAssertEqual(one.valid, [1, 1, 0])
    }

    // MARK: Bicubic warp (the temporal blender's history)

    func testCubicIntegerShiftIsExactAndZeroFlowIsIdentity() {
        let (w, h, c) = (16, 12, 3)
        let img = pattern(c, w, h)
        var out: [Float] = []
        Warp.backwardCubic(planar: img, channels: c, width: w, height: h, flow: FlowField(zeroWidth: w, height: h),
                           reusing: &out)
        XCTAssertEqual(out, img)
        Warp.backwardCubic(planar: img, channels: c, width: w, height: h, flow: constantFlow(w, h, 2, -1),
                           reusing: &out)
        let bilinear = Warp.backward(planar: img, channels: c, width: w, height: h, flow: constantFlow(w, h, 2, -1))
        for i in 0..<out.count { XCTAssertEqual(out[i], bilinear.image[i], accuracy: 1e-5, "at \(i)") }
    }

    func testCubicKeepsAFlatImageAndMovesARampByUnder005Pixel() {
        // With a = −0.75 cubic convolution keeps constants exactly and places a ramp within
        // t(t − ½)(t − 1) ≤ 0.048 px of where it belongs (Catmull-Rom's a = −0.5 would be exact):
        // the price of its sharper response.
        let (w, h) = (24, 20)
        func f(_ x: Float, _ y: Float) -> Float { 0.8 * x - 2 * y + 7 }
        var img = [Float](repeating: 0, count: w * h)
        for y in 0..<h { for x in 0..<w { img[y * w + x] = f(Float(x), Float(y)) } }
        let (du, dv): (Float, Float) = (0.37, -1.61)
        var out: [Float] = []
        Warp.backwardCubic(planar: img, channels: 1, width: w, height: h, flow: constantFlow(w, h, du, dv), reusing: &out)
        var err: Float = 0
        for y in 4..<(h - 2) {
            for x in 2..<(w - 3) { err = max(err, abs(out[y * w + x] - f(Float(x) + du, Float(y) + dv))) }
        }
        XCTAssertLessThan(err, 0.05 * (0.8 + 2), "the ramp was moved")
        XCTAssertGreaterThan(err, 1e-3, "exact on ramps: not the sharp kernel")
        let flat = [Float](repeating: 42, count: w * h)
        Warp.backwardCubic(planar: flat, channels: 1, width: w, height: h, flow: constantFlow(w, h, du, dv), reusing: &out)
        XCTAssertTrue(out.allSatisfy { abs($0 - 42) < 1e-4 }, "a flat image changed")
    }

    func testRepeatedCubicWarpsKeepDetailThatBilinearLoses() {
        // A carried history is warped every frame: half a pixel right, then back, ten times.
        let (w, h) = (32, 32)
        let img = pattern(1, w, h).map { $0 * 255 }
        var cubic = img, bilinear = img, scratch: [Float] = []
        for k in 0..<20 {
            let flow = constantFlow(w, h, k % 2 == 0 ? 0.5 : -0.5, 0)
            Warp.backwardCubic(planar: cubic, channels: 1, width: w, height: h, flow: flow, reusing: &scratch)
            swap(&cubic, &scratch)
            bilinear = Warp.backward(planar: bilinear, channels: 1, width: w, height: h, flow: flow).image
        }
        func deviation(_ a: [Float]) -> Float {   // interior standard deviation: the surviving detail
            var values: [Float] = []
            for y in 4..<(h - 4) { for x in 4..<(w - 4) { values.append(a[y * w + x]) } }
            let mean = values.reduce(0, +) / Float(values.count)
            return (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(values.count)).squareRoot()
        }
        let original = deviation(img)
        XCTAssertGreaterThan(deviation(cubic), 1.5 * deviation(bilinear))
        XCTAssertLessThan(deviation(bilinear), 0.5 * original, "bilinear blurs the pattern away")
        // Catmull-Rom keeps 28% of this noise's detail after the 20 warps; a = −0.75 keeps 74%.
        XCTAssertGreaterThan(deviation(cubic), 0.6 * original, "the history's texture blurs away")
        XCTAssertLessThanOrEqual(deviation(cubic), original, "the warp sharpened the pattern")
    }

    func testCubicClampsOutsideAndNaNFlowsToTheBorder() {
        let (w, h) = (5, 4)
        let img = (0..<(w * h)).map(Float.init)
        var flow = constantFlow(w, h, 100, -100)
        flow.u[7] = .nan; flow.v[7] = .nan
        var out: [Float] = []
        Warp.backwardCubic(planar: img, channels: 1, width: w, height: h, flow: flow, reusing: &out)
        XCTAssertEqual(out[0], img[w - 1], accuracy: 1e-5, "far right of the top row")
        XCTAssertEqual(out[7], img[7], accuracy: 1e-5, "NaN flow samples in place")
        XCTAssertTrue(out.allSatisfy { $0.isFinite })
    }

    /// The vector kernels (sixteen pixels at a time, taps read with plain loads where a block moves
    /// by nearly the same whole pixels, gathered elsewhere) give the per-pixel kernel's numbers bit
    /// for bit, on flows that take each path: still with jitter around 0, a smooth pan, random
    /// jumps, flows out of the image and NaN, on rows that are not a multiple of 16 wide.
    func testEveryVectorKernelWarpsAsThePerPixelKernel() {
        let best = stylize_vector_kernel_best()
        let kernels = [STYLIZE_VECTOR_AVX2, STYLIZE_VECTOR_AVX512].filter { $0.rawValue <= best.rawValue }
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func random() -> Float {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Float(state % 100_000) / 100_000
        }
        for (w, h) in [(53, 37), (16, 5), (70, 4), (2, 19)] {
            let n = w * h, c = 3
            let image = (0..<(c * n)).map { _ in 255 * random() }
            let flows: [(String, (Int, Int) -> (Float, Float))] = [
                ("jitter", { _, _ in (0.2 * random() - 0.1, 0.2 * random() - 0.1) }),
                ("pan", { x, y in (2.3 + 0.01 * Float(x), -1.6 + 0.02 * Float(y)) }),
                ("jumps", { _, _ in (40 * random() - 20, 30 * random() - 15) }),
                ("outside", { x, _ in (x % 3 == 0 ? 1e6 : -7.5, x % 5 == 0 ? .nan : 0.25) }),
            ]
            for (name, field) in flows {
                var u = [Float](repeating: 0, count: n), v = u
                for y in 0..<h { for x in 0..<w { (u[y * w + x], v[y * w + x]) = field(x, y) } }
                let needed = (0..<n).map { $0 % 7 == 3 ? Float(0) : 1 }
                func run(_ kernel: stylize_vector_kernel) -> (cubic: [Float], bilinear: [Float], valid: [Float]) {
                    var cubic = [Float](repeating: -1, count: c * n), bilinear = cubic
                    var valid = [Float](repeating: -1, count: n)
                    stylize_warp_cubic(kernel, image, Int32(c), Int32(w), Int32(h), u, v, &cubic, needed)
                    stylize_warp_bilinear(kernel, image, Int32(c), Int32(w), Int32(h), u, v, &bilinear, &valid)
                    return (cubic, bilinear, valid)
                }
                let reference = run(STYLIZE_VECTOR_BASELINE)
                XCTAssertTrue(zip(reference.cubic, needed + needed + needed).allSatisfy { ($1 == 0) == ($0 == -1) },
                              "\(name) \(w)×\(h): the cubic writes exactly the needed pixels")
                for kernel in kernels {
                    let got = run(kernel)
                    XCTAssertEqual(got.cubic.map(\.bitPattern), reference.cubic.map(\.bitPattern), "\(name) \(w)×\(h) cubic, kernel \(kernel.rawValue)")
                    XCTAssertEqual(got.bilinear.map(\.bitPattern), reference.bilinear.map(\.bitPattern), "\(name) \(w)×\(h) bilinear, kernel \(kernel.rawValue)")
                    XCTAssertEqual(got.valid, reference.valid, "\(name) \(w)×\(h) valid, kernel \(kernel.rawValue)")
                }
            }
        }
    }
}

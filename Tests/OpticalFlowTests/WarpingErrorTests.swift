import XCTest
@testable import OpticalFlow

final class WarpingErrorTests: XCTestCase {
    private struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E3779B97F4A7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
            z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
            return z ^ (z >> 31)
        }
        mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
        mutating func gaussian() -> Double {
            let u1 = max(uniform(), 1e-300), u2 = uniform()
            return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        }
    }

    private let (w, h, c) = (48, 40, 3)

    /// A smooth RGB frame in [0.2, 0.8], content shifted by (sx, sy).
    private func frame(shiftX sx: Float = 0, shiftY sy: Float = 0) -> [Float] {
        var img = [Float](repeating: 0, count: c * w * h)
        for ch in 0..<c {
            for y in 0..<h {
                for x in 0..<w {
                    let X = Float(x) - sx, Y = Float(y) - sy
                    img[ch * w * h + y * w + x] = 0.5 + 0.3 * sin(0.21 * X + Float(ch)) * cos(0.17 * Y)
                }
            }
        }
        return img
    }

    private func constantFlow(_ u: Float, _ v: Float) -> FlowField {
        FlowField(width: w, height: h, u: [Float](repeating: u, count: w * h), v: [Float](repeating: v, count: w * h))
    }

    func testIdenticalStaticFramesGiveZero() {
        let f = frame()
        let e = WarpingError.pair(outputT: f, outputT1: f, flowForward: FlowField(zeroWidth: w, height: h),
                                  mask: FlowConfidence(allReliableWidth: w, height: h))
        XCTAssertEqual(e, 0)
    }

    func testFramesMovedByTheFlowGiveAboutZero() {
        // Content moves by d from t to t+1: O_{t+1}(x) = O_t(x − d), forward flow = d.
        for (du, dv) in [(Float(3), Float(-2)), (1.5, 0.5)] {
            let ot = frame(), ot1 = frame(shiftX: du, shiftY: dv)
            let fw = constantFlow(du, dv), bw = constantFlow(-du, -dv)
            let mask = Consistency.confidenceInCurrentFrame(forward: fw, backward: bw)
            XCTAssertLessThan(mask.meanConfidence, 1, "content leaving the frame is masked")
            XCTAssertGreaterThan(mask.meanConfidence, 0.8)
            let e = WarpingError.pair(outputT: ot, outputT1: ot1, flowForward: fw, mask: mask)
            if du.rounded() == du { XCTAssertLessThan(e, 1e-10) } else { XCTAssertLessThan(e, 1e-4) }
            // The same frames compared without motion compensation differ a lot.
            let naive = WarpingError.pair(outputT: ot, outputT1: ot1, flowForward: FlowField(zeroWidth: w, height: h),
                                          mask: FlowConfidence(allReliableWidth: w, height: h))
            XCTAssertGreaterThan(naive, 100 * max(e, 1e-8))
        }
    }

    func testNoiseRaisesErrorByItsVariance() {
        let sigma = 0.05
        var rng = SplitMix(state: 42)
        let ot1 = frame(shiftX: 2, shiftY: 1)
        var ot = frame()
        for i in 0..<ot.count { ot[i] += Float(sigma * rng.gaussian()) }
        let fw = constantFlow(2, 1), bw = constantFlow(-2, -1)
        let mask = Consistency.confidenceInCurrentFrame(forward: fw, backward: bw)
        let e = WarpingError.pair(outputT: ot, outputT1: ot1, flowForward: fw, mask: mask)
        // ~5000 samples: the variance estimate is within a few percent.
        XCTAssertEqual(e, sigma * sigma, accuracy: 0.1 * sigma * sigma)
    }

    func testMaskedOutPixelsDoNotCount() {
        let f = frame()
        var g = f
        var maskValues = [Float](repeating: 1, count: w * h)
        // Wreck a block of g and mask it out.
        for y in 10..<20 { for x in 5..<25 {
            maskValues[y * w + x] = 0
            for ch in 0..<c { g[ch * w * h + y * w + x] = 1 - g[ch * w * h + y * w + x] + 0.7 }
        } }
        let zero = FlowField(zeroWidth: w, height: h)
        let masked = WarpingError.pair(outputT: f, outputT1: g, flowForward: zero,
                                       mask: FlowConfidence(width: w, height: h, mask: maskValues))
        XCTAssertEqual(masked, 0)
        let unmasked = WarpingError.pair(outputT: f, outputT1: g, flowForward: zero,
                                         mask: FlowConfidence(allReliableWidth: w, height: h))
        XCTAssertGreaterThan(unmasked, 0.01)
        // Normalization is over reliable pixels only: one channel off by 0.3 on half the
        // reliable pixels gives 0.09 · ½ / 3.
        var k = f
        var half = [Float](repeating: 0, count: w * h)
        for i in 0..<(w * h / 2) { half[i] = 1; if i % 2 == 0 { k[i] += 0.3 } }
        let e = WarpingError.pair(outputT: f, outputT1: k, flowForward: zero,
                                  mask: FlowConfidence(width: w, height: h, mask: half))
        XCTAssertEqual(e, 0.09 * 0.5 / 3, accuracy: 1e-6)
        // An empty mask scores 0 rather than NaN.
        let none = WarpingError.pair(outputT: f, outputT1: g, flowForward: zero,
                                     mask: FlowConfidence(width: w, height: h, mask: [Float](repeating: 0, count: w * h)))
        XCTAssertEqual(none, 0)
    }

    func testAccumulatorAveragesPairs() {
        let f = frame()
        var g = f
        for i in 0..<g.count { g[i] += 0.1 }
        let zero = FlowField(zeroWidth: w, height: h), all = FlowConfidence(allReliableWidth: w, height: h)
        var acc = WarpingError.Accumulator()
        XCTAssertEqual(acc.mean, 0)
        acc.add(outputT: f, outputT1: f, flowForward: zero, mask: all)
        let e = acc.add(outputT: f, outputT1: g, flowForward: zero, mask: all)
        XCTAssertEqual(e, 0.01, accuracy: 1e-6)
        XCTAssertEqual(acc.count, 2)
        XCTAssertEqual(acc.mean, 0.005, accuracy: 1e-6)
        acc.add(0.02)
        XCTAssertEqual(acc.mean, (0.01 + 0.02) / 3, accuracy: 1e-6)
    }
}

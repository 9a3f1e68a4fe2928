import XCTest
@testable import StyleEngine

/// The bf16 and int8 paths: their packed formats against references written here from the
/// formats' definitions, the fast kernels against the portable ones (where the CPU has the
/// instructions), every convolution path against the fp32 reference, and the fallbacks.
final class ReducedPrecisionTests: XCTestCase {
    var random = SeededGenerator(seed: 21)

    /// Shapes that leave partial tiles in every direction (rows of 8, columns of 32, k in
    /// pairs and quads), with B and C wider than the product.
    private let shapes = [(m: 13, n: 45, k: 37), (m: 8, n: 32, k: 4), (m: 1, n: 3, k: 1), (m: 64, n: 100, k: 150)]

    private func product(_ weights: PackedWeights, _ b: [Float], n: Int, ldb: Int, ldc: Int,
                         accumulateOnto start: [Float]?) -> [Float] {
        var c = start ?? [Float](repeating: .nan, count: weights.rows * ldc)
        b.withUnsafeBufferPointer { b in
            c.withUnsafeMutableBufferPointer { c in
                weights.multiply(n: n, b: b.baseAddress!, ldb: ldb, accumulate: start != nil, c: c.baseAddress!, ldc: ldc)
            }
        }
        return c
    }

    private func packed(_ arithmetic: GEMMArithmetic, _ a: [Float], m: Int, k: Int) -> PackedWeights {
        a.withUnsafeBufferPointer { PackedWeights(arithmetic, weights: $0.baseAddress!, rows: m, columns: k)! }
    }

    static func bf16(_ x: Float) -> Float {
        let bits = x.bitPattern
        return Float(bitPattern: (bits &+ 0x7fff &+ ((bits >> 16) & 1)) & 0xffff_0000)
    }

    func testPortableBF16IsTheProductOfTheRoundedOperands() {
        for (m, n, k) in shapes {
            let (ldb, ldc) = (n + 3, n + 5)
            let a = random.floats(m * k), b = random.floats(k * ldb), start = random.floats(m * ldc)
            let weights = packed(.bf16(portable: true), a, m: m, k: k)
            for accumulate in [false, true] {
                let c = product(weights, b, n: n, ldb: ldb, ldc: ldc, accumulateOnto: accumulate ? start : nil)
                for r in 0..<m {
                    for j in 0..<n {
                        var sum = 0.0
                        for i in 0..<k { sum += Double(Self.bf16(a[r * k + i])) * Double(Self.bf16(b[i * ldb + j])) }
                        if accumulate { sum += Double(start[r * ldc + j]) }
                        XCTAssertEqual(Double(c[r * ldc + j]), sum, accuracy: 1e-5 * Double(k), "\(m)×\(n)×\(k) at \(r),\(j)")
                    }
                    // Past column n, C is left alone.
                    XCTAssertEqual(c[r * ldc + n].bitPattern, (accumulate ? start[r * ldc + n] : .nan).bitPattern)
                }
            }
        }
    }

    func testPortableInt8IsTheQuantizedProduct() {
        for (m, n, k) in shapes {
            let (ldb, ldc) = (n + 3, n + 5)
            // ReLU-like activations (all ≥ 0) and signed ones: the zero code moves.
            for low: Float in [0, -0.7] {
                let a = random.floats(m * k), b = random.floats(k * ldb, in: low...1.3)
                let weights = packed(.int8(.portable), a, m: m, k: k)
                let c = product(weights, b, n: n, ldb: ldb, ldc: ldc, accumulateOnto: nil)
                // B's codes over its k × n block (columns past n are not part of it).
                var (lowest, highest): (Float, Float) = (0, 0)
                for i in 0..<k { for j in 0..<n { lowest = min(lowest, b[i * ldb + j]); highest = max(highest, b[i * ldb + j]) } }
                let step = (highest - lowest) / 255, inverse = 1 / step
                let zero = Int((-lowest * inverse).rounded(.toNearestOrEven))
                let code = { (x: Float) in min(255, max(0, Int((x * inverse).rounded(.toNearestOrEven)) + zero)) }
                for r in 0..<m {
                    let row = a[(r * k)..<(r * k + k)]
                    let scale = row.map(abs).max()! / 127
                    let q = row.map { Int(($0 / scale).rounded(.toNearestOrEven)) }
                    let sum = q.reduce(0, +)
                    for j in 0..<n {
                        var dot = 0
                        for i in 0..<k { dot += q[i] * code(b[i * ldb + j]) }
                        let expected = (scale * step) * Float(dot - zero * sum)
                        XCTAssertEqual(c[r * ldc + j], expected, accuracy: 1e-6 * max(1, abs(expected)), "\(m)×\(n)×\(k) at \(r),\(j)")
                    }
                }
                // And the quantized product is near the exact one: 8-bit steps, not a wrong format.
                XCTAssertGreaterThan(snr(c, exact(a, b, m: m, n: n, k: k, ldb: ldb, ldc: ldc), m: m, n: n, ldc: ldc), 30)
            }
        }
    }

    func testInt8OfAllZeroActivationsIsZero() {
        let weights = packed(.int8(.portable), random.floats(9 * 20), m: 9, k: 20)
        let c = product(weights, [Float](repeating: 0, count: 20 * 7), n: 7, ldb: 7, ldc: 7, accumulateOnto: nil)
        XCTAssertEqual(c, [Float](repeating: 0, count: 9 * 7))
    }

    func testFastKernelsMatchThePortableOnes() throws {
        let cpu = CPUFeatures.current
        guard cpu.avx512BF16 || cpu.avx512VNNI || cpu.avxVNNI else { throw XCTSkip("this CPU has no AVX512-BF16 or VNNI") }
        for (m, n, k) in shapes + [(m: 128, n: 96, k: 128)] {
            let (ldb, ldc) = (n + 1, n + 2)
            let a = random.floats(m * k), b = random.floats(k * ldb, in: -0.2...1), start = random.floats(m * ldc)
            var kinds: [(GEMMArithmetic, GEMMArithmetic)] = []
            if cpu.avx512BF16 { kinds.append((.bf16(portable: false), .bf16(portable: true))) }
            if cpu.avx512VNNI { kinds.append((.int8(.avx512), .int8(.portable))) }
            if cpu.avxVNNI { kinds.append((.int8(.avx2), .int8(.portable))) }
            for (fast, portable) in kinds {
                for accumulate in [false, true] {
                    let x = product(packed(fast, a, m: m, k: k), b, n: n, ldb: ldb, ldc: ldc, accumulateOnto: accumulate ? start : nil)
                    let y = product(packed(portable, a, m: m, k: k), b, n: n, ldb: ldb, ldc: ldc, accumulateOnto: accumulate ? start : nil)
                    for i in x.indices where i % ldc < n {
                        XCTAssertEqual(x[i], y[i], accuracy: 1e-5 * Float(k), "\(fast) \(m)×\(n)×\(k)")
                    }
                }
            }
        }
    }

    // MARK: Convolutions

    /// A whole style network (every int8 path: patches, Winograd, the fused upsampling's patches,
    /// tap products) with the fast kernels and the portable ones: the same picture.
    func testFastKernelsPaintTheSameNetworkAsThePortableOnes() throws {
        let kernels = try vnniKernels()
        let model = try Fixtures.model("tiny_transformer.onnx")
        let (h, w) = (28, 72)
        let data = random.floats(3 * h * w, in: 0...1)
        let portable = try StyleSession(model: model, arithmetic: .int8(.portable)).run([3, h, w], data).data
        for kernel in kernels {
            let fast = try StyleSession(model: model, arithmetic: .int8(kernel)).run([3, h, w], data).data
            XCTAssertGreaterThan(snr(fast, portable), 60, "\(kernel)")
        }
    }

    /// The int8 kernels this CPU runs besides the portable one (skips the test where there are none).
    private func vnniKernels() throws -> [GEMMArithmetic.Int8Kernel] {
        let cpu = CPUFeatures.current
        let kernels: [GEMMArithmetic.Int8Kernel] = (cpu.avx512VNNI ? [.avx512] : []) + (cpu.avxVNNI ? [.avx2] : [])
        guard !kernels.isEmpty else { throw XCTSkip("this CPU has no VNNI") }
        return kernels
    }

    /// int8 im2col gathers its panels from quantized rows: the fast gathers (whole rows at stride
    /// 1 and 2, panels that cross output rows, k not a multiple of 4, dilation, padding) give the
    /// portable kernel's numbers.
    func testFastPatchGathersMatchThePortableOnes() throws {
        try assertFastKernelsMatchThePortableOne([
            ConvCase(c: 3, m: 32, k: 9, h: 21, w: 19, attributes: [.ints("pads", [4, 4, 4, 4])]),
            ConvCase(c: 16, m: 24, k: 3, h: 17, w: 70, attributes: [.ints("strides", [2, 2]), .ints("pads", [1, 1, 1, 1])]),
            ConvCase(c: 5, m: 9, k: 3, h: 12, w: 66, attributes: [.ints("pads", [0, 2, 1, 0])]),
            ConvCase(c: 7, m: 13, k: 3, h: 15, w: 40, attributes: [.ints("dilations", [2, 2]), .ints("pads", [2, 2, 2, 2])]),
            ConvCase(c: 4, m: 8, k: 5, h: 9, w: 37, attributes: [.ints("strides", [3, 1])]),
        ])
    }

    /// The int8 direct convolution (a few output channels): its AVX-512 and AVX-VNNI kernels give the
    /// portable kernel's numbers — output rows not a multiple of the vectors, channels not a multiple
    /// of 4, one to four outputs, its own padding on some sides, none.
    func testFastDirectConvolutionsMatchThePortableOne() throws {
        try assertFastKernelsMatchThePortableOne([
            ConvCase(c: 32, m: 3, k: 9, h: 13, w: 150, attributes: [.ints("pads", [4, 4, 4, 4])]),
            ConvCase(c: 6, m: 1, k: 5, h: 9, w: 17, attributes: [.ints("pads", [2, 0, 1, 3])]),
            ConvCase(c: 13, m: 4, k: 2, h: 11, w: 70, attributes: []),
            ConvCase(c: 9, m: 2, k: 7, h: 8, w: 70, attributes: []),
        ], method: .quantizedDirect)
    }

    /// A convolution [m, c, k, k] on a c × h × w input.
    private struct ConvCase { var c, m, k, h, w: Int; var attributes: [ONNXBuilder.Attribute] }

    /// Each case's convolution in int8 on every VNNI kernel of this CPU gives the portable kernel's numbers
    /// (and, with `method`, is planned as that).
    private func assertFastKernelsMatchThePortableOne(_ cases: [ConvCase], method: ConvolutionKernel.Method? = nil) throws {
        let kernels = try vnniKernels()
        for test in cases {
            let constants = [("w", [test.m, test.c, test.k, test.k], random.floats(test.m * test.c * test.k * test.k)),
                             ("b", [test.m], random.floats(test.m))]
            let model = try StyleModel(bytes: ONNXBuilder.singleOp("Conv", constants: constants, attributes: test.attributes))
            let name = "\(test.c)→\(test.m) \(test.k)×\(test.k) \(test.attributes)"
            if let method {
                let plan = try Planner.plan(model.graph, inputShapes: [[1, test.c, test.h, test.w]], arithmetic: .int8(.portable))
                XCTAssertEqual((plan.steps.first?.kernel as? ConvolutionKernel)?.method, method, name)
            }
            let data = random.floats(test.c * test.h * test.w, in: -0.3...1)
            let portable = try StyleSession(model: model, arithmetic: .int8(.portable)).run([test.c, test.h, test.w], data).data
            for kernel in kernels {
                let fast = try StyleSession(model: model, arithmetic: .int8(kernel)).run([test.c, test.h, test.w], data).data
                XCTAssertEqual(fast.count, portable.count)
                for (x, y) in zip(fast, portable) {
                    XCTAssertEqual(x, y, accuracy: 1e-5 * max(1, abs(y)), "\(kernel) \(name)")
                }
            }
        }
    }

    /// Every convolution path of a style network, run in each reduced precision (portable
    /// kernels, so on any CPU), against the fp32 reference.
    func testEveryConvolutionPathStaysCloseToFP32() throws {
        struct Case { var name: String; var c, m, k, h, w: Int; var attributes: [ONNXBuilder.Attribute] = [] }
        let cases = [
            Case(name: "im2col 9×9", c: 3, m: 32, k: 9, h: 21, w: 19, attributes: [.ints("pads", [4, 4, 4, 4])]),
            Case(name: "im2col stride 2", c: 16, m: 24, k: 3, h: 17, w: 22,
                 attributes: [.ints("strides", [2, 2]), .ints("pads", [1, 1, 1, 1])]),
            Case(name: "grouped", c: 8, m: 12, k: 3, h: 9, w: 11, attributes: [.int("group", 2), .ints("strides", [2, 1])]),
            Case(name: "pointwise", c: 20, m: 9, k: 1, h: 10, w: 13),
            Case(name: "tap products (int8: direct)", c: 32, m: 3, k: 9, h: 23, w: 29, attributes: [.ints("pads", [4, 4, 4, 4])]),
            Case(name: "tap products (int8: direct), one output", c: 10, m: 1, k: 5, h: 12, w: 70,
                 attributes: [.ints("pads", [2, 1, 0, 3])]),
            Case(name: "winograd", c: 16, m: 16, k: 3, h: 14, w: 18, attributes: [.ints("pads", [1, 1, 1, 1])]),
        ]
        for test in cases {
            let weights = random.floats(test.m * (test.c / groups(test.attributes)) * test.k * test.k), bias = random.floats(test.m)
            let constants = [("w", [test.m, test.c / groups(test.attributes), test.k, test.k], weights), ("b", [test.m], bias)]
            let model = try StyleModel(bytes: ONNXBuilder.singleOp("Conv", constants: constants, attributes: test.attributes))
            let data = random.floats(test.c * test.h * test.w, in: 0...1)
            let fp32 = try StyleSession(model: model).run([test.c, test.h, test.w], data).data
            for (arithmetic, floor) in [(GEMMArithmetic.bf16(portable: true), 40.0), (.int8(.portable), 30.0)] {
                let kernel = try XCTUnwrap(Planner.plan(model.graph, inputShapes: [[1, test.c, test.h, test.w]],
                                                        arithmetic: arithmetic).steps.first?.kernel)
                let isPacked = (kernel as? ConvolutionKernel)?.packedWeights != nil
                    || (kernel as? ConvolutionKernel)?.directWeights != nil
                    || (kernel as? WinogradConvolutionKernel)?.packedFilters != nil
                XCTAssertTrue(isPacked, "\(test.name) \(arithmetic): weights packed for it")
                if case .int8 = arithmetic, test.name.hasPrefix("im2col") {
                    XCTAssertEqual((kernel as? ConvolutionKernel)?.method, .quantizedPatches, test.name)
                }
                if case .int8 = arithmetic, test.name.hasPrefix("tap products") {
                    XCTAssertEqual((kernel as? ConvolutionKernel)?.method, .quantizedDirect, test.name)
                }
                let output = try StyleSession(model: model, arithmetic: arithmetic).run([test.c, test.h, test.w], data).data
                XCTAssertGreaterThan(snr(output, fp32), floor, "\(test.name) in \(arithmetic)")
                XCTAssertNotEqual(output, fp32, "\(test.name) in \(arithmetic): not the fp32 kernels")
            }
        }
    }

    /// A whole style network (the fixture has the ×2 upsampling convolutions the planner fuses),
    /// on one and two threads.
    func testAStyleNetworkStaysCloseToFP32() throws {
        let model = try Fixtures.model("tiny_transformer.onnx")
        let (h, w) = (24, 20)
        var data: [Float] = []
        for c in 0..<3 { for y in 0..<h { for x in 0..<w { data.append(Float((x * (c + 1) + 3 * y) % 23) / 23) } } }
        let fp32 = try StyleSession(model: model).run([3, h, w], data).data
        // Random weights and 5×6 maps under instance norm: a harsher case than a trained network
        // (measured 34 dB bf16, 25 dB int8; a wrong format or scale lands near 0 dB).
        for (arithmetic, floor) in [(GEMMArithmetic.bf16(portable: true), 30.0), (.int8(.portable), 20.0)] {
            let plan = try Planner.plan(model.graph, inputShapes: [[1, 3, h, w]], arithmetic: arithmetic)
            let upsampling = plan.steps.compactMap { $0.kernel as? UpsampleConvKernel }
            XCTAssertFalse(upsampling.isEmpty, "the fixture should fuse its upsampling")
            XCTAssertTrue(upsampling.allSatisfy { $0.packedWeights != nil }, "\(arithmetic)")
            for threads in [1, 2] {
                let output = try StyleSession(model: model, threads: threads, arithmetic: arithmetic).run([3, h, w], data).data
                XCTAssertGreaterThan(snr(output, fp32), floor, "\(arithmetic), \(threads) threads")
            }
        }
    }

    /// A shipped preset (the realtime Starry Night) on a photo-like picture: PSNR of the 0…255
    /// output against fp32, with the bars of issue 21 (bf16 40 dB, int8 36 dB).
    func testAShippedPresetMeetsTheQualityBar() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../Presets/starry-night/realtime.onnx").standardized.path
        let model = try StyleModel(contentsOf: path)
        let (h, w) = (96, 128)
        var data: [Float] = []
        // A sky-like gradient with a few hard shapes: flat regions are where 8-bit steps would show.
        for c in 0..<3 { for y in 0..<h { for x in 0..<w {
            let shape: Float = (x - 80) * (x - 80) + (y - 60) * (y - 60) < 400 ? 90 : 0
            data.append(min(255, 40 + Float(y) * 1.2 + Float(c * 30) + shape + (x / 16 % 2 == 0 && y > 70 ? 50 : 0)))
        } } }
        let fp32 = try StyleSession(model: model).run([3, h, w], data).data
        for (arithmetic, bar) in [(GEMMArithmetic.bf16(portable: true), 40.0), (.int8(.portable), 36.0)] {
            let output = try StyleSession(model: model, arithmetic: arithmetic).run([3, h, w], data).data
            var squared = 0.0
            for (x, y) in zip(output, fp32) {
                let d = Double(min(255, max(0, x)) - min(255, max(0, y)))
                squared += d * d
            }
            let psnr = 10 * log10(255 * 255 / max(squared / Double(fp32.count), 1e-12))
            XCTAssertGreaterThan(psnr, bar, "\(arithmetic)")
            XCTAssertLessThan(psnr, 90, "\(arithmetic): should differ from fp32 at all")
        }
    }

    private func groups(_ attributes: [ONNXBuilder.Attribute]) -> Int {
        for case .int("group", let value) in attributes { return value }
        return 1
    }

    // MARK: Fallbacks

    func testAPrecisionTheCPULacksIsRefusedByName() throws {
        let model = try Fixtures.model("tiny_transformer.onnx")
        let data = random.floats(3 * 8 * 8, in: 0...1)
        for precision in [Precision.bf16, .int8] {
            let session = StyleSession(model: model, precision: precision, cpu: CPUFeatures())
            XCTAssertThrowsError(try session.run([3, 8, 8], data), "\(precision)") { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(precision == .bf16 ? "AVX512-BF16" : "AVX-VNNI"), text)
            }
        }
        // The widest kernel the CPU has.
        XCTAssertEqual(try GEMMArithmetic(.int8, cpu: CPUFeatures(avx512VNNI: true, avxVNNI: true)), .int8(.avx512))
        XCTAssertEqual(try GEMMArithmetic(.int8, cpu: CPUFeatures(avxVNNI: true)), .int8(.avx2))
        // fp32 needs nothing: the same numbers as a session that never heard of precisions.
        XCTAssertEqual(try StyleSession(model: model, precision: .fp32, cpu: CPUFeatures()).run([3, 8, 8], data).data,
                       try StyleSession(model: model).run([3, 8, 8], data).data)
    }

    // MARK: Measures

    private func exact(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, ldb: Int, ldc: Int) -> [Float] {
        var c = [Float](repeating: 0, count: m * ldc)
        for r in 0..<m { for j in 0..<n {
            var sum = 0.0
            for i in 0..<k { sum += Double(a[r * k + i]) * Double(b[i * ldb + j]) }
            c[r * ldc + j] = Float(sum)
        } }
        return c
    }

    /// Signal-to-noise ratio of `x` against `reference` in dB (over the first n of each ldc row).
    private func snr(_ x: [Float], _ reference: [Float], m: Int? = nil, n: Int? = nil, ldc: Int? = nil) -> Double {
        var (signal, noise) = (0.0, 0.0)
        for i in reference.indices where ldc.map({ i % $0 < n! }) ?? true {
            signal += Double(reference[i]) * Double(reference[i])
            noise += Double(x[i] - reference[i]) * Double(x[i] - reference[i])
        }
        return 10 * log10(signal / max(noise, 1e-30))
    }
}

import CKernels
import Foundation
import XCTest
@testable import StyleEngine

/// Each operator, built into a one-node model, against the naive references
/// on random inputs of several shapes.
final class OperatorTests: XCTestCase {
    var random = SeededGenerator(seed: 42)

    /// Runs a one-node model on a random [C, H, W] image; returns input and output.
    private func run(_ model: [UInt8], channels: Int, height: Int, width: Int,
                     range: ClosedRange<Float> = -1...1) throws -> (x: RefTensor, y: ImageResult) {
        let data = random.floats(channels * height * width, in: range)
        let session = StyleSession(model: try StyleModel(bytes: model))
        let y = try session.run([channels, height, width], data)
        return (RefTensor(shape: [1, channels, height, width], floats: data), y)
    }

    private func check(_ y: ImageResult, _ expected: RefTensor, tolerance: Float = 1e-4, _ message: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual([1] + y.shape, expected.shape, message, file: file, line: line)
        assertClose(y.data, expected.floats, tolerance: tolerance, message, file: file, line: line)
    }

    // MARK: Conv

    struct ConvCase {
        var c = 3, m = 4, h = 9, w = 7, kh = 3, kw = 3
        var strides = [1, 1], pads = [0, 0, 0, 0], dilations = [1, 1], group = 1, bias = true
    }

    func testConvMatchesReference() throws {
        let cases: [ConvCase] = [
            ConvCase(),
            ConvCase(c: 2, m: 5, h: 11, w: 6, kh: 3, kw: 3, pads: [1, 1, 1, 1]),
            ConvCase(c: 3, m: 8, h: 13, w: 9, kh: 3, kw: 3, strides: [2, 2], pads: [1, 1, 1, 1]),
            ConvCase(c: 3, m: 4, h: 10, w: 12, kh: 9, kw: 9, pads: [4, 4, 4, 4], bias: false),
            ConvCase(c: 4, m: 6, h: 8, w: 11, kh: 1, kw: 1),                      // pointwise, no im2col
            ConvCase(c: 4, m: 6, h: 8, w: 11, kh: 1, kw: 1, strides: [2, 1]),      // 1×1 but strided
            ConvCase(c: 6, m: 6, h: 9, w: 10, kh: 3, kw: 3, pads: [1, 1, 1, 1], group: 6),  // depthwise
            ConvCase(c: 6, m: 6, h: 9, w: 10, kh: 3, kw: 3, strides: [2, 2], pads: [1, 0, 1, 2], group: 6),
            ConvCase(c: 6, m: 4, h: 7, w: 9, kh: 3, kw: 2, pads: [0, 1, 2, 0], group: 2),   // grouped
            ConvCase(c: 3, m: 2, h: 12, w: 12, kh: 3, kw: 3, strides: [1, 2], pads: [2, 2, 2, 2], dilations: [2, 3]),
            ConvCase(c: 5, m: 3, h: 6, w: 5, kh: 5, kw: 4, strides: [3, 2], pads: [0, 0, 0, 0]),
            ConvCase(c: 64, m: 16, h: 40, w: 64, kh: 3, kw: 3, pads: [1, 1, 1, 1]),  // several column tiles
        ]
        for (index, test) in cases.enumerated() {
            let weights = random.floats(test.m * (test.c / test.group) * test.kh * test.kw)
            let bias = random.floats(test.m)
            var constants = [("w", [test.m, test.c / test.group, test.kh, test.kw], weights)]
            if test.bias { constants.append(("b", [test.m], bias)) }
            let model = ONNXBuilder.singleOp("Conv", constants: constants, attributes: [
                .ints("strides", test.strides), .ints("pads", test.pads), .ints("dilations", test.dilations),
                .int("group", test.group), .ints("kernel_shape", [test.kh, test.kw]),
            ])
            let (x, y) = try run(model, channels: test.c, height: test.h, width: test.w)
            let expected = Reference.conv(x, RefTensor(shape: constants[0].1, floats: weights),
                                          test.bias ? RefTensor(shape: [test.m], floats: bias) : nil,
                                          strides: test.strides, pads: test.pads, dilations: test.dilations, group: test.group)
            check(y, expected, "conv case \(index)")
        }
    }

    func testConvAutoPadSameKeepsSize() throws {
        for (autoPad, pads) in [("SAME_UPPER", [1, 1, 2, 2]), ("SAME_LOWER", [2, 2, 1, 1]), ("VALID", [0, 0, 0, 0])] {
            let weights = random.floats(2 * 3 * 4 * 4)
            let model = ONNXBuilder.singleOp("Conv", constants: [("w", [2, 3, 4, 4], weights)],
                                             attributes: [.string("auto_pad", autoPad)])
            let (x, y) = try run(model, channels: 3, height: 7, width: 8)
            check(y, Reference.conv(x, RefTensor(shape: [2, 3, 4, 4], floats: weights), nil, pads: pads), autoPad)
        }
    }

    // MARK: ConvTranspose

    func testConvTransposeMatchesReference() throws {
        struct Case { var c, m, h, w, k: Int; var strides: [Int]; var pads: [Int]; var dilations = [1, 1]; var group = 1; var outputPadding = [0, 0] }
        let cases = [
            Case(c: 4, m: 3, h: 5, w: 6, k: 3, strides: [1, 1], pads: [0, 0, 0, 0]),
            Case(c: 8, m: 4, h: 6, w: 5, k: 3, strides: [2, 2], pads: [1, 1, 1, 1], outputPadding: [1, 1]),  // CycleGAN's
            Case(c: 3, m: 2, h: 4, w: 7, k: 4, strides: [2, 3], pads: [1, 0, 2, 1]),
            Case(c: 4, m: 6, h: 5, w: 5, k: 3, strides: [1, 2], pads: [1, 1, 0, 0], dilations: [2, 1], group: 2),
            Case(c: 64, m: 32, h: 20, w: 40, k: 3, strides: [2, 2], pads: [1, 1, 1, 1], outputPadding: [1, 1]),  // tiles
        ]
        for (index, test) in cases.enumerated() {
            let weights = random.floats(test.c * (test.m / test.group) * test.k * test.k)
            let bias = random.floats(test.m)
            let wShape = [test.c, test.m / test.group, test.k, test.k]
            let model = ONNXBuilder.singleOp("ConvTranspose", constants: [("w", wShape, weights), ("b", [test.m], bias)], attributes: [
                .ints("strides", test.strides), .ints("pads", test.pads), .ints("dilations", test.dilations),
                .int("group", test.group), .ints("output_padding", test.outputPadding),
            ])
            let (x, y) = try run(model, channels: test.c, height: test.h, width: test.w)
            let expected = Reference.convTranspose(x, RefTensor(shape: wShape, floats: weights), RefTensor(shape: [test.m], floats: bias),
                                                   strides: test.strides, pads: test.pads, dilations: test.dilations,
                                                   group: test.group, outputPadding: test.outputPadding)
            check(y, expected, "conv transpose case \(index)")
        }
    }

    func testConvTransposeOutputShapeAttribute() throws {
        let weights = random.floats(2 * 2 * 3 * 3)
        let model = ONNXBuilder.singleOp("ConvTranspose", constants: [("w", [2, 2, 3, 3], weights)],
                                         attributes: [.ints("strides", [2, 2]), .ints("output_shape", [10, 12])])
        let (x, y) = try run(model, channels: 2, height: 5, width: 6)
        // total padding = 2·4 + 3 − 10 = 1 (H), 2·5 + 3 − 12 = 1 (W); NOTSET puts the odd pixel first.
        XCTAssertEqual(y.shape, [2, 10, 12])
        check(y, Reference.convTranspose(x, RefTensor(shape: [2, 2, 3, 3], floats: weights), nil, strides: [2, 2], pads: [1, 1, 0, 0]),
              "output_shape")
    }

    // MARK: Normalization

    func testInstanceNormalizationMatchesReference() throws {
        for (c, h, w) in [(3, 5, 7), (8, 33, 35), (2, 1, 1)] {
            let scale = random.floats(c), bias = random.floats(c)
            let model = ONNXBuilder.singleOp("InstanceNormalization", constants: [("s", [c], scale), ("b", [c], bias)],
                                             attributes: [.float("epsilon", 1e-3)])
            // An offset input checks that the variance is computed around a center near the mean, not as E[x²] − E[x]².
            let (x, y) = try run(model, channels: c, height: h, width: w, range: 100...101)
            check(y, Reference.instanceNorm(x, scale: RefTensor(shape: [c], floats: scale), bias: RefTensor(shape: [c], floats: bias),
                                            epsilon: 1e-3), tolerance: 2e-4, "instance norm \(c)×\(h)×\(w)")
        }
    }

    /// The one-pass statistics against double-precision two-pass ones: a full-HD plane far from
    /// zero with a tiny spread, one whose values sit in two clusters, and a constant one.
    func testPlaneStatisticsKeepTheirDigits() {
        let count = 1920 * 1080
        let planes: [(String, [Float])] = [
            ("offset", (0..<count).map { _ in 1000 + Float.random(in: -0.01...0.01, using: &random) }),
            ("two clusters", (0..<count).map { $0 % 7 == 0 ? 50 + Float.random(in: 0...1, using: &random) : -3 }),
            ("constant", [Float](repeating: 7.25, count: count)),
        ]
        for (name, plane) in planes {
            let mean = plane.reduce(0.0) { $0 + Double($1) } / Double(count)
            let variance = plane.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(count)
            let (m, v) = plane.withUnsafeBufferPointer { meanAndVariance($0.baseAddress!, count: count) }
            XCTAssertEqual(Double(m), mean, accuracy: abs(mean) * 1e-6, name)
            XCTAssertEqual(Double(v), variance, accuracy: variance * 1e-4, name)
        }
    }

    /// The C kernels' targets this CPU runs: the baseline and every wider one it reports.
    private var vectorKernels: [stylize_vector_kernel] {
        let best = stylize_vector_kernel_best()
        return [STYLIZE_VECTOR_BASELINE, STYLIZE_VECTOR_AVX2, STYLIZE_VECTOR_AVX512].filter { $0.rawValue <= best.rawValue }
    }

    /// The normalizing pass on every target this CPU runs: the separate steps' operations, bit for
    /// bit (x · scale + shift, + residual, then ReLU), on lengths that end mid-vector, in place too.
    func testNormalizingPassIsTheSeparateStepsOnEveryTarget() {
        for kernel in vectorKernels {
            for count in [1, 15, 16, 33, 1000] {
                let x = random.floats(count, in: -2...2), r = random.floats(count)
                let (scale, shift): (Float, Float) = (1.7, -0.3)
                for residual in [false, true] {
                    for relu in [false, true] {
                        var want = x.map { $0 * scale + shift }
                        if residual { want = zip(want, r).map { $0 + $1 } }
                        if relu { want = want.map { $0 < 0 ? 0 : $0 } }
                        var got = [Float](repeating: .nan, count: count)
                        stylize_normalize_plane(kernel, x, &got, residual ? r : nil, count, scale, shift, relu ? 1 : 0)
                        var inPlace = x
                        inPlace.withUnsafeMutableBufferPointer {
                            stylize_normalize_plane(kernel, $0.baseAddress!, $0.baseAddress!, residual ? r : nil, count, scale, shift,
                                                    relu ? 1 : 0)
                        }
                        let name = "kernel \(kernel.rawValue), \(count), residual \(residual), relu \(relu)"
                        XCTAssertEqual(got.map(\.bitPattern), want.map(\.bitPattern), name)
                        XCTAssertEqual(inPlace.map(\.bitPattern), want.map(\.bitPattern), name + " in place")
                    }
                }
            }
        }
    }

    /// Tap products' sums on every target this CPU runs: the taps added to y in order, bit for bit.
    func testTapSumsOnEveryTarget() {
        for kernel in vectorKernels {
            for (count, taps, stride) in [(1, 1, 0), (17, 9, 40), (64, 3, 70), (1000, 9, 1003)] {
                let x = random.floats(stride * taps + count), start = random.floats(count)
                var want = start
                for t in 0..<taps { for i in 0..<count { want[i] += x[t * stride + i] } }
                var got = start
                stylize_sum_taps(kernel, &got, count, x, Int32(taps), stride)
                XCTAssertEqual(got.map(\.bitPattern), want.map(\.bitPattern), "kernel \(kernel.rawValue), \(count) × \(taps)")
            }
        }
    }

    /// The upsampling convolution's phases interleaved on every target this CPU runs, bit for bit.
    func testInterleavedColumnsOnEveryTarget() {
        for kernel in vectorKernels {
            for count in [1, 16, 37, 320] {
                let even = random.floats(count, in: -1...1), odd = random.floats(count, in: -1...1)
                for relu in [false, true] {
                    var want = [Float](repeating: 0, count: 2 * count)
                    for b in 0..<count {
                        (want[2 * b], want[2 * b + 1]) = (even[b] + 0.25, odd[b] + 0.25)
                        if relu { (want[2 * b], want[2 * b + 1]) = (max(want[2 * b], 0), max(want[2 * b + 1], 0)) }
                    }
                    var got = [Float](repeating: .nan, count: 2 * count)
                    stylize_interleave_columns(kernel, even, odd, &got, count, 0.25, relu ? 1 : 0)
                    XCTAssertEqual(got.map(\.bitPattern), want.map(\.bitPattern), "kernel \(kernel.rawValue), \(count), relu \(relu)")
                }
            }
        }
    }

    func testBatchNormalizationMatchesReference() throws {
        let c = 5
        let parameters = [random.floats(c), random.floats(c), random.floats(c), random.floats(c, in: 0.1...2)]
        let model = ONNXBuilder.singleOp("BatchNormalization", constants: zip(["s", "b", "m", "v"], parameters).map { ($0, [c], $1) },
                                         attributes: [.float("epsilon", 1e-4)])
        let (x, y) = try run(model, channels: c, height: 6, width: 9)
        let p = parameters.map { RefTensor(shape: [c], floats: $0) }
        check(y, Reference.batchNorm(x, scale: p[0], bias: p[1], mean: p[2], variance: p[3], epsilon: 1e-4), "batch norm")
    }

    // MARK: Element-wise

    func testActivationsMatchReference() throws {
        let cases: [(String, [ONNXBuilder.Attribute], (Double) -> Double)] = [
            ("Relu", [], { max($0, 0) }),
            ("LeakyRelu", [.float("alpha", 0.3)], { $0 < 0 ? 0.3 * $0 : $0 }),
            ("LeakyRelu", [], { $0 < 0 ? 0.01 * $0 : $0 }),
            ("Sigmoid", [], { 1 / (1 + exp(-$0)) }),
            ("Tanh", [], { tanh($0) }),
            ("Floor", [], { floor($0) }),
        ]
        for (op, attributes, f) in cases {
            let (x, y) = try run(ONNXBuilder.singleOp(op, attributes: attributes), channels: 3, height: 5, width: 7, range: -4...4)
            check(y, Reference.map(x, f), op)
        }
    }

    func testClipWithInputsAndWithAttributes() throws {
        let fromInputs = ONNXBuilder.singleOp("Clip", constants: [("lo", [], [-0.5]), ("hi", [], [0.25])])
        var (x, y) = try run(fromInputs, channels: 2, height: 4, width: 5)
        check(y, Reference.map(x) { min(max($0, -0.5), 0.25) }, "Clip inputs")
        // Only max given (min omitted with an empty name).
        let onlyMax = ONNXBuilder.singleOp("Clip", constants: [("hi", [], [0.25])], inputs: ["x", "", "hi"])
        (x, y) = try run(onlyMax, channels: 2, height: 4, width: 5)
        check(y, Reference.map(x) { min($0, 0.25) }, "Clip max only")
        let legacy = ONNXBuilder.singleOp("Clip", attributes: [.float("min", -0.1), .float("max", 0.7)], opset: 9)
        (x, y) = try run(legacy, channels: 2, height: 4, width: 5)
        check(y, Reference.map(x) { min(max($0, -0.1), 0.7) }, "Clip attributes")
    }

    func testBinaryOperatorsBroadcast() throws {
        let operators: [(String, (Double, Double) -> Double)] = [("Add", +), ("Sub", -), ("Mul", *), ("Div", /)]
        let shapes: [[Int]] = [[1, 3, 5, 7], [3, 1, 1], [7], [1, 1, 5, 1], [], [1, 3, 1, 7], [5, 7]]
        for (op, f) in operators {
            for shape in shapes {
                let values = random.floats(shape.reduce(1, *), in: 0.5...2)
                let model = ONNXBuilder.singleOp(op, constants: [("b", shape, values)])
                let (x, y) = try run(model, channels: 3, height: 5, width: 7)
                check(y, Reference.broadcast(x, RefTensor(shape: shape, floats: values), f), "\(op) with \(shape)")
                // And with the constant on the left.
                let flipped = ONNXBuilder.singleOp(op, constants: [("b", shape, values)], inputs: ["b", "x"])
                let (x2, y2) = try run(flipped, channels: 3, height: 5, width: 7)
                check(y2, Reference.broadcast(RefTensor(shape: shape, floats: values), x2, f), "\(op) with \(shape) on the left")
            }
        }
        // Both operands broadcast: [1, 1, 5, 1] · x[1, 3, 1, 7] is not expressible with a 4-D image input of H > 1,
        // so run the image as [1, 3, 1, 7].
        let column = random.floats(5)
        let model = ONNXBuilder.singleOp("Mul", constants: [("b", [1, 1, 5, 1], column)])
        let (x, y) = try run(model, channels: 3, height: 1, width: 7)
        check(y, Reference.broadcast(x, RefTensor(shape: [1, 1, 5, 1], floats: column), *), "two-sided broadcast")
    }

    func testIncompatibleBroadcastThrows() throws {
        let model = try StyleModel(bytes: ONNXBuilder.singleOp("Add", constants: [("b", [4], [1, 2, 3, 4])]))
        assertEngineError(["do not broadcast", "Add"]) { () throws(EngineError) in
            try StyleSession(model: model).run([1, 2, 3], [Float](repeating: 0, count: 6))
        }
    }

    // MARK: Pad

    func testPadModes() throws {
        let padsList = [[0, 0, 1, 2, 0, 0, 2, 1], [0, 0, 3, 0, 0, 0, 0, 3], [0, 0, 0, 0, 0, 0, 0, 0]]
        for mode in ["constant", "reflect", "edge"] {
            for pads in padsList {
                let model = ONNXBuilder.singleOp("Pad", constants: [("v", [], [0.75])], intConstants: [("p", [8], pads)],
                                                 inputs: ["x", "p", "v"], attributes: [.string("mode", mode)])
                let (x, y) = try run(model, channels: 2, height: 5, width: 6)
                check(y, Reference.pad(x, pads: pads, mode: mode, value: 0.75), "\(mode) \(pads)")
                let legacy = ONNXBuilder.singleOp("Pad", attributes: [.string("mode", mode), .ints("pads", pads), .float("value", 0.75)],
                                                  opset: 9)
                let (x9, y9) = try run(legacy, channels: 2, height: 5, width: 6)
                check(y9, Reference.pad(x9, pads: pads, mode: mode, value: 0.75), "opset 9 \(mode) \(pads)")
            }
        }
        // Negative pads crop; channel padding works too.
        let crop = ONNXBuilder.singleOp("Pad", intConstants: [("p", [8], [0, 1, -1, 0, 0, 0, 0, -2])])
        let (x, y) = try run(crop, channels: 2, height: 5, width: 6)
        XCTAssertEqual(y.shape, [3, 4, 4])
        var expected = RefTensor(shape: [1, 3, 4, 4], repeating: 0)
        for c in 1..<3 { for i in 0..<4 { for j in 0..<4 { expected[0, c, i, j] = x[0, c - 1, i + 1, j] } } }
        check(y, expected, "crop")
    }

    // MARK: Resize

    func testResizeNearestModes() throws {
        let transforms = ["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel", "tf_half_pixel_for_nn"]
        let roundings = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]
        for transform in transforms {
            for rounding in roundings {
                for scales: (Float, Float) in [(2, 2), (1.5, 0.6), (0.5, 3)] {
                    let model = ONNXBuilder.singleOp("Resize", constants: [("s", [4], [1, 1, scales.0, scales.1])], inputs: ["x", "", "s"],
                                                     attributes: [.string("mode", "nearest"), .string("coordinate_transformation_mode", transform),
                                                                  .string("nearest_mode", rounding)])
                    let (x, y) = try run(model, channels: 2, height: 7, width: 6)
                    let (oh, ow) = (Int(7 * Double(scales.0)), Int(6 * Double(scales.1)))
                    check(y, Reference.resize(x, outHeight: oh, outWidth: ow, scales: (Double(scales.0), Double(scales.1)), mode: "nearest",
                                              transform: transform, nearestMode: rounding), "nearest \(transform) \(rounding) \(scales)")
                }
            }
        }
    }

    func testResizeLinearWithScalesAndSizes() throws {
        for transform in ["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel"] {
            let model = ONNXBuilder.singleOp("Resize", constants: [("s", [4], [1, 1, 2, 0.5])], inputs: ["x", "", "s"],
                                             attributes: [.string("mode", "linear"), .string("coordinate_transformation_mode", transform)])
            let (x, y) = try run(model, channels: 3, height: 5, width: 8)
            check(y, Reference.resize(x, outHeight: 10, outWidth: 4, scales: (2, 0.5), mode: "linear", transform: transform, nearestMode: ""),
                  "linear \(transform)")
            // sizes instead of scales (opset 13 allows omitting roi and scales).
            let sized = ONNXBuilder.singleOp("Resize", intConstants: [("z", [4], [1, 3, 9, 1])], inputs: ["x", "", "", "z"],
                                             attributes: [.string("mode", "linear"), .string("coordinate_transformation_mode", transform)])
            let (x2, y2) = try run(sized, channels: 3, height: 5, width: 8)
            check(y2, Reference.resize(x2, outHeight: 9, outWidth: 1, mode: "linear", transform: transform, nearestMode: ""),
                  "linear sizes \(transform)")
        }
    }

    func testUpsampleOpset9AndResizeOpset10() throws {
        for (op, opset) in [("Upsample", 9), ("Resize", 10)] {
            for mode in ["nearest", "linear"] {
                let model = ONNXBuilder.singleOp(op, constants: [("s", [4], [1, 1, 2, 3])], attributes: [.string("mode", mode)], opset: opset)
                let (x, y) = try run(model, channels: 2, height: 4, width: 5)
                check(y, Reference.resize(x, outHeight: 8, outWidth: 15, scales: (2, 3), mode: mode, transform: "asymmetric",
                                          nearestMode: "legacy"), "\(op)-\(opset) \(mode)")
            }
        }
    }

    func testUnsupportedAttributeValuesAreNamed() {
        let cubic = ONNXBuilder.singleOp("Resize", constants: [("s", [4], [1, 1, 2, 2])], inputs: ["x", "", "s"],
                                         attributes: [.string("mode", "cubic")])
        assertEngineError(["mode 'cubic'", "Resize"]) { () throws(EngineError) in try StyleModel(bytes: cubic) }
        let wrap = ONNXBuilder.singleOp("Pad", intConstants: [("p", [8], [0, 0, 1, 1, 0, 0, 1, 1])], attributes: [.string("mode", "wrap")])
        assertEngineError(["mode 'wrap'", "Pad"]) { () throws(EngineError) in try StyleModel(bytes: wrap) }
        let conv3d = ONNXBuilder.singleOp("Conv", constants: [("w", [1, 3, 1, 1], [1, 1, 1])], attributes: [.ints("strides", [1, 1, 1])])
        assertEngineError(["2-D", "Conv"]) { () throws(EngineError) in try StyleModel(bytes: conv3d) }
    }

    // MARK: Data movement at run time

    func testTransposeSliceConcatGatherOnImageData() throws {
        // Transpose H and W.
        var (x, y) = try run(ONNXBuilder.singleOp("Transpose", attributes: [.ints("perm", [0, 1, 3, 2])]), channels: 2, height: 3, width: 5)
        var expected = RefTensor(shape: [1, 2, 5, 3], repeating: 0)
        for c in 0..<2 { for i in 0..<3 { for j in 0..<5 { expected[0, c, j, i] = x[0, c, i, j] } } }
        check(y, expected, "transpose")

        // Slice with a negative step along W and a stride of 2 along H.
        let slice = ONNXBuilder.singleOp("Slice", intConstants: [("st", [2], [1, -1]), ("en", [2], [100, -100]),
                                                                ("ax", [2], [2, 3]), ("sp", [2], [2, -2])])
        (x, y) = try run(slice, channels: 2, height: 6, width: 5)
        expected = RefTensor(shape: [1, 2, 3, 3], repeating: 0)
        for c in 0..<2 { for (oi, i) in [1, 3, 5].enumerated() { for (oj, j) in [4, 2, 0].enumerated() { expected[0, c, oi, oj] = x[0, c, i, j] } } }
        check(y, expected, "slice")

        // Concat the image with a constant plane along C, and Gather channels (with a negative index).
        let plane = random.floats(1 * 4 * 3)
        let concat = ONNXBuilder.model(
            nodes: [ONNXBuilder.node("Concat", ["x", "p"], ["t"], [.int("axis", 1)]),
                    ONNXBuilder.node("Gather", ["t", "i"], ["y"], [.int("axis", 1)])],
            initializers: [ONNXBuilder.floatTensor("p", [1, 1, 4, 3], plane), ONNXBuilder.intTensor("i", [3], [-1, 0, 1])])
        (x, y) = try run(concat, channels: 2, height: 4, width: 3)
        expected = RefTensor(shape: [1, 3, 4, 3], repeating: 0)
        for i in 0..<4 {
            for j in 0..<3 {
                expected[0, 0, i, j] = Double(plane[i * 3 + j])
                expected[0, 1, i, j] = x[0, 0, i, j]
                expected[0, 2, i, j] = x[0, 1, i, j]
            }
        }
        check(y, expected, "concat + gather")
    }
}

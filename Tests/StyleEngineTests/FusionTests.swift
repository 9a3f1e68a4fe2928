import Foundation
import XCTest
@testable import StyleEngine

/// The planner's fusions (Graph/Fusion.swift): each fused plan against the
/// same model planned step by step, the cases that must not fuse, and the
/// buffers the fused plans need.
final class FusionTests: XCTestCase {
    var random = SeededGenerator(seed: 2024)

    // MARK: Helpers

    /// Runs `bytes` fused and unfused on the same random image; returns both outputs and both plans.
    private func runBoth(_ bytes: [UInt8], channels: Int, height: Int, width: Int, range: ClosedRange<Float> = -1...1,
                         arithmetic: GEMMArithmetic = .fp32)
        throws -> (fused: ImageResult, unfused: ImageResult, fusedPlan: ExecutionPlan, unfusedPlan: ExecutionPlan, x: RefTensor) {
        let data = random.floats(channels * height * width, in: range)
        let fusedModel = try StyleModel(bytes: bytes, fusion: true)
        let unfusedModel = try StyleModel(bytes: bytes, fusion: false)
        let fused = try StyleSession(model: fusedModel, arithmetic: arithmetic).run([channels, height, width], data)
        let unfused = try StyleSession(model: unfusedModel, arithmetic: arithmetic).run([channels, height, width], data)
        let shape = [1, channels, height, width]
        return (fused, unfused, try Planner.plan(fusedModel.graph, inputShapes: [shape], arithmetic: arithmetic),
                try Planner.plan(unfusedModel.graph, inputShapes: [shape], arithmetic: arithmetic),
                RefTensor(shape: shape, floats: data))
    }

    private func count<K>(_ type: K.Type, in plan: ExecutionPlan) -> Int {
        plan.steps.filter { $0.kernel is K }.count
    }

    private func assertSame(_ fused: ImageResult, _ unfused: ImageResult, tolerance: Float = 1e-5, _ message: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(fused.shape, unfused.shape, message, file: file, line: line)
        assertClose(fused.data, unfused.data, tolerance: tolerance, message, file: file, line: line)
    }

    enum Border: String, CaseIterable { case reflect, edge, constant, convPads, sameUpper }

    /// x → nearest ×2 Resize → (Pad 1 in `border` mode) → 3×3 Conv [k, c] → y.
    private func upsampleConvModel(c: Int, k: Int, bias: Bool, border: Border, weights: [Float], biasValues: [Float],
                                   resizeAttributes: [ONNXBuilder.Attribute]? = nil, scales: [Float] = [1, 1, 2, 2],
                                   pads: [Int] = [0, 0, 1, 1, 0, 0, 1, 1], convAttributes: [ONNXBuilder.Attribute] = [],
                                   extraNodes: [[UInt8]] = [], convOutput: String = "y", group: Int = 1) -> [UInt8] {
        var initializers = [ONNXBuilder.floatTensor("scales", [4], scales), ONNXBuilder.floatTensor("w", [k, c / group, 3, 3], weights),
                            ONNXBuilder.intTensor("pads", [8], pads), ONNXBuilder.floatTensor("fill", [], [0.5])]
        if bias { initializers.append(ONNXBuilder.floatTensor("b", [k], biasValues)) }
        var nodes = [ONNXBuilder.node("Resize", ["x", "", "scales"], ["u"], resizeAttributes ?? [
            .string("mode", "nearest"), .string("coordinate_transformation_mode", "asymmetric"), .string("nearest_mode", "floor"),
        ])]
        var convInput = "u", attributes = convAttributes
        switch border {
        case .reflect, .edge, .constant:
            nodes.append(ONNXBuilder.node("Pad", ["u", "pads"] + (border == .constant ? ["fill"] : []), ["p"],
                                          [.string("mode", border.rawValue)]))
            convInput = "p"
        case .convPads: attributes.append(.ints("pads", [1, 1, 1, 1]))
        case .sameUpper: attributes.append(.string("auto_pad", "SAME_UPPER"))
        }
        nodes.append(ONNXBuilder.node("Conv", [convInput, "w"] + (bias ? ["b"] : []), [convOutput],
                                      [.ints("kernel_shape", [3, 3]), .int("group", group)] + attributes))
        return ONNXBuilder.model(nodes: nodes + extraNodes, initializers: initializers)
    }

    // MARK: Upsample → Pad → Conv

    func testUpsampleConvMatchesGenericPathAndReference() throws {
        struct Case { var c: Int, k: Int, h: Int, w: Int, bias: Bool, border: Border }
        let cases = [
            Case(c: 1, k: 1, h: 1, w: 1, bias: false, border: .reflect),
            Case(c: 3, k: 5, h: 4, w: 6, bias: true, border: .reflect),
            Case(c: 3, k: 5, h: 5, w: 7, bias: false, border: .reflect),
            Case(c: 8, k: 4, h: 7, w: 2, bias: true, border: .edge),
            Case(c: 4, k: 8, h: 6, w: 9, bias: true, border: .constant),
            Case(c: 5, k: 3, h: 5, w: 4, bias: true, border: .convPads),
            Case(c: 2, k: 6, h: 3, w: 8, bias: false, border: .sameUpper),
            Case(c: 16, k: 32, h: 9, w: 13, bias: true, border: .reflect),
        ]
        for (index, test) in cases.enumerated() {
            let weights = random.floats(test.k * test.c * 9), biasValues = random.floats(test.k)
            let bytes = upsampleConvModel(c: test.c, k: test.k, bias: test.bias, border: test.border,
                                          weights: weights, biasValues: biasValues)
            let run = try runBoth(bytes, channels: test.c, height: test.h, width: test.w)
            let message = "case \(index) (\(test.border), \(test.c)→\(test.k), \(test.h)×\(test.w))"
            XCTAssertEqual(count(UpsampleConvKernel.self, in: run.fusedPlan), 1, message)
            XCTAssertEqual(run.fusedPlan.steps.count, 1, message)
            XCTAssertEqual(count(UpsampleConvKernel.self, in: run.unfusedPlan), 0, message)
            XCTAssertEqual(run.fused.shape, [test.k, 2 * test.h, 2 * test.w], message)
            // The unfused 3×3 convolution may use Winograd (good to about 1e-5 itself); the
            // fused kernel is held to 1e-5 against the references in doubles below.
            assertSame(run.fused, run.unfused, tolerance: 1e-4, message)

            let upsampled = Reference.resize(run.x, outHeight: 2 * test.h, outWidth: 2 * test.w, scales: (2, 2), mode: "nearest",
                                             transform: "asymmetric", nearestMode: "floor")
            let w = RefTensor(shape: [test.k, test.c, 3, 3], floats: weights)
            let b = test.bias ? RefTensor(shape: [test.k], floats: biasValues) : nil
            let expected = switch test.border {
            case .reflect, .edge, .constant:
                Reference.conv(Reference.pad(upsampled, pads: [0, 0, 1, 1, 0, 0, 1, 1], mode: test.border.rawValue, value: 0.5), w, b)
            case .convPads, .sameUpper:
                Reference.conv(upsampled, w, b, pads: [1, 1, 1, 1])
            }
            assertClose(run.fused.data, expected.floats, tolerance: 1e-5, message + " vs reference")
        }
    }

    func testUpsampleConvTilesMatchTheReference() throws {
        // The kernel on its own with small tiles: one, two and three window rows per tile.
        for (targetFloats, border) in [(1, UpsampleConvKernel.Border.edge), (500, .constant(0)), (700, .edge)] {
            let (c, k, h, w) = (3, 5, 7, 6)
            let kernel = UpsampleConvKernel(channels: c, outputChannels: k, height: h, width: w, border: border, hasBias: true,
                                            targetFloats: targetFloats)
            XCTAssertLessThan(kernel.rowsPerTile, 4)
            let x = random.floats(c * h * w), weights = random.floats(k * c * 9), bias = random.floats(k)
            let phase = weights.withUnsafeBufferPointer {
                UpsampleConvKernel.phaseWeights($0.baseAddress!, outputChannels: k, channels: c)
            }
            var output = [Float](repeating: .nan, count: k * 4 * h * w)
            var scratch = [Float](repeating: .nan, count: kernel.scratchCount)
            x.withUnsafeBufferPointer { xp in
                bias.withUnsafeBufferPointer { bp in
                    output.withUnsafeMutableBufferPointer { op in
                        scratch.withUnsafeMutableBufferPointer { sp in
                            kernel.run(inputs: [xp.baseAddress!, UnsafePointer(phase.pointer), bp.baseAddress!],
                                       outputs: [op.baseAddress!], scratch: sp.baseAddress!)
                        }
                    }
                }
            }
            let upsampled = Reference.resize(RefTensor(shape: [1, c, h, w], floats: x), outHeight: 2 * h, outWidth: 2 * w,
                                             scales: (2, 2), mode: "nearest", transform: "asymmetric", nearestMode: "floor")
            let padded = Reference.pad(upsampled, pads: [0, 0, 1, 1, 0, 0, 1, 1], mode: border == .edge ? "reflect" : "constant")
            let expected = Reference.conv(padded, RefTensor(shape: [k, c, 3, 3], floats: weights), RefTensor(shape: [k], floats: bias))
            assertClose(output, expected.floats, tolerance: 1e-5, "\(kernel.rowsPerTile) rows per tile, \(border)")
        }
    }

    func testUpsampleConvTilesLargeImages() throws {
        // Wide enough for several column tiles at the default tile size.
        let (c, k, h, w) = (48, 40, 23, 181)
        let kernel = UpsampleConvKernel(channels: c, outputChannels: k, height: h, width: w, border: .edge, hasBias: true)
        XCTAssertLessThan(kernel.rowsPerTile, h + 1)
        XCTAssertGreaterThan(kernel.rowsPerTile, 1)
        let bytes = upsampleConvModel(c: c, k: k, bias: true, border: .reflect, weights: random.floats(k * c * 9, in: -0.2...0.2),
                                      biasValues: random.floats(k))
        let run = try runBoth(bytes, channels: c, height: h, width: w)
        XCTAssertEqual(count(UpsampleConvKernel.self, in: run.fusedPlan), 1)
        // The unfused 3×3 convolution may use Winograd, itself good to about 1e-5 here.
        assertSame(run.fused, run.unfused, tolerance: 1e-4, "tiled")
    }

    func testUpsampleOpset9AndDynamicSizesFold() throws {
        // Opset 9: Upsample with a scales input, Pad with attributes.
        let (c, k) = (3, 4)
        let weights = random.floats(k * c * 9)
        let legacy = ONNXBuilder.model(
            nodes: [ONNXBuilder.node("Upsample", ["x", "scales"], ["u"], [.string("mode", "nearest")]),
                    ONNXBuilder.node("Pad", ["u"], ["p"], [.string("mode", "reflect"), .ints("pads", [0, 0, 1, 1, 0, 0, 1, 1])]),
                    ONNXBuilder.node("Conv", ["p", "w"], ["y"])],
            initializers: [ONNXBuilder.floatTensor("scales", [4], [1, 1, 2, 2]), ONNXBuilder.floatTensor("w", [k, c, 3, 3], weights)],
            opset: 9)
        var run = try runBoth(legacy, channels: c, height: 5, width: 6)
        XCTAssertEqual(count(UpsampleConvKernel.self, in: run.fusedPlan), 1, "opset 9")
        assertSame(run.fused, run.unfused, "opset 9")

        // The output size computed at run time from Shape (folded during planning), half_pixel sampling.
        let dynamic = ONNXBuilder.model(
            nodes: [ONNXBuilder.node("Shape", ["x"], ["shape"]),
                    ONNXBuilder.node("Mul", ["shape", "two"], ["sizes"]),
                    ONNXBuilder.node("Resize", ["x", "", "", "sizes"], ["u"], [.string("mode", "nearest")]),
                    ONNXBuilder.node("Pad", ["u", "pads"], ["p"], [.string("mode", "reflect")]),
                    ONNXBuilder.node("Conv", ["p", "w"], ["y"])],
            initializers: [ONNXBuilder.intTensor("two", [4], [1, 1, 2, 2]), ONNXBuilder.intTensor("pads", [8], [0, 0, 1, 1, 0, 0, 1, 1]),
                           ONNXBuilder.floatTensor("w", [k, c, 3, 3], weights)])
        run = try runBoth(dynamic, channels: c, height: 4, width: 7)
        XCTAssertEqual(count(UpsampleConvKernel.self, in: run.fusedPlan), 1, "sizes from Shape")
        assertSame(run.fused, run.unfused, "sizes from Shape")
    }

    func testUpsampleConvIsNotAppliedWhenNotEquivalent() throws {
        let (c, k) = (3, 3)
        let weights = random.floats(k * c * 9), biasValues = random.floats(k)
        func model(_ border: Border = .reflect, resize: [ONNXBuilder.Attribute]? = nil, scales: [Float] = [1, 1, 2, 2],
                   pads: [Int] = [0, 0, 1, 1, 0, 0, 1, 1], conv: [ONNXBuilder.Attribute] = [], group: Int = 1,
                   extra: [[UInt8]] = [], convOutput: String = "y") -> [UInt8] {
            upsampleConvModel(c: c, k: k, bias: group == 1, border: border, weights: Array(weights.prefix(k * c / group * 9)),
                              biasValues: biasValues, resizeAttributes: resize, scales: scales, pads: pads,
                              convAttributes: conv, extraNodes: extra, convOutput: convOutput, group: group)
        }
        let cases: [(String, [UInt8])] = [
            // The upsampled image is read twice (Resize output y-added to the result).
            ("upsampled read twice", model(extra: [ONNXBuilder.node("Add", ["c", "u"], ["y"])], convOutput: "c")),
            // The padded image has a second reader: another 3×3 Conv of it.
            ("padded read twice", model(extra: [ONNXBuilder.node("Conv", ["p", "w"], ["d"]),
                                                ONNXBuilder.node("Add", ["c", "d"], ["y"])], convOutput: "c")),
            ("scale 3", model(scales: [1, 1, 3, 3])),
            ("scale 2 × 1", model(scales: [1, 1, 2, 1])),
            ("linear", model(resize: [.string("mode", "linear")])),
            ("round_prefer_ceil", model(resize: [.string("mode", "nearest"), .string("coordinate_transformation_mode", "asymmetric"),
                                                 .string("nearest_mode", "round_prefer_ceil")])),
            ("asymmetric pads", model(pads: [0, 0, 1, 2, 0, 0, 1, 0])),
            ("pad 2", model(pads: [0, 0, 2, 2, 0, 0, 2, 2])),
            ("pad + conv pads", model(conv: [.ints("pads", [1, 1, 1, 1])])),
            ("conv pads 2", model(.convPads, conv: [.ints("dilations", [2, 2])])),
            ("stride 2", model(conv: [.ints("strides", [2, 2])])),
            ("dilation 2", model(conv: [.ints("dilations", [2, 2])])),
            ("grouped", model(group: 3)),
        ]
        for (name, bytes) in cases {
            let run: (fused: ImageResult, unfused: ImageResult, fusedPlan: ExecutionPlan, unfusedPlan: ExecutionPlan, x: RefTensor)
            do {
                run = try runBoth(bytes, channels: c, height: 6, width: 5)
            } catch {
                XCTFail("\(name): \(error)")
                continue
            }
            XCTAssertEqual(count(UpsampleConvKernel.self, in: run.fusedPlan), 0, name)
            assertSame(run.fused, run.unfused, name)
        }
    }

    func testReLUAfterUpsampleConvGoesIntoItsOutputPass() throws {
        let (c, k) = (4, 6)
        let bytes = upsampleConvModel(c: c, k: k, bias: true, border: .reflect, weights: random.floats(k * c * 9),
                                      biasValues: random.floats(k), extraNodes: [ONNXBuilder.node("Relu", ["c"], ["y"])],
                                      convOutput: "c")
        let run = try runBoth(bytes, channels: c, height: 5, width: 6)
        XCTAssertEqual(run.fusedPlan.steps.count, 1)
        XCTAssertEqual((run.fusedPlan.steps.first?.kernel as? UpsampleConvKernel)?.relu, true)
        XCTAssertTrue(run.fused.data.contains(0) && run.fused.data.allSatisfy { $0 >= 0 })
        assertSame(run.fused, run.unfused, "upsample conv + relu")
    }

    // MARK: Normalization epilogues

    /// Pad → Conv → normalization (IN or BN) → `tail` nodes reading "n" and writing "y".
    private func convNormModel(c: Int, batchNorm: Bool = false, tail: [[UInt8]]) -> [UInt8] {
        var initializers = [ONNXBuilder.floatTensor("w", [c, c, 3, 3], random.floats(c * c * 9, in: -0.5...0.5)),
                            ONNXBuilder.floatTensor("b", [c], random.floats(c)),
                            ONNXBuilder.floatTensor("s", [c], random.floats(c, in: 0.5...1.5)),
                            ONNXBuilder.floatTensor("t", [c], random.floats(c)),
                            ONNXBuilder.intTensor("pads", [8], [0, 0, 1, 1, 0, 0, 1, 1])]
        var norm = ONNXBuilder.node("InstanceNormalization", ["conv", "s", "t"], ["n"], [.float("epsilon", 1e-5)])
        if batchNorm {
            initializers += [ONNXBuilder.floatTensor("mean", [c], random.floats(c)),
                             ONNXBuilder.floatTensor("var", [c], random.floats(c, in: 0.5...2))]
            norm = ONNXBuilder.node("BatchNormalization", ["conv", "s", "t", "mean", "var"], ["n"])
        }
        return ONNXBuilder.model(
            nodes: [ONNXBuilder.node("Pad", ["x", "pads"], ["p"], [.string("mode", "reflect")]),
                    ONNXBuilder.node("Conv", ["p", "w", "b"], ["conv"]), norm] + tail,
            initializers: initializers)
    }

    /// A style bank as train_bank.py exports it: the norm's scale and shift are the bank's rows
    /// weighted by the `style_weights` input (Reshape, Mul, ReduceSum). Given the weights, the
    /// planner folds that into constants: the plan and the output are a plain network's with the
    /// mixed parameters.
    func testAStyleMixFoldsIntoTheNormLikeAPlainNetwork() throws {
        let c = 5, rows = 3, mix: [Float] = [0.2, 0, 0.8]
        let weights = random.floats(c * c * 9, in: -0.5...0.5), bias = random.floats(c)
        let scales = random.floats(rows * c, in: 0.5...1.5), shifts = random.floats(rows * c)
        func mixed(_ bank: [Float]) -> [Float] {
            (0..<c).map { ch in (0..<rows).reduce(Float(0)) { $0 + mix[$1] * bank[$1 * c + ch] } }
        }
        func model(norm: [[UInt8]], initializers: [[UInt8]], extraInputs: [(String, [Int]?)]) -> [UInt8] {
            ONNXBuilder.model(
                nodes: [ONNXBuilder.node("Pad", ["x", "pads"], ["p"], [.string("mode", "reflect")]),
                        ONNXBuilder.node("Conv", ["p", "w", "b"], ["conv"])] + norm
                    + [ONNXBuilder.node("InstanceNormalization", ["conv", "s", "t"], ["n"], [.float("epsilon", 1e-5)]),
                       ONNXBuilder.node("Relu", ["n"], ["y"])],
                initializers: [ONNXBuilder.floatTensor("w", [c, c, 3, 3], weights), ONNXBuilder.floatTensor("b", [c], bias),
                               ONNXBuilder.intTensor("pads", [8], [0, 0, 1, 1, 0, 0, 1, 1])] + initializers,
                extraInputs: extraInputs)
        }
        let bank = model(
            norm: [ONNXBuilder.node("Reshape", ["style_weights", "column"], ["m"]),
                   ONNXBuilder.node("Mul", ["m", "scaleBank"], ["ms"]), ONNXBuilder.node("ReduceSum", ["ms", "axis"], ["s"], [.int("keepdims", 0)]),
                   ONNXBuilder.node("Mul", ["m", "shiftBank"], ["mt"]), ONNXBuilder.node("ReduceSum", ["mt", "axis"], ["t"], [.int("keepdims", 0)])],
            initializers: [ONNXBuilder.floatTensor("scaleBank", [rows, c], scales), ONNXBuilder.floatTensor("shiftBank", [rows, c], shifts),
                           ONNXBuilder.intTensor("column", [2], [rows, 1]), ONNXBuilder.intTensor("axis", [1], [0])],
            extraInputs: [("style_weights", [rows])])
        let plain = model(norm: [], initializers: [ONNXBuilder.floatTensor("s", [c], mixed(scales)),
                                                   ONNXBuilder.floatTensor("t", [c], mixed(shifts))], extraInputs: [])
        let data = random.floats(c * 9 * 7)
        let bankModel = try StyleModel(bytes: bank), plainModel = try StyleModel(bytes: plain)
        let weightsInput = ["style_weights": Tensor(shape: [rows], data: mix)]
        let session = StyleSession(model: bankModel)
        let painted = try session.run([c, 9, 7], data, extraInputs: weightsInput)
        assertSame(painted, try StyleSession(model: plainModel).run([c, 9, 7], data), "bank mix vs mixed parameters")
        let shape = [1, c, 9, 7]
        let bankPlan = try Planner.plan(bankModel.graph, inputShapes: [shape, [rows]],
                                        inputValues: [nil, ConstantTensor(shape: [rows], floats: mix)])
        XCTAssertEqual(bankPlan.steps.count, try Planner.plan(plainModel.graph, inputShapes: [shape]).steps.count)
        XCTAssertEqual(count(FusedNormalizationKernel.self, in: bankPlan), 1)
        // Another mix is another plan; the first is kept for when it comes back.
        _ = try session.run([c, 9, 7], data, extraInputs: ["style_weights": Tensor(shape: [rows], data: [1, 0, 0])])
        XCTAssertEqual(session.cachedPlanCount, 2)
        XCTAssertEqual(try session.run([c, 9, 7], data, extraInputs: weightsInput).data, painted.data)
        // Fed at run time instead (a mix changing every frame): one plan for every value, the same pictures.
        let unfolded = StyleSession(model: bankModel)
        assertSame(try unfolded.run([c, 9, 7], data, extraInputs: weightsInput, foldExtraInputs: false), painted, "run-time mix")
        _ = try unfolded.run([c, 9, 7], data, extraInputs: ["style_weights": Tensor(shape: [rows], data: [0, 1, 0])], foldExtraInputs: false)
        XCTAssertEqual(unfolded.cachedPlanCount, 1)
    }

    func testConvInstanceNormReLUFusesInPlace() throws {
        let c = 6
        let bytes = convNormModel(c: c, tail: [ONNXBuilder.node("Relu", ["n"], ["y"])])
        let run = try runBoth(bytes, channels: c, height: 11, width: 9, range: 3...5)
        XCTAssertEqual(run.fusedPlan.steps.count, 2)  // the Pad goes into the convolution
        XCTAssertEqual(run.unfusedPlan.steps.count, 4)
        let fused = try XCTUnwrap(run.fusedPlan.steps.last)
        let kernel = try XCTUnwrap(fused.kernel as? FusedNormalizationKernel)
        XCTAssertTrue(kernel.relu)
        XCTAssertFalse(kernel.residual)
        // IN + ReLU write over the convolution's output: no buffer of their own.
        guard case .buffer(let input)? = fused.inputs.first else { return XCTFail("IN reads no buffer") }
        XCTAssertEqual(fused.outputs, [input])
        XCTAssertLessThanOrEqual(run.fusedPlan.bufferCapacities.count, run.unfusedPlan.bufferCapacities.count)
        XCTAssertTrue(run.fused.data.contains(0) && run.fused.data.allSatisfy { $0 >= 0 })
        assertSame(run.fused, run.unfused, "conv + IN + relu")
    }

    func testNormalizationResidualAndReLUVariants() throws {
        let c = 5
        let cases: [(name: String, batchNorm: Bool, tail: [[UInt8]], residual: Bool, relu: Bool)] = [
            ("IN + residual", false, [ONNXBuilder.node("Add", ["x", "n"], ["y"])], true, false),
            ("IN + residual (left)", false, [ONNXBuilder.node("Add", ["n", "x"], ["y"])], true, false),
            ("IN + residual + relu", false, [ONNXBuilder.node("Add", ["n", "x"], ["a"]), ONNXBuilder.node("Relu", ["a"], ["y"])], true, true),
            ("BN + relu", true, [ONNXBuilder.node("Relu", ["n"], ["y"])], false, true),
            ("BN + residual", true, [ONNXBuilder.node("Add", ["n", "x"], ["y"])], true, false),
        ]
        for test in cases {
            let run = try runBoth(convNormModel(c: c, batchNorm: test.batchNorm, tail: test.tail), channels: c, height: 8, width: 13)
            let kernels = run.fusedPlan.steps.compactMap { $0.kernel as? FusedNormalizationKernel }
            XCTAssertEqual(kernels.count, 1, test.name)
            XCTAssertEqual(kernels.first?.residual, test.residual, test.name)
            XCTAssertEqual(kernels.first?.relu, test.relu, test.name)
            XCTAssertEqual(run.fusedPlan.steps.count, 2, test.name)
            assertSame(run.fused, run.unfused, test.name)
        }
    }

    /// Pad → 3×3 Conv: the Winograd kernel reads the Pad's input and draws its border (every
    /// mode, asymmetric pads, pads wider than a tile's overlap) and paints what the two steps
    /// paint. Not folded: a reflection reaching past the far edge, a Pad read twice.
    func testPadFoldsIntoWinogradConvolution() throws {
        let (c, k) = (3, 4)
        let cases: [(mode: String, pads: [Int], value: Float, height: Int, width: Int, folds: Bool)] = [
            ("reflect", [1, 1, 1, 1], 0, 9, 13, true),
            ("edge", [1, 2, 0, 1], 0, 7, 6, true),
            ("constant", [2, 0, 1, 3], 0.7, 5, 11, true),
            ("reflect", [4, 4, 4, 4], 0, 12, 10, true),
            // Wider than a vector: rows read in place between the borders.
            ("reflect", [1, 1, 1, 1], 0, 21, 45, true),
            ("constant", [1, 2, 1, 0], -0.3, 9, 70, true),
            ("reflect", [3, 1, 1, 1], 0, 3, 8, false),  // 3 rows reflect at most 2
        ]
        for test in cases {
            let bytes = padConvModel(mode: test.mode, pads: test.pads, value: test.value, c: c, k: k, kernel: 3)
            let name = "\(test.mode) \(test.pads) on \(test.height)×\(test.width)"
            let run = try runBoth(bytes, channels: c, height: test.height, width: test.width)
            XCTAssertEqual(run.fusedPlan.steps.count, test.folds ? 1 : 2, name)
            let kernel = try XCTUnwrap(run.fusedPlan.steps.last?.kernel as? WinogradConvolutionKernel, name)
            XCTAssertEqual(kernel.border, test.folds ? PadOperator.Mode(rawValue: test.mode) : .constant, name)
            assertSame(run.fused, run.unfused, "\(name)")
        }
        // The padded image read by a second step: the Pad stays.
        let shared = ONNXBuilder.model(
            nodes: [ONNXBuilder.node("Pad", ["x", "pads"], ["p"], [.string("mode", "reflect")]),
                    ONNXBuilder.node("Conv", ["p", "w"], ["a"]), ONNXBuilder.node("Conv", ["p", "w2"], ["b"]),
                    ONNXBuilder.node("Add", ["a", "b"], ["y"])],
            initializers: [ONNXBuilder.floatTensor("w", [c, c, 3, 3], random.floats(c * c * 9)),
                           ONNXBuilder.floatTensor("w2", [c, c, 3, 3], random.floats(c * c * 9)),
                           ONNXBuilder.intTensor("pads", [8], [0, 0, 1, 1, 0, 0, 1, 1])])
        let run = try runBoth(shared, channels: c, height: 6, width: 6)
        XCTAssertEqual(count(Padding.self, in: run.fusedPlan), 1)
        assertSame(run.fused, run.unfused, "a Pad read twice")
    }

    /// x → Pad (`mode`; H and W pads top, left, bottom, right; fill `value`) → Conv [k, c, kernel, kernel] with bias → y.
    private func padConvModel(mode: String, pads: [Int], value: Float, c: Int, k: Int, kernel: Int, stride: Int = 1) -> [UInt8] {
        var initializers = [ONNXBuilder.floatTensor("w", [k, c, kernel, kernel], random.floats(k * c * kernel * kernel)),
                            ONNXBuilder.floatTensor("b", [k], random.floats(k)),
                            ONNXBuilder.intTensor("pads", [8], [0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]])]
        var padInputs = ["x", "pads"]
        if mode == "constant" {
            initializers.append(ONNXBuilder.floatTensor("value", [], [value]))
            padInputs.append("value")
        }
        return ONNXBuilder.model(
            nodes: [ONNXBuilder.node("Pad", padInputs, ["p"], [.string("mode", mode)]),
                    ONNXBuilder.node("Conv", ["p", "w", "b"], ["y"], [.ints("strides", [stride, stride])])],
            initializers: initializers)
    }

    /// int8 im2col draws a Pad's border as it quantizes the rows it reads: the same codes as
    /// quantizing the padded copy, so the same output.
    func testPadFoldsIntoInt8Patches() throws {
        let (c, k) = (3, 5)
        let cases: [(mode: String, pads: [Int], value: Float, kernel: Int, stride: Int, height: Int, width: Int)] = [
            ("reflect", [4, 4, 4, 4], 0, 9, 1, 14, 11),
            ("reflect", [1, 1, 1, 1], 0, 3, 2, 9, 13),
            ("edge", [1, 2, 0, 1], 0, 3, 2, 7, 6),
            ("constant", [2, 0, 1, 3], 0.7, 5, 1, 6, 11),
        ]
        for test in cases {
            let bytes = padConvModel(mode: test.mode, pads: test.pads, value: test.value, c: c, k: k, kernel: test.kernel,
                                     stride: test.stride)
            let name = "\(test.mode) \(test.pads), \(test.kernel)×\(test.kernel) stride \(test.stride)"
            let run = try runBoth(bytes, channels: c, height: test.height, width: test.width, arithmetic: .int8(.portable))
            XCTAssertEqual(run.fusedPlan.steps.count, 1, name)
            XCTAssertEqual(run.unfusedPlan.steps.count, 2, name)
            let kernel = try XCTUnwrap(run.fusedPlan.steps.last?.kernel as? ConvolutionKernel, name)
            XCTAssertEqual(kernel.method, .quantizedPatches, name)
            assertSame(run.fused, run.unfused, "\(name)")
        }
        // A few outputs: the direct convolution draws the border the same way.
        for (mode, pads, value) in [("reflect", [4, 4, 4, 4], Float(0)), ("constant", [1, 4, 3, 0], 0.4)] {
            let bytes = padConvModel(mode: mode, pads: pads, value: value, c: 6, k: 3, kernel: 9)
            let name = "\(mode) \(pads), 9×9 to 3 outputs"
            let run = try runBoth(bytes, channels: 6, height: 12, width: 21, arithmetic: .int8(.portable))
            XCTAssertEqual(run.fusedPlan.steps.count, 1, name)
            let kernel = try XCTUnwrap(run.fusedPlan.steps.last?.kernel as? ConvolutionKernel, name)
            XCTAssertEqual(kernel.method, .quantizedDirect, name)
            assertSame(run.fused, run.unfused, name)
        }
        // A convolution with padding of its own (bottom and right) keeps its Pad: zeros past the reflection.
        let ownPads = ONNXBuilder.model(
            nodes: [ONNXBuilder.node("Pad", ["x", "pads"], ["p"], [.string("mode", "reflect")]),
                    ONNXBuilder.node("Conv", ["p", "w"], ["y"], [.ints("strides", [2, 2]), .ints("pads", [0, 0, 1, 1])])],
            initializers: [ONNXBuilder.floatTensor("w", [k, c, 3, 3], random.floats(k * c * 9)),
                           ONNXBuilder.intTensor("pads", [8], [0, 0, 1, 1, 0, 0, 1, 1])])
        let run = try runBoth(ownPads, channels: c, height: 8, width: 9, arithmetic: .int8(.portable))
        XCTAssertEqual(run.fusedPlan.steps.count, 2)
        assertSame(run.fused, run.unfused, "a convolution padding its bottom and right")
        // fp32 im2col keeps its Pad.
        let bytes = ONNXBuilder.model(
            nodes: [ONNXBuilder.node("Pad", ["x", "pads"], ["p"], [.string("mode", "reflect")]),
                    ONNXBuilder.node("Conv", ["p", "w"], ["y"], [.ints("strides", [2, 2])])],
            initializers: [ONNXBuilder.floatTensor("w", [k, c, 3, 3], random.floats(k * c * 9)),
                           ONNXBuilder.intTensor("pads", [8], [0, 0, 1, 1, 0, 0, 1, 1])])
        XCTAssertEqual(try runBoth(bytes, channels: c, height: 8, width: 8).fusedPlan.steps.count, 2)
    }

    func testNormalizationIsNotFusedWhenItsOutputHasAnotherReader() throws {
        let c = 4
        // n feeds both the ReLU and the final Add: the ReLU must stay a step of its own.
        let shared = convNormModel(c: c, tail: [ONNXBuilder.node("Relu", ["n"], ["r"]), ONNXBuilder.node("Add", ["r", "n"], ["y"])])
        var run = try runBoth(shared, channels: c, height: 7, width: 6)
        XCTAssertEqual(count(FusedNormalizationKernel.self, in: run.fusedPlan), 0)
        assertSame(run.fused, run.unfused, "shared IN output")
        // A broadcasting Add is no residual: IN fuses with nothing.
        run = try runBoth(broadcastModel(c: c), channels: c, height: 7, width: 6)
        XCTAssertEqual(count(FusedNormalizationKernel.self, in: run.fusedPlan), 0)
        assertSame(run.fused, run.unfused, "broadcast add")
    }

    /// Pad → Conv → IN → Add of a [1, c, 1, 1] constant.
    private func broadcastModel(c: Int) -> [UInt8] {
        let initializers = [ONNXBuilder.floatTensor("w", [c, c, 3, 3], random.floats(c * c * 9, in: -0.5...0.5)),
                            ONNXBuilder.floatTensor("b", [c], random.floats(c)),
                            ONNXBuilder.floatTensor("s", [c], random.floats(c, in: 0.5...1.5)),
                            ONNXBuilder.floatTensor("t", [c], random.floats(c)),
                            ONNXBuilder.floatTensor("col", [1, c, 1, 1], random.floats(c)),
                            ONNXBuilder.intTensor("pads", [8], [0, 0, 1, 1, 0, 0, 1, 1])]
        return ONNXBuilder.model(
            nodes: [ONNXBuilder.node("Pad", ["x", "pads"], ["p"], [.string("mode", "reflect")]),
                    ONNXBuilder.node("Conv", ["p", "w", "b"], ["conv"]),
                    ONNXBuilder.node("InstanceNormalization", ["conv", "s", "t"], ["n"]),
                    ONNXBuilder.node("Add", ["n", "col"], ["y"])],
            initializers: initializers)
    }

    // MARK: Whole networks

    func testTinyTransformerFusedMatchesUnfused() throws {
        let bytes = try Fixtures.bytes("tiny_transformer.onnx")
        for (h, w) in [(16, 12), (9, 14), (20, 21)] {
            let run = try runBoth(bytes, channels: 3, height: h, width: w, range: 0...1)
            XCTAssertEqual(count(UpsampleConvKernel.self, in: run.fusedPlan), 2, "\(h)×\(w)")
            // 3 encoder IN+ReLU, 2 blocks × (IN+ReLU, IN+Add), 2 decoder IN+ReLU.
            XCTAssertEqual(count(FusedNormalizationKernel.self, in: run.fusedPlan), 9, "\(h)×\(w)")
            XCTAssertEqual(count(ResizeKernel.self, in: run.fusedPlan), 0, "\(h)×\(w)")
            XCTAssertEqual(count(ActivationKernel.self, in: run.fusedPlan), 0, "\(h)×\(w)")
            XCTAssertEqual(count(BinaryKernel.self, in: run.fusedPlan), 0, "\(h)×\(w)")
            // Every fused normalization writes over the convolution output it reads.
            for step in run.fusedPlan.steps where step.kernel is FusedNormalizationKernel {
                guard case .buffer(let input)? = step.inputs.first else { return XCTFail("\(step.label) reads no buffer") }
                XCTAssertEqual(step.outputs, [input], step.label)
            }
            XCTAssertLessThanOrEqual(run.fusedPlan.bufferCapacities.count, 4)
            assertSame(run.fused, run.unfused, tolerance: 2e-5, "tiny transformer \(h)×\(w)")
        }
    }

    /// The floats of the largest step's distinct inputs + outputs: no plan can use less.
    private func largestStep(_ graph: Graph, _ shape: [Int]) throws -> Int {
        var semantic = SemanticPass(graph: graph)
        try semantic.run(inputShapes: [shape])
        let steps = graph.fusion ? Fusion.apply(semantic.steps, keep: semantic.outputLogical.map { [$0] } ?? []) : semantic.steps
        return steps.map { step in
            Set(step.inputs.compactMap(\.logical) + step.outputs).map { semantic.logicalBuffers[$0].count }.reduce(0, +)
        }.max() ?? 0
    }

    /// The workspace stays within 2× of the largest step, and fusing shrinks both.
    func testTransformerBuffersStayNearTheLargestStep() throws {
        let bytes = try Fixtures.bytes("tiny_transformer.onnx")
        var totals: [Bool: Int] = [:]
        for shape in [[1, 3, 72, 128], [1, 3, 33, 47]] {
            for fusion in [true, false] {
                let graph = try StyleModel(bytes: bytes, fusion: fusion).graph
                let plan = try Planner.plan(graph, inputShapes: [shape])
                let total = plan.bufferCapacities.reduce(0, +), bound = try largestStep(graph, shape)
                XCTAssertLessThanOrEqual(total, 2 * bound, "fusion \(fusion) \(shape): \(plan.bufferCapacities)")
                totals[fusion] = total
            }
            XCTAssertLessThan(totals[true]!, totals[false]!, "\(shape)")
        }
    }
}

import Foundation
import XCTest
@testable import StyleEngine

/// Whole models: the fixtures against ONNX Runtime's outputs and the naive
/// evaluator, plan caching, concurrency, and the error cases.
final class ModelTests: XCTestCase {
    private func image(_ tensor: RefTensor) -> ([Int], [Float]) {
        (Array(tensor.shape.dropFirst()), tensor.floats)
    }

    func testFixturesMatchONNXRuntime() throws {
        for name in ["tiny_transformer", "dynamic_upsample", "shape_ops", "legacy_opset9", "mixed_ops", "typed_fields", "sketch"] {
            let (input, expected) = try Fixtures.expected(name)
            let session = StyleSession(model: try Fixtures.model("\(name).onnx"))
            let (shape, data) = image(input)
            let output = try session.run(shape, data)
            XCTAssertEqual([1] + output.shape, expected.shape, name)
            // The sketch works in 0..255; the others in about ±1.
            assertClose(output.data, expected.floats, tolerance: name == "sketch" ? 2e-4 : 1e-4, name)
        }
    }

    func testTinyTransformerMatchesNaiveEvaluator() throws {
        var random = SeededGenerator(seed: 7)
        let bytes = try Fixtures.bytes("tiny_transformer.onnx")
        let session = StyleSession(model: try StyleModel(bytes: bytes))
        for (h, w) in [(16, 12), (9, 14)] {
            let data = random.floats(3 * h * w, in: 0...1)
            let output = try session.run([3, h, w], data)
            let expected = try ReferenceEvaluator.run(bytes, input: RefTensor(shape: [1, 3, h, w], floats: data))
            XCTAssertEqual([1] + output.shape, expected.shape)
            assertClose(output.data, expected.floats, tolerance: 1e-4, "tiny transformer \(h)×\(w)")
        }
    }

    func testDynamicUpsampleFoldsItsShapeSubgraph() throws {
        let session = StyleSession(model: try Fixtures.model("dynamic_upsample.onnx"))
        for (h, w) in [(4, 5), (7, 3)] {
            let data = (0..<(3 * h * w)).map { Float($0) }
            let output = try session.run([3, h, w], data)
            XCTAssertEqual(output.shape, [3, 2 * h, 2 * w])
            var expected: [Float] = []
            for c in 0..<3 { for y in 0..<(2 * h) { for x in 0..<(2 * w) { expected.append(data[(c * h + y / 2) * w + x / 2]) } } }
            XCTAssertEqual(output.data, expected)
        }
    }

    func testShapeOpsFixtureByHand() throws {
        let (h, w) = (6, 5)
        let data = (0..<(3 * h * w)).map { Float($0) / 10 }
        let output = try StyleSession(model: try Fixtures.model("shape_ops.onnx")).run([3, h, w], data)
        XCTAssertEqual(output.shape, [6, h - 2, w - 2])
        var expected: [Float] = []
        for c in 0..<6 {
            for y in 1..<(h - 1) {
                for x in 1..<(w - 1) {
                    expected.append(c < 3 ? data[((2 - c) * h + y) * w + x] : 2 * data[((c - 3) * h + y) * w + x])
                }
            }
        }
        assertClose(output.data, expected, tolerance: 1e-6, "shape_ops")
    }

    func testSketchPresetKeepsSizeAndRange() throws {
        let model = try Fixtures.model("sketch.onnx")
        XCTAssertEqual(model.metadata["stylize.input_range"], "255")
        XCTAssertEqual(model.inputNames, ["input"])
        XCTAssertEqual(model.outputNames, ["output"])
        XCTAssertEqual(model.opsetVersion, 13)
        var random = SeededGenerator(seed: 3)
        let session = StyleSession(model: model)
        for (h, w) in [(36, 64), (17, 23)] {
            let output = try session.run([3, h, w], random.floats(3 * h * w, in: 0...255))
            XCTAssertEqual(output.shape, [3, h, w])
            XCTAssertTrue(output.data.allSatisfy { $0 >= 0 && $0 <= 255 })
            XCTAssertGreaterThan(Set(output.data).count, 100, "the output should not be flat")
        }
    }

    func testPlansAreCachedPerSizeAndReused() throws {
        let session = StyleSession(model: try Fixtures.model("tiny_transformer.onnx"))
        var random = SeededGenerator(seed: 11)
        let small = random.floats(3 * 8 * 12, in: 0...1), large = random.floats(3 * 20 * 16, in: 0...1)
        let first = try session.run([3, 8, 12], small)
        let otherSize = try session.run([3, 20, 16], large)
        XCTAssertEqual(session.cachedPlanCount, 2)
        // Back to the first size: same plan, same buffers, same answer.
        var pointers: [UnsafePointer<Float>] = []
        for _ in 0..<2 {
            small.withUnsafeBufferPointer { buffer in
                if let output = try? session.run(image: buffer.baseAddress!, channels: 3, height: 8, width: 12) {
                    pointers.append(output.pixels.baseAddress!)
                    XCTAssertEqual(Array(output.pixels), first.data)
                }
            }
        }
        XCTAssertEqual(pointers.count, 2)
        XCTAssertEqual(pointers.first, pointers.last, "a repeated size must reuse its buffers")
        XCTAssertEqual(session.cachedPlanCount, 2)
        XCTAssertEqual(try session.run([3, 20, 16], large), otherSize)
        XCTAssertNotEqual(first.data, Array(otherSize.data.prefix(first.data.count)))
    }

    func testSessionsOnTwoThreadsMatchSequentialRuns() throws {
        let model = try Fixtures.model("tiny_transformer.onnx")
        var random = SeededGenerator(seed: 5)
        let frames = (0..<6).map { index in (index % 2 == 0 ? [3, 12, 16] : [3, 9, 7], [Float]()) }
            .map { shape, _ in (shape, random.floats(shape.reduce(1, *), in: 0...1)) }
        let sequential = StyleSession(model: model)
        let expected = try frames.map { try sequential.run($0.0, $0.1) }

        let results = ResultBox(count: 2 * frames.count)
        DispatchQueue.concurrentPerform(iterations: 2) { thread in
            let session = StyleSession(model: model)
            for round in 0..<3 {
                for (index, frame) in frames.enumerated() {
                    let result = try? session.run(frame.0, frame.1)
                    if round == 2 { results.set(thread * frames.count + index, result) }
                }
            }
        }
        for thread in 0..<2 {
            for index in 0..<frames.count {
                XCTAssertEqual(results.get(thread * frames.count + index), expected[index], "thread \(thread) frame \(index)")
            }
        }
    }

    // MARK: Errors

    func testUnsupportedOperatorIsNamed() {
        assertEngineError(["unsupported ONNX operator 'Erf'", "node '"]) { () throws(EngineError) in
            try StyleModel(contentsOf: Fixtures.url("unsupported_op.onnx").path)
        }
        let custom = ONNXBuilder.model(nodes: [ONNXBuilder.node("Relu", ["x"], ["y"], domain: "com.microsoft")])
        assertEngineError(["domain 'com.microsoft'"]) { () throws(EngineError) in try StyleModel(bytes: custom) }
    }

    func testUnreadableAndTruncatedFilesThrow() throws {
        assertEngineError(["cannot read model /nonexistent/model.onnx"]) { () throws(EngineError) in
            try StyleModel(contentsOf: "/nonexistent/model.onnx")
        }
        let bytes = try Fixtures.bytes("tiny_transformer.onnx")
        assertEngineError(["malformed ONNX file"]) { () throws(EngineError) in try StyleModel(bytes: Array(bytes.prefix(bytes.count / 2))) }
        assertEngineError(["no graph"]) { () throws(EngineError) in try StyleModel(bytes: ONNXBuilder.int(1, 7) + ONNXBuilder.bytes(8, ONNXBuilder.int(2, 13))) }
    }

    func testMissingInitializerIsNamed() {
        let model = ONNXBuilder.model(nodes: [ONNXBuilder.node("Conv", ["x", "weights"], ["y"], name: "conv1")])
        assertEngineError(["node 'conv1' (Conv)", "'weights'"]) { () throws(EngineError) in try StyleModel(bytes: model) }
    }

    func testWrongInputChannelCountThrows() throws {
        // Declared channel count.
        let declared = try StyleModel(bytes: ONNXBuilder.model(nodes: [ONNXBuilder.node("Relu", ["x"], ["y"])], inputChannels: 3))
        assertEngineError(["expects 3 input channels, got 4"]) { () throws(EngineError) in
            try StyleSession(model: declared).run([4, 2, 2], [Float](repeating: 0, count: 16))
        }
        // Undeclared, caught by the first convolution's weights.
        let conv = try StyleModel(bytes: ONNXBuilder.model(
            nodes: [ONNXBuilder.node("Conv", ["x", "w"], ["y"], name: "first")],
            initializers: [ONNXBuilder.floatTensor("w", [2, 3, 1, 1], [1, 2, 3, 4, 5, 6])]))
        assertEngineError(["node 'first' (Conv)", "3 input channels, input has 1"]) { () throws(EngineError) in
            try StyleSession(model: conv).run([1, 8, 8], [Float](repeating: 0, count: 64))
        }
        XCTAssertNoThrow(try StyleSession(model: conv).run([3, 8, 8], [Float](repeating: 0, count: 192)))
    }

    func testOpsetRangeIsEnforced() {
        for opset in [8, 18] {
            let model = ONNXBuilder.model(nodes: [ONNXBuilder.node("Relu", ["x"], ["y"])], opset: opset)
            assertEngineError(["opset version \(opset)"]) { () throws(EngineError) in try StyleModel(bytes: model) }
        }
    }

    func testCycleAndDuplicateOutputsThrow() {
        let cycle = ONNXBuilder.model(nodes: [ONNXBuilder.node("Relu", ["b"], ["a"]), ONNXBuilder.node("Relu", ["a"], ["b"]),
                                              ONNXBuilder.node("Add", ["x", "b"], ["y"])])
        assertEngineError(["cycle"]) { () throws(EngineError) in try StyleModel(bytes: cycle) }
        let duplicate = ONNXBuilder.model(nodes: [ONNXBuilder.node("Relu", ["x"], ["y"]), ONNXBuilder.node("Relu", ["x"], ["y"])])
        assertEngineError(["more than one"]) { () throws(EngineError) in try StyleModel(bytes: duplicate) }
    }

    /// Rows added to a bank initializer at load: the weights input grows with it, and what
    /// cannot be rows of it is refused naming the initializer.
    func testRowsAddedToABankAreUsedAndBadRowsNamed() throws {
        // y = x · (style_weights · bank): a 1-channel "norm scale" mixed from a bank of two rows.
        let bytes = ONNXBuilder.model(
            nodes: [ONNXBuilder.node("Reshape", ["style_weights", "column"], ["m"]), ONNXBuilder.node("Mul", ["m", "bank"], ["p"]),
                    ONNXBuilder.node("ReduceSum", ["p", "axis"], ["s"], [.int("keepdims", 0)]), ONNXBuilder.node("Mul", ["x", "s"], ["y"])],
            initializers: [ONNXBuilder.floatTensor("bank", [2, 1], [2, 3]), ONNXBuilder.intTensor("column", [2], [-1, 1]),
                           ONNXBuilder.intTensor("axis", [1], [0])],
            extraInputs: [("style_weights", [2])])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bank-\(UUID()).onnx").path
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let grown = try StyleModel(contentsOf: path, addingRows: ["bank": [5, 7]], weightsInput: "style_weights")
        XCTAssertEqual(grown.declaredShape(ofInput: "style_weights"), [4])
        let session = StyleSession(model: grown)
        XCTAssertEqual(try session.run([1, 1, 2], [1, 2], extraInputs: ["style_weights": Tensor(shape: [4], data: [0, 0, 1, 0])]).data, [5, 10])
        XCTAssertEqual(try session.run([1, 1, 2], [1, 2], extraInputs: ["style_weights": Tensor(shape: [4], data: [0.5, 0, 0, 0.5])]).data, [4.5, 9])
        assertEngineError(["no initializer 'nope'"]) { () throws(EngineError) in
            _ = try StyleModel(contentsOf: path, addingRows: ["nope": [1]], weightsInput: "style_weights")
        }
        assertEngineError(["'column' is not a 2-D float bank"]) { () throws(EngineError) in
            _ = try StyleModel(contentsOf: path, addingRows: ["column": [1, 1]], weightsInput: "style_weights")
        }
        assertEngineError(["no input 'weights'"]) { () throws(EngineError) in
            _ = try StyleModel(contentsOf: path, addingRows: ["bank": [1]], weightsInput: "weights")
        }
    }

    func testExtraInputsAreFedAndChecked() throws {
        let bytes = ONNXBuilder.model(nodes: [ONNXBuilder.node("Mul", ["x", "strength"], ["y"])], extraInputs: [("strength", [1])])
        let model = try StyleModel(bytes: bytes)
        XCTAssertEqual(model.inputNames, ["x", "strength"])
        let session = StyleSession(model: model)
        let image: [Float] = [1, 2, 3, 4]
        XCTAssertEqual(try session.run([1, 2, 2], image, extraInputs: ["strength": Tensor(shape: [1], data: [0.5])]).data, [0.5, 1, 1.5, 2])
        XCTAssertEqual(try session.run([1, 2, 2], image, extraInputs: ["strength": Tensor(shape: [1], data: [3])]).data, [3, 6, 9, 12])
        assertEngineError(["missing model input 'strength'"]) { () throws(EngineError) in try session.run([1, 2, 2], image) }
        assertEngineError(["no input 'gain'"]) { () throws(EngineError) in
            try session.run([1, 2, 2], image, extraInputs: ["strength": Tensor(shape: [1], data: [1]), "gain": Tensor(shape: [1], data: [1])])
        }
        assertEngineError(["2 values for shape [1]"]) { () throws(EngineError) in
            try session.run([1, 2, 2], image, extraInputs: ["strength": Tensor(shape: [1], data: [1, 2])])
        }
    }

    func testConstantSubgraphsAreFoldedNotRun() throws {
        // Conv on a constant "image" (weights · weights) folds away; only the Add runs per frame.
        let model = ONNXBuilder.model(
            nodes: [ONNXBuilder.node("Conv", ["k", "w"], ["folded"]), ONNXBuilder.node("Add", ["x", "folded"], ["y"])],
            initializers: [ONNXBuilder.floatTensor("k", [1, 1, 2, 2], [1, 2, 3, 4]), ONNXBuilder.floatTensor("w", [1, 1, 1, 1], [10])])
        let session = StyleSession(model: try StyleModel(bytes: model))
        XCTAssertEqual(try session.run([1, 2, 2], [0.5, 0.5, 0.5, 0.5]).data, [10.5, 20.5, 30.5, 40.5])
        let plan = try Planner.plan(try StyleModel(bytes: model).graph, inputShapes: [[1, 1, 2, 2]])
        XCTAssertEqual(plan.steps.map(\.label), ["node 'y' (Add)"])
    }

    func testInPlaceStepsNeverOverwriteALiveValue() throws {
        // a feeds three readers (two through a Reshape view); Relu and Sigmoid may not write over it.
        let model = ONNXBuilder.model(
            nodes: [ONNXBuilder.node("Tanh", ["x"], ["a"]),
                    ONNXBuilder.node("Reshape", ["a", "shape"], ["view"]),
                    ONNXBuilder.node("Relu", ["view"], ["b"]),
                    ONNXBuilder.node("Sigmoid", ["a"], ["c"]),
                    ONNXBuilder.node("Add", ["b", "c"], ["bc"]),
                    ONNXBuilder.node("Sub", ["bc", "view"], ["y"])],
            initializers: [ONNXBuilder.intTensor("shape", [4], [1, 2, 2, -1])])
        var random = SeededGenerator(seed: 9)
        let data = random.floats(12, in: -2...2)
        let output = try StyleSession(model: try StyleModel(bytes: model)).run([2, 2, 3], data)
        let expected = data.map { x -> Float in
            let a = Foundation.tanh(x)
            return max(a, 0) + 1 / (1 + Foundation.exp(-a)) - a
        }
        XCTAssertEqual(output.shape, [2, 2, 3])
        assertClose(output.data, expected, tolerance: 1e-6, "in-place safety")
    }

    func testElementwiseStepsRunInPlaceAndBuffersAreShared() throws {
        // Unfused, so every IN and ReLU is a step of its own (FusionTests covers the fused plan).
        let model = try StyleModel(bytes: Fixtures.bytes("tiny_transformer.onnx"), fusion: false)
        let plan = try Planner.plan(model.graph, inputShapes: [[1, 3, 64, 64]])
        let steps = plan.steps.count
        XCTAssertGreaterThan(steps, 30)
        // Far fewer buffers than steps: dead values' buffers are reused, ReLU/IN write over their input.
        XCTAssertLessThanOrEqual(plan.bufferCapacities.count, 5)
        let inPlace = plan.steps.filter { step in
            if case .buffer(let input)? = step.inputs.first { return step.outputs.first == input }
            return false
        }
        XCTAssertGreaterThan(inPlace.count, 10)
    }
}

/// Collects results from concurrent threads.
final class ResultBox: @unchecked Sendable {
    private var results: [ImageResult?]
    private let lock = NSLock()
    init(count: Int) { results = [ImageResult?](repeating: nil, count: count) }
    func set(_ index: Int, _ value: ImageResult?) { lock.withLock { results[index] = value } }
    func get(_ index: Int) -> ImageResult? { lock.withLock { results[index] } }
}

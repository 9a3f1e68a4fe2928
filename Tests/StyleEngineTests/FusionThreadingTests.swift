import Foundation
import XCTest
@testable import StyleEngine

/// The fused kernels split over a session's threads (FusedKernelsParallel.swift):
/// the same results, bit for bit, as one thread.
final class FusionThreadingTests: XCTestCase {
    func testFusedKernelsOnTwoThreadsMatchOneThread() throws {
        var random = SeededGenerator(seed: 77)
        let (c, k, h, w) = (48, 40, 23, 181)
        let initializers = [
            ONNXBuilder.floatTensor("scales", [4], [1, 1, 2, 2]),
            ONNXBuilder.intTensor("pads", [8], [0, 0, 1, 1, 0, 0, 1, 1]),
            ONNXBuilder.floatTensor("w", [k, c, 3, 3], random.floats(k * c * 9, in: -0.2...0.2)),
            ONNXBuilder.floatTensor("b", [k], random.floats(k)),
            ONNXBuilder.floatTensor("s", [k], random.floats(k, in: 0.5...1.5)),
            ONNXBuilder.floatTensor("t", [k], random.floats(k)),
        ]
        let bytes = ONNXBuilder.model(
            nodes: [ONNXBuilder.node("Resize", ["x", "", "scales"], ["u"], [.string("mode", "nearest"),
                        .string("coordinate_transformation_mode", "asymmetric"), .string("nearest_mode", "floor")]),
                    ONNXBuilder.node("Pad", ["u", "pads"], ["p"], [.string("mode", "reflect")]),
                    ONNXBuilder.node("Conv", ["p", "w", "b"], ["c"]),
                    ONNXBuilder.node("InstanceNormalization", ["c", "s", "t"], ["n"]),
                    ONNXBuilder.node("Relu", ["n"], ["y"])],
            initializers: initializers)
        let model = try StyleModel(bytes: bytes, fusion: true)
        let plan = try Planner.plan(model.graph, inputShapes: [[1, c, h, w]])
        let upsample = try XCTUnwrap(plan.steps.first?.kernel as? UpsampleConvKernel)
        XCTAssertGreaterThan(upsample.tileCount, 2)
        XCTAssertTrue(plan.steps.last?.kernel is FusedNormalizationKernel)
        XCTAssertEqual(plan.steps.count, 2)

        let image = random.floats(c * h * w)
        let single = try StyleSession(model: model).run([c, h, w], image)
        let double = try StyleSession(model: model, threads: 2).run([c, h, w], image)
        XCTAssertEqual(double.shape, [k, 2 * h, 2 * w])
        XCTAssertEqual(double.data, single.data)
        let unfused = try StyleSession(model: try StyleModel(bytes: bytes, fusion: false), threads: 2).run([c, h, w], image)
        assertClose(double.data, unfused.data, tolerance: 1e-4, "fused vs unfused, two threads")
    }
}

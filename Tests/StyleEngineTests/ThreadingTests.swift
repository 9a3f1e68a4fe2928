import Foundation
import XCTest
@testable import StyleEngine

/// Sessions that split their kernels over their own threads: same results
/// as one thread, safe next to other sessions, and a pool that really runs
/// tasks on several threads.
final class ThreadingTests: XCTestCase {
    /// A small network with one of each parallel kernel path, big enough that
    /// each splits into several tasks: Winograd (pad 1, several tile blocks),
    /// im2col (strided), pointwise, depthwise, ConvTranspose, tap products (5×5, 8 → 3).
    private struct Network {
        var weights: [String: RefTensor] = [:]
        var bytes: [UInt8] = []

        init() {
            var random = SeededGenerator(seed: 21)
            var initializers: [[UInt8]] = []
            for (name, dims, scale) in [
                ("w1", [32, 3, 3, 3], Float(0.5)), ("b1", [32], 0.1), ("w2", [32, 32, 3, 3], 0.1), ("b2", [32], 0.1),
                ("w3", [16, 32, 1, 1], 0.2), ("w4", [16, 1, 3, 3], 0.3), ("b4", [16], 0.1),
                ("w5", [16, 8, 3, 3], 0.2), ("b5", [8], 0.1), ("w6", [3, 8, 5, 5], 0.2), ("b6", [3], 0.1),
            ] {
                let values = random.floats(dims.reduce(1, *), in: -scale...scale)
                weights[name] = RefTensor(shape: dims, floats: values)
                initializers.append(ONNXBuilder.floatTensor(name, dims, values))
            }
            typealias B = ONNXBuilder
            let nodes = [
                B.node("Conv", ["x", "w1", "b1"], ["c1"], [.ints("pads", [1, 1, 1, 1])]),
                B.node("Relu", ["c1"], ["r1"]),
                B.node("Conv", ["r1", "w2", "b2"], ["c2"], [.ints("strides", [2, 2]), .ints("pads", [1, 1, 1, 1])]),
                B.node("Conv", ["c2", "w3"], ["c3"]),
                B.node("Conv", ["c3", "w4", "b4"], ["c4"], [.int("group", 16), .ints("pads", [1, 1, 1, 1])]),
                B.node("ConvTranspose", ["c4", "w5", "b5"], ["c5"],
                       [.ints("strides", [2, 2]), .ints("pads", [1, 1, 1, 1]), .ints("output_padding", [1, 1])]),
                B.node("Relu", ["c5"], ["r5"]),
                B.node("Conv", ["r5", "w6", "b6"], ["y"], [.ints("pads", [2, 2, 2, 2])]),
            ]
            bytes = B.model(nodes: nodes, initializers: initializers)
        }

        /// The same network with the plain-loop references.
        func reference(_ x: RefTensor) -> RefTensor {
            let w = weights
            var y = Reference.conv(x, w["w1"]!, w["b1"]!, pads: [1, 1, 1, 1])
            y = Reference.map(y) { max($0, 0) }
            y = Reference.conv(y, w["w2"]!, w["b2"]!, strides: [2, 2], pads: [1, 1, 1, 1])
            y = Reference.conv(y, w["w3"]!, nil)
            y = Reference.conv(y, w["w4"]!, w["b4"]!, pads: [1, 1, 1, 1], group: 16)
            y = Reference.convTranspose(y, w["w5"]!, w["b5"]!, strides: [2, 2], pads: [1, 1, 1, 1], outputPadding: [1, 1])
            y = Reference.map(y) { max($0, 0) }
            return Reference.conv(y, w["w6"]!, w["b6"]!, pads: [2, 2, 2, 2])
        }
    }

    private static let network = Network()

    private static let frameShape = [3, 96, 130]

    private func frames(_ count: Int) -> [[Float]] {
        var random = SeededGenerator(seed: 8)
        return (0..<count).map { _ in random.floats(Self.frameShape.reduce(1, *), in: 0...1) }
    }

    func testTwoThreadsMatchOneThread() throws {
        let model = try StyleModel(bytes: Self.network.bytes)
        // Every kernel must have work for more than one thread, or this tests nothing.
        let plan = try Planner.plan(model.graph, inputShapes: [[1] + Self.frameShape])
        var methods: [String] = []
        for kernel in plan.steps.map(\.kernel) {
            if let winograd = kernel as? WinogradConvolutionKernel {
                methods.append("winograd")
                XCTAssertGreaterThan(winograd.blockCount, 1)
            } else if let conv = kernel as? ConvolutionKernel {
                methods.append("\(conv.method)")
            }
        }
        XCTAssertEqual(methods, ["winograd", "im2col", "pointwise", "depthwise", "tapProducts"])

        let single = StyleSession(model: model)
        let double = StyleSession(model: model, threads: 2)
        XCTAssertEqual(single.threads, 1)
        XCTAssertEqual(double.threads, 2)
        for frame in frames(3) {
            let expected = try single.run(Self.frameShape, frame)
            let output = try double.run(Self.frameShape, frame)
            XCTAssertEqual(output.shape, expected.shape)
            assertClose(output.data, expected.data, tolerance: 1e-5, "threads: 2")
            // Tasks do not depend on the thread count, so not even rounding differs.
            XCTAssertTrue(output.data == expected.data,
                          "\(zip(output.data, expected.data).filter { $0 != $1 }.count) of \(expected.data.count) values differ")
        }
        // Against the naive evaluator too, so two equally wrong paths cannot pass.
        let frame = frames(1)[0]
        let reference = Self.network.reference(RefTensor(shape: [1] + Self.frameShape, floats: frame))
        assertClose(try double.run(Self.frameShape, frame).data, reference.floats, tolerance: 1e-4, "threads: 2 vs reference")
    }

    func testThreadedSessionsRunningAtOnceMatchSequentialRuns() throws {
        let model = try StyleModel(bytes: Self.network.bytes)
        let inputs = frames(4)
        let sequential = StyleSession(model: model)
        let expected = try inputs.map { try sequential.run(Self.frameShape, $0) }

        let results = ResultBox(count: 2 * inputs.count)
        DispatchQueue.concurrentPerform(iterations: 2) { thread in
            let session = StyleSession(model: model, threads: 2)
            for round in 0..<2 {
                for (index, frame) in inputs.enumerated() {
                    let result = try? session.run(Self.frameShape, frame)
                    if round == 1 { results.set(thread * inputs.count + index, result) }
                }
            }
        }
        for thread in 0..<2 {
            for index in 0..<inputs.count {
                let result = results.get(thread * inputs.count + index)
                XCTAssertTrue(result == expected[index], "thread \(thread) frame \(index): "
                              + "\(result.map { zip($0.data, expected[index].data).filter { $0 != $1 }.count } ?? -1) values differ")
            }
        }
    }

    /// OpenBLAS's thread count is process-wide, set once by `BLAS.load()`.
    func testSessionsLeaveOpenBLASThreadsAlone() throws {
        let original = BLAS.threads
        defer { BLAS.threads = original }
        BLAS.threads = 2
        _ = StyleSession(model: try StyleModel(bytes: Self.network.bytes), threads: 2)
        XCTAssertEqual(BLAS.threads, 2)
    }

    func testPoolRunsEveryTaskOnceOnSeveralThreads() {
        let pool = WorkerPool(threads: 3)
        let context = ParallelContext(pool: pool, scratchStride: 0)
        XCTAssertEqual(context.threadCount, 3)
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 64)
        let threadOf = UnsafeMutablePointer<Int>.allocate(capacity: 64)
        defer { counts.deallocate(); threadOf.deallocate() }
        counts.initialize(repeating: 0, count: 64)
        context.forEach(64) { task, thread in
            counts[task] += 1
            threadOf[task] = thread
            usleep(500)  // long enough that every thread gets some
        }
        XCTAssertEqual(Array(UnsafeBufferPointer(start: counts, count: 64)), [Int](repeating: 1, count: 64))
        let used = Set(UnsafeBufferPointer(start: threadOf, count: 64))
        XCTAssertEqual(used, [0, 1, 2], "tasks should have run on all three threads")

        // Many short rounds back to back, through both entry points: no lost
        // wake-ups, no task run twice or skipped.
        struct Count: ParallelWork {
            let taskCount: Int
            let counts: UnsafeMutablePointer<Int>
            func run(task: Int, thread: Int) { counts[task] += 1 }
        }
        var total = 0
        for round in 0..<2000 {
            let taskCount = round % 7
            counts.update(repeating: 0, count: 8)
            if round % 2 == 0 {
                context.forEach(taskCount) { task, _ in counts[task] += 1 }
            } else {
                context.run(Count(taskCount: taskCount, counts: counts))
            }
            total += (0..<8).reduce(0) { $0 + counts[$1] }
            XCTAssertTrue((0..<taskCount).allSatisfy { counts[$0] == 1 }, "round \(round)")
        }
        XCTAssertEqual(total, (0..<2000).reduce(0) { $0 + $1 % 7 })
    }

    func testSerialContextRunsTasksInOrderOnTheCaller() {
        var order: [Int] = []
        ParallelContext.serial.forEach(5) { task, thread in
            XCTAssertEqual(thread, 0)
            order.append(task)
        }
        XCTAssertEqual(order, [0, 1, 2, 3, 4])
    }
}

import XCTest
@testable import StyleEngine

/// The Conv paths besides Winograd that were added for speed: which one a
/// convolution takes, and the tap-products path (fewer outputs than inputs,
/// stride 1) against the plain-loop reference.
final class ConvolutionPathTests: XCTestCase {
    var random = SeededGenerator(seed: 12)

    private func kernel(c: Int, m: Int, k: Int, h: Int = 20, w: Int = 20,
                        attributes: [ONNXBuilder.Attribute] = []) throws -> any Kernel {
        let model = try StyleModel(bytes: ONNXBuilder.singleOp("Conv", constants: [("w", [m, c, k, k], random.floats(m * c * k * k))],
                                                               attributes: attributes))
        return try XCTUnwrap(Planner.plan(model.graph, inputShapes: [[1, c, h, w]]).steps.first?.kernel)
    }

    private func method(_ kernel: any Kernel) -> String {
        if kernel is WinogradConvolutionKernel { return "winograd" }
        return (kernel as? ConvolutionKernel).map { "\($0.method)" } ?? "\(type(of: kernel))"
    }

    func testPathSelection() throws {
        XCTAssertEqual(method(try kernel(c: 32, m: 3, k: 9)), "tapProducts")       // the last layer of a style network
        XCTAssertEqual(method(try kernel(c: 3, m: 32, k: 9)), "im2col")            // the first
        XCTAssertEqual(method(try kernel(c: 8, m: 8, k: 3)), "winograd")
        XCTAssertEqual(method(try kernel(c: 8, m: 4, k: 3)), "winograd")          // 3×3 prefers Winograd
        XCTAssertEqual(method(try kernel(c: 8, m: 4, k: 5, attributes: [.ints("strides", [2, 2])])), "im2col")
        XCTAssertEqual(method(try kernel(c: 8, m: 4, k: 1)), "pointwise")
    }

    func testTapProductsMatchReference() throws {
        struct Case { var c, m, h, w, k: Int; var pads = [0, 0, 0, 0]; var dilations = [1, 1]; var bias = true }
        let cases = [
            Case(c: 32, m: 3, h: 23, w: 29, k: 9, pads: [4, 4, 4, 4]),
            Case(c: 6, m: 2, h: 11, w: 13, k: 5, pads: [0, 3, 2, 1], bias: false),     // asymmetric
            Case(c: 5, m: 4, h: 12, w: 9, k: 3, pads: [1, 0, 0, 2], dilations: [2, 1]),  // dilated 3×3: not Winograd
            Case(c: 4, m: 1, h: 7, w: 8, k: 7, pads: [6, 6, 6, 6]),                      // rows entirely in the padding
            // Wide rows: tiles of one or two input rows, so several phases keep them apart.
            Case(c: 9, m: 8, h: 14, w: 300, k: 7, pads: [3, 3, 3, 3]),
        ]
        for (index, test) in cases.enumerated() {
            let weights = random.floats(test.m * test.c * test.k * test.k), bias = random.floats(test.m)
            var constants = [("w", [test.m, test.c, test.k, test.k], weights)]
            if test.bias { constants.append(("b", [test.m], bias)) }
            let bytes = ONNXBuilder.singleOp("Conv", constants: constants,
                                             attributes: [.ints("pads", test.pads), .ints("dilations", test.dilations)])
            let model = try StyleModel(bytes: bytes)
            let plan = try Planner.plan(model.graph, inputShapes: [[1, test.c, test.h, test.w]])
            let conv = try XCTUnwrap(plan.steps.first?.kernel as? ConvolutionKernel, "case \(index)")
            XCTAssertEqual(conv.method, .tapProducts, "case \(index)")
            if index == 4 { XCTAssertGreaterThan(conv.phases, 2, "case \(index) should need several phases") }

            let data = random.floats(test.c * test.h * test.w)
            let x = RefTensor(shape: [1, test.c, test.h, test.w], floats: data)
            let expected = Reference.conv(x, RefTensor(shape: constants[0].1, floats: weights),
                                          test.bias ? RefTensor(shape: [test.m], floats: bias) : nil,
                                          pads: test.pads, dilations: test.dilations)
            for threads in [1, 3] {
                let y = try StyleSession(model: model, threads: threads).run([test.c, test.h, test.w], data)
                XCTAssertEqual([1] + y.shape, expected.shape, "case \(index)")
                assertClose(y.data, expected.floats, "case \(index), \(threads) threads")
            }
        }
    }
}

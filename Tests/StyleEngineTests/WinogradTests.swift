import CKernels
import XCTest
@testable import StyleEngine

/// Winograd F(4×4, 3×3) against the plain-loop reference: shapes that are not
/// multiples of the tile, pads (including pads wider than a tile's overlap),
/// one and many channels, with and without bias, several blocks per image.
final class WinogradTests: XCTestCase {
    var random = SeededGenerator(seed: 4)

    struct Case {
        var c: Int, m: Int, h: Int, w: Int
        var pads = [0, 0, 0, 0]
        var bias = true
    }

    /// A one-Conv model; checks the planner picked Winograd and the output matches.
    private func check(_ test: Case, tolerance: Float = 1e-4, file: StaticString = #filePath, line: UInt = #line) throws {
        let weights = random.floats(test.m * test.c * 9)
        let bias = random.floats(test.m)
        var constants = [("w", [test.m, test.c, 3, 3], weights)]
        if test.bias { constants.append(("b", [test.m], bias)) }
        let bytes = ONNXBuilder.singleOp("Conv", constants: constants, attributes: [.ints("pads", test.pads)])
        let model = try StyleModel(bytes: bytes)
        let plan = try Planner.plan(model.graph, inputShapes: [[1, test.c, test.h, test.w]])
        XCTAssertTrue(plan.steps.first?.kernel is WinogradConvolutionKernel, "\(test): not planned as Winograd", file: file, line: line)

        let data = random.floats(test.c * test.h * test.w)
        let y = try StyleSession(model: model).run([test.c, test.h, test.w], data)
        let expected = Reference.conv(RefTensor(shape: [1, test.c, test.h, test.w], floats: data),
                                      RefTensor(shape: [test.m, test.c, 3, 3], floats: weights),
                                      test.bias ? RefTensor(shape: [test.m], floats: bias) : nil, pads: test.pads)
        XCTAssertEqual([1] + y.shape, expected.shape, "\(test)", file: file, line: line)
        assertClose(y.data, expected.floats, tolerance: tolerance, "\(test)", file: file, line: line)
    }

    func testOddSizesAndPads() throws {
        try check(Case(c: 5, m: 7, h: 13, w: 11))                                   // 11×9 output: partial tiles both ways
        try check(Case(c: 3, m: 4, h: 9, w: 7, pads: [1, 1, 1, 1]))
        try check(Case(c: 2, m: 3, h: 10, w: 9, pads: [0, 2, 1, 0], bias: false))   // asymmetric
        try check(Case(c: 4, m: 2, h: 6, w: 5, pads: [3, 5, 4, 2]))                  // whole tiles in the padding
        try check(Case(c: 3, m: 3, h: 3, w: 3))                                      // one output pixel
        try check(Case(c: 2, m: 2, h: 3, w: 40, pads: [0, 1, 0, 1]))                 // one output row
        try check(Case(c: 2, m: 2, h: 33, w: 1, pads: [0, 1, 0, 1]))                 // one input column
    }

    func testOneAndManyChannels() throws {
        try check(Case(c: 1, m: 1, h: 17, w: 19, pads: [1, 1, 1, 1]))
        try check(Case(c: 1, m: 9, h: 8, w: 8, bias: false))
        try check(Case(c: 9, m: 1, h: 8, w: 12))
        // 128 channels as in the residual blocks; several tile blocks, and tile
        // rows longer than a block so blocks start and end mid-row.
        try check(Case(c: 128, m: 16, h: 13, w: 130, pads: [1, 1, 1, 1]))
        try check(Case(c: 24, m: 24, h: 15, w: 610))
    }

    /// The transforms on every instruction set this CPU has (the baseline always): the same
    /// convolutions, tile counts that are and are not multiples of the 16 tiles a vector holds.
    func testEveryVectorKernelThisCPURuns() throws {
        let features = stylize_cpu_features_get()!.pointee
        var kernels = [STYLIZE_VECTOR_BASELINE]
        if features.avx2_fma != 0 { kernels.append(STYLIZE_VECTOR_AVX2) }
        if features.avx512 != 0 { kernels.append(STYLIZE_VECTOR_AVX512) }
        for (c, m, h, w, pads) in [(3, 5, 23, 150, [1, 2, 0, 1]), (7, 4, 9, 66, [0, 0, 0, 0]), (2, 3, 70, 5, [1, 1, 1, 1]),
                                   (16, 16, 12, 258, [1, 1, 1, 1])] {
            let weights = random.floats(m * c * 9), bias = random.floats(m), data = random.floats(c * h * w)
            let expected = Reference.conv(RefTensor(shape: [1, c, h, w], floats: data), RefTensor(shape: [m, c, 3, 3], floats: weights),
                                          RefTensor(shape: [m], floats: bias), pads: pads)
            var outputs: [[Float]] = []
            for vectors in kernels {
                let kernel = WinogradConvolutionKernel(
                    inputChannels: c, outputChannels: m, inputHeight: h, inputWidth: w,
                    padTop: pads[0], padLeft: pads[1], padBottom: pads[2], padRight: pads[3],
                    weights: weights, hasBias: true, blockBudget: 1, vectors: vectors)
                let y = runDirect(kernel, data: data, bias: bias, outputCount: expected.count)
                assertClose(y, expected.floats, "\(c)×\(h)×\(w) → \(m), vector kernel \(vectors.rawValue)")
                outputs.append(y)
            }
            for (y, vectors) in zip(outputs, kernels).dropFirst() {
                assertClose(y, outputs[0], tolerance: 5e-5, "vector kernel \(vectors.rawValue) against the baseline")
            }
        }
    }

    /// `kernel` run serially (its pads given), on all-NaN output: a pixel it never writes shows.
    private func runDirect(_ kernel: WinogradConvolutionKernel, data: [Float], bias: [Float], outputCount: Int) -> [Float] {
        var output = [Float](repeating: .nan, count: outputCount)
        var scratch = [Float](repeating: .nan, count: kernel.scratchCount)
        data.withUnsafeBufferPointer { x in
            bias.withUnsafeBufferPointer { b in
                scratch.withUnsafeMutableBufferPointer { s in
                    output.withUnsafeMutableBufferPointer { y in
                        kernel.run(inputs: [x.baseAddress!, x.baseAddress!, b.baseAddress!], outputs: [y.baseAddress!],
                                   scratch: s.baseAddress!)
                    }
                }
            }
        }
        return output
    }

    /// Run directly with the smallest blocks (32 tiles, 38 to a tile row),
    /// serially and on 3 threads: block boundaries land mid-row.
    func testSmallBlocksSerialAndParallel() throws {
        let (c, m, h, w) = (3, 5, 23, 150)
        let pads = [1, 2, 0, 1]
        let weights = random.floats(m * c * 9), bias = random.floats(m), data = random.floats(c * h * w)
        let kernel = WinogradConvolutionKernel(
            inputChannels: c, outputChannels: m, inputHeight: h, inputWidth: w,
            padTop: pads[0], padLeft: pads[1], padBottom: pads[2], padRight: pads[3],
            weights: weights, hasBias: true, blockBudget: 1)
        XCTAssertLessThan(kernel.blockTiles, kernel.tilesX)  // blocks start and end mid-row
        XCTAssertGreaterThanOrEqual(kernel.blockCount, 7)
        let expected = Reference.conv(RefTensor(shape: [1, c, h, w], floats: data), RefTensor(shape: [m, c, 3, 3], floats: weights),
                                      RefTensor(shape: [m], floats: bias), pads: pads)
        let outputCount = expected.count
        var serial = [Float](repeating: .nan, count: outputCount)
        var parallel = [Float](repeating: .nan, count: outputCount)
        let pool = WorkerPool(threads: 3)
        let stride = (kernel.scratchCount + 15) / 16 * 16
        var scratch = [Float](repeating: 0, count: stride * 3)
        data.withUnsafeBufferPointer { x in
            bias.withUnsafeBufferPointer { b in
                scratch.withUnsafeMutableBufferPointer { s in
                    serial.withUnsafeMutableBufferPointer { y in
                        kernel.run(inputs: [x.baseAddress!, x.baseAddress!, b.baseAddress!], outputs: [y.baseAddress!],
                                   scratch: s.baseAddress!)
                    }
                    parallel.withUnsafeMutableBufferPointer { y in
                        kernel.run(inputs: [x.baseAddress!, x.baseAddress!, b.baseAddress!], outputs: [y.baseAddress!],
                                   scratch: s.baseAddress!, parallel: ParallelContext(pool: pool, scratchStride: stride))
                    }
                }
            }
        }
        assertClose(serial, expected.floats, "serial")
        XCTAssertTrue(serial == parallel, "the split over threads must not change a bit: "
                      + "\(zip(serial, parallel).filter { $0 != $1 }.count) of \(serial.count) values differ")
    }

    /// The interpolation points were chosen for accuracy. Winograd adds
    /// rounding in its transforms on top of the sum's own, so it is judged
    /// against a peer computed in the same run: the plain im2col convolution
    /// (one sgemm over the same 1152 products). Its error depends on how this
    /// machine's OpenBLAS orders the sum, and so does Winograd's; the ratio
    /// between them much less. Measured with the Haswell, SkylakeX and
    /// Cooperlake cores: 3.8–4.3× im2col's RMS error, 2.5–4× its worst; the
    /// textbook points (about 3.5× less accurate, Winograd.swift) would not pass.
    func testAccuracyOnManyChannels() throws {
        let (c, m, h, w) = (128, 8, 24, 24)
        let weights = random.floats(m * c * 9), data = random.floats(c * h * w)
        let model = try StyleModel(bytes: ONNXBuilder.singleOp("Conv", constants: [("w", [m, c, 3, 3], weights)]))
        let winograd = try StyleSession(model: model).run([c, h, w], data).data
        let expected = Reference.conv(RefTensor(shape: [1, c, h, w], floats: data), RefTensor(shape: [m, c, 3, 3], floats: weights), nil)
        let direct = Self.im2colConvolution(c: c, m: m, h: h, w: w, weights: weights, data: data)
        func errors(_ y: [Float]) -> (worst: Double, rms: Double) {
            var worst = 0.0, squares = 0.0
            for (a, e) in zip(y, expected.data) { let d = abs(Double(a) - e); worst = max(worst, d); squares += d * d }
            return (worst, (squares / Double(y.count)).squareRoot())
        }
        let (ours, peer) = (errors(winograd), errors(direct))
        XCTAssertLessThan(ours.rms, 6 * peer.rms, "RMS error \(ours.rms) against im2col's \(peer.rms)")
        XCTAssertLessThan(ours.worst, 6 * peer.worst, "worst error \(ours.worst) against im2col's \(peer.worst)")
        let range = expected.data.max()! - expected.data.min()!
        XCTAssertLessThan(ours.worst / range, 1e-5, "worst error \(ours.worst) over range \(range)")
    }

    /// The same convolution as one im2col sgemm (no Winograd), run directly.
    private static func im2colConvolution(c: Int, m: Int, h: Int, w: Int, weights: [Float], data: [Float]) -> [Float] {
        let geometry = PatchGeometry(imageHeight: h, imageWidth: w, gridHeight: h - 2, gridWidth: w - 2,
                                     kernelHeight: 3, kernelWidth: 3, strideH: 1, strideW: 1,
                                     dilationH: 1, dilationW: 1, padTop: 0, padLeft: 0)
        let kernel = ConvolutionKernel(ConvolutionLayout(geometry: geometry, inputChannels: c, outputChannels: m,
                                                         groups: 1, hasBias: false))
        var output = [Float](repeating: .nan, count: m * (h - 2) * (w - 2))
        var scratch = [Float](repeating: 0, count: kernel.scratchCount)
        data.withUnsafeBufferPointer { x in
            weights.withUnsafeBufferPointer { wt in
                scratch.withUnsafeMutableBufferPointer { s in
                    output.withUnsafeMutableBufferPointer { y in
                        kernel.run(inputs: [x.baseAddress!, wt.baseAddress!], outputs: [y.baseAddress!], scratch: s.baseAddress!)
                    }
                }
            }
        }
        return output
    }

    /// The transformed filters are made once per model, not once per plan:
    /// every size and every session shares them (and they are right for each).
    func testTransformedFiltersAreSharedBetweenPlans() throws {
        let weights = random.floats(4 * 3 * 9)
        let model = try StyleModel(bytes: ONNXBuilder.singleOp("Conv", constants: [("w", [4, 3, 3, 3], weights)],
                                                               attributes: [.ints("pads", [1, 1, 1, 1])]))
        var shared: TensorStorage<Float>?
        for (h, w) in [(8, 9), (13, 6), (8, 9)] {
            let kernel = try XCTUnwrap(Planner.plan(model.graph, inputShapes: [[1, 3, h, w]]).steps.first?.kernel as? WinogradConvolutionKernel)
            if let shared { XCTAssertTrue(kernel.filters === shared, "\(h)×\(w) transformed the filters again") }
            shared = kernel.filters
            let data = random.floats(3 * h * w)
            let y = try StyleSession(model: model).run([3, h, w], data)
            assertClose(y.data, Reference.conv(RefTensor(shape: [1, 3, h, w], floats: data), RefTensor(shape: [4, 3, 3, 3], floats: weights),
                                               nil, pads: [1, 1, 1, 1]).floats, "\(h)×\(w)")
        }
    }

    func testOtherConvolutionsAreNotWinograd() throws {
        for attributes: [ONNXBuilder.Attribute] in [[.ints("strides", [2, 2])], [.ints("dilations", [2, 2])]] {
            let model = try StyleModel(bytes: ONNXBuilder.singleOp("Conv", constants: [("w", [2, 2, 3, 3], random.floats(36))],
                                                                   attributes: attributes))
            let plan = try Planner.plan(model.graph, inputShapes: [[1, 2, 12, 12]])
            XCTAssertTrue(plan.steps.first?.kernel is ConvolutionKernel, "\(attributes)")
        }
    }
}

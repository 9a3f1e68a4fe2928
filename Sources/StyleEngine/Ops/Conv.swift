import CKernels
import Foundation

/// Conv (2-D). By shape: 3×3 stride-1 ungrouped convolutions run Winograd
/// F(4×4, 3×3) (Winograd.swift); 1×1 stride-1 ones multiply the input
/// directly; depthwise ones run a direct loop; stride-1 ones with fewer
/// outputs than inputs multiply per tap and sum shifted products (in int8,
/// up to 4 outputs are convolved directly on quantized rows); the rest
/// im2col + sgemm, tiled over output rows (in int8, the GEMM gathers the
/// patches from quantized rows instead). All split their work over the
/// session's threads.
struct ConvOperator: Operator {
    let attributes: ConvolutionAttributes
    /// Winograd-transformed weights, made by the first plan and shared by
    /// every later plan and session of the model (36/9 times W's size each).
    private let transformedFilters = FilterCache()

    init(_ attributes: NodeAttributes) throws(EngineError) {
        self.attributes = try ConvolutionAttributes(attributes)
    }

    func plan(_ inputs: [PlannedValue?]) throws(EngineError) -> OperatorPlan {
        try plan(inputs, arithmetic: .fp32)
    }

    func plan(_ inputs: [PlannedValue?], arithmetic: GEMMArithmetic) throws(EngineError) -> OperatorPlan {
        let operands = try ConvolutionOperands(inputs, attributes)
        let input = operands.input
        let (outputChannels, channelsPerGroup) = (operands.weightShape[0], operands.weightShape[1])
        let (kernelHeight, kernelWidth) = (operands.kernelHeight, operands.kernelWidth)
        let groups = attributes.group
        guard input.channels == channelsPerGroup * groups else {
            throw EngineError("weight expects \(channelsPerGroup * groups) input channels, input has \(input.channels)")
        }
        guard outputChannels % groups == 0, outputChannels > 0 else {
            throw EngineError("\(outputChannels) output channels do not split into \(groups) groups")
        }
        try operands.checkBias(outputChannels: outputChannels)
        let (padTop, padBottom) = attributes.padding(axis: 0, input: input.height, kernel: kernelHeight)
        let (padLeft, padRight) = attributes.padding(axis: 1, input: input.width, kernel: kernelWidth)
        let (strides, dilations) = (attributes.strides, attributes.dilations)
        let extentH = (kernelHeight - 1) * dilations[0] + 1, extentW = (kernelWidth - 1) * dilations[1] + 1
        let spanH = input.height + padTop + padBottom - extentH, spanW = input.width + padLeft + padRight - extentW
        guard spanH >= 0, spanW >= 0 else {
            throw EngineError("kernel \(kernelHeight)×\(kernelWidth) is larger than the padded \(input.height)×\(input.width) input")
        }
        let geometry = PatchGeometry(
            imageHeight: input.height, imageWidth: input.width,
            gridHeight: spanH / strides[0] + 1, gridWidth: spanW / strides[1] + 1,
            kernelHeight: kernelHeight, kernelWidth: kernelWidth,
            strideH: strides[0], strideW: strides[1], dilationH: dilations[0], dilationW: dilations[1],
            padTop: padTop, padLeft: padLeft)
        let layout = ConvolutionLayout(
            geometry: geometry, inputChannels: input.channels, outputChannels: outputChannels,
            groups: groups, hasBias: operands.bias != nil)
        let outputShape = [1, outputChannels, geometry.gridHeight, geometry.gridWidth]
        if Self.usesWinograd(layout), let weights = inputs[1]?.constant {
            let transform = {
                WinogradConvolutionKernel.transformFilters(weights.floatStorage.pointer, outputChannels: outputChannels,
                                                           inputChannels: input.channels)
            }
            // Only an initializer's own float storage identifies the weights across plans.
            let filters: TensorStorage<Float>
            if case .float(let storage) = weights.elements {
                filters = transformedFilters.filters(for: storage, make: transform)
            } else {
                filters = transform()
            }
            // Reduced precisions multiply the transformed tiles: each of the 36 products is
            // quantized on its own range, which keeps int8 within its bar despite the transforms.
            let packed = arithmetic == .fp32 ? nil
                : PackedWeights(arithmetic, weights: filters.pointer, rows: outputChannels, columns: input.channels, count: 36)
            return try operands.kernelPlan(
                outputShape: outputShape, columnChannels: channelsPerGroup, gridWidth: geometry.gridWidth,
                kernel: WinogradConvolutionKernel(
                    inputChannels: input.channels, outputChannels: outputChannels,
                    inputHeight: input.height, inputWidth: input.width,
                    padTop: padTop, padLeft: padLeft, padBottom: padBottom, padRight: padRight,
                    filters: filters, packedFilters: packed, hasBias: layout.hasBias))
        }
        return try operands.kernelPlan(
            outputShape: outputShape, columnChannels: channelsPerGroup, gridWidth: geometry.gridWidth,
            kernel: ConvolutionKernel(layout, weights: inputs[1]?.constant?.floatStorage, arithmetic: arithmetic))
    }

    /// 3×3, stride 1, undilated, ungrouped: Winograd F(4×4, 3×3) does a quarter of the multiplications.
    static func usesWinograd(_ layout: ConvolutionLayout) -> Bool {
        let g = layout.geometry
        return g.kernelHeight == 3 && g.kernelWidth == 3 && g.strideH == 1 && g.strideW == 1
            && g.dilationH == 1 && g.dilationW == 1 && layout.groups == 1
    }
}

/// One operator's transformed weights, for whichever sessions plan it (on
/// any thread). Keyed by the weight storage itself, which it keeps alive.
/// An NSLock (a pthread mutex), not Synchronization's Mutex: ThreadSanitizer does not see the
/// latter's futex hand-over and reported two sessions planning at once as a race.
final class FilterCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entry: (source: TensorStorage<Float>, filters: TensorStorage<Float>)?

    func filters(for source: TensorStorage<Float>, make: () -> TensorStorage<Float>) -> TensorStorage<Float> {
        lock.withLock {
            if let entry, entry.source === source { return entry.filters }
            let filters = make()
            entry = (source, filters)
            return filters
        }
    }
}

struct ConvolutionKernel: PadReading {
    /// - tapProducts: fewer output than input channels, stride 1 (the last
    ///   9×9 of a style network, 32 → 3). im2col would unfold C·k² rows per
    ///   pixel for a GEMM with only M rows; instead one GEMM multiplies every
    ///   (output channel, tap) weight row with the input pixels — M·k² rows per
    ///   pixel, the same multiplications — and each output pixel sums its k²
    ///   shifted products.
    /// - quantizedPatches: im2col's work in int8 (ungrouped): each tile's input rows quantized
    ///   once to bytes, the GEMM's panels gathered from them (`QuantizedPatches`).
    /// - quantizedDirect: in int8, a few output channels (stride 1, undilated, ungrouped): each
    ///   tile's input rows quantized once and convolved directly, without a GEMM's rows of 8
    ///   or tap products' fp32 sums (`QuantizedPatches.Reader.direct`).
    enum Method { case pointwise, depthwise, im2col, tapProducts, quantizedPatches, quantizedDirect }

    private(set) var layout: ConvolutionLayout
    let method: Method
    /// Grid rows per im2col or quantizedPatches tile; input rows per tapProducts tile.
    private(set) var rowsPerTile: Int
    /// tapProducts: W rearranged to [M][kH][kW][C], and how many tiles apart
    /// two tiles must be so that the output rows they add into do not overlap.
    let tapWeights: TensorStorage<Float>?
    let phases: Int
    /// The weights (tapProducts: `tapWeights`) packed for a reduced-precision session: one
    /// matrix per group. nil: fp32, or weights known only at run time.
    let packedWeights: PackedWeights?
    /// The instructions tapProducts' sums run on (CKernels' sum_taps).
    let vectors = stylize_vector_kernel_best()
    /// quantizedPatches and quantizedDirect: the input's patches and border.
    private(set) var patches: QuantizedPatches?
    /// quantizedDirect: the weights packed for it.
    let directWeights: QuantizedPatches.DirectWeights?

    /// Floats of im2col columns per tile (about 2 MB, as before).
    static let tileFloats = 1 << 19
    /// Floats of tap products per tile: about 1 MB, so that they are still in
    /// L2 when they are summed (measured: 1 MB tiles ~15% faster than 4 MB).
    static let tapProductFloats = 1 << 18

    init(_ layout: ConvolutionLayout, weights: TensorStorage<Float>? = nil, arithmetic: GEMMArithmetic = .fp32) {
        self.layout = layout
        let g = layout.geometry
        let taps = g.kernelArea
        if g.isPointwise {
            method = .pointwise
        } else if layout.inputsPerGroup == 1 && layout.outputChannels == layout.groups {
            method = .depthwise
        } else if case .int8 = arithmetic, weights != nil, layout.groups == 1, g.strideH == 1, g.strideW == 1,
                  g.dilationH == 1, g.dilationW == 1,
                  layout.outputChannels <= QuantizedPatches.DirectWeights.maximumOutputs {
            method = .quantizedDirect
        } else if weights != nil && layout.groups == 1 && g.strideH == 1 && g.strideW == 1
                    && layout.outputChannels < layout.inputChannels {
            method = .tapProducts
        } else if case .int8 = arithmetic, weights != nil, layout.groups == 1 {
            method = .quantizedPatches
        } else {
            method = .im2col
        }
        if method == .tapProducts, let weights {
            let (m, c) = (layout.outputChannels, layout.inputChannels)
            let rearranged = TensorStorage<Float>(count: m * taps * c, repeating: 0)
            for o in 0..<m {
                for channel in 0..<c {
                    for tap in 0..<taps {
                        rearranged.pointer[(o * taps + tap) * c + channel] = weights.pointer[(o * c + channel) * taps + tap]
                    }
                }
            }
            tapWeights = rearranged
            // Input row y adds into output rows y + padTop − i·dilation, i < kH: tiles closer
            // than (kH − 1)·dilation rows may add into the same output row.
            let span = (g.kernelHeight - 1) * g.dilationH
            rowsPerTile = max(1, min(g.imageHeight, Self.tapProductFloats / max(1, m * taps * g.imageWidth)))
            phases = span == 0 ? 1 : (span + rowsPerTile - 1) / rowsPerTile + 1
            patches = nil
        } else if method == .quantizedPatches || method == .quantizedDirect {
            tapWeights = nil
            let patches = QuantizedPatches(g, channels: layout.inputChannels, reader: method == .quantizedDirect ? .direct : .gemm)
            rowsPerTile = patches.rowsPerTile()
            phases = 1
            self.patches = patches
        } else {
            tapWeights = nil
            rowsPerTile = g.rowsPerTile(channels: layout.inputsPerGroup, targetFloats: Self.tileFloats)
            phases = 1
            patches = nil
        }
        switch (method, tapWeights ?? weights) {
        case (.tapProducts, let matrix?):
            packedWeights = PackedWeights(arithmetic, weights: matrix.pointer, rows: layout.outputChannels * taps,
                                          columns: layout.inputChannels)
        case (.im2col, let matrix?), (.pointwise, let matrix?), (.quantizedPatches, let matrix?):
            packedWeights = PackedWeights(arithmetic, weights: matrix.pointer, rows: layout.outputsPerGroup,
                                          columns: layout.inputsPerGroup * taps, count: layout.groups)
        default:
            packedWeights = nil
        }
        if method == .quantizedDirect, case .int8(let kernel) = arithmetic, let weights {
            directWeights = QuantizedPatches.DirectWeights(
                weights.pointer, outputs: layout.outputChannels, channels: layout.inputChannels,
                kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth, kernel: kernel)
        } else {
            directWeights = nil
        }
    }

    var scratchCount: Int {
        let g = layout.geometry
        switch method {
        case .im2col: return layout.inputsPerGroup * g.kernelArea * rowsPerTile * g.gridWidth
        case .tapProducts: return layout.outputChannels * g.kernelArea * rowsPerTile * g.imageWidth
        case .quantizedPatches, .quantizedDirect: return (patches!.codesBytes(gridRows: rowsPerTile) + 3) / 4
        case .pointwise, .depthwise: return 0
        }
    }

    /// quantizedPatches or quantizedDirect reading `padding`'s input: its border becomes the one the
    /// rows are quantized with. Nil where the convolution pads too (its grid reaches past the Pad's output).
    func readingThrough(_ padding: Padding) -> (any Kernel)? {
        let g = layout.geometry
        let reach = ((g.gridHeight - 1) * g.strideH + (g.kernelHeight - 1) * g.dilationH + 1,
                     (g.gridWidth - 1) * g.strideW + (g.kernelWidth - 1) * g.dilationW + 1)
        guard let reader = patches?.reader, g.padTop == 0, g.padLeft == 0, reach.0 <= g.imageHeight, reach.1 <= g.imageWidth,
              let b = padding.spatialBorder(channels: layout.inputChannels, height: g.imageHeight, width: g.imageWidth)
        else { return nil }
        var geometry = g
        (geometry.imageHeight, geometry.imageWidth, geometry.padTop, geometry.padLeft) = (b.imageHeight, b.imageWidth, b.top, b.left)
        var fused = self
        fused.layout = ConvolutionLayout(geometry: geometry, inputChannels: layout.inputChannels,
                                         outputChannels: layout.outputChannels, groups: 1, hasBias: layout.hasBias)
        let patches = QuantizedPatches(geometry, channels: layout.inputChannels, reader: reader, border: b.mode, fill: b.fill)
        fused.patches = patches
        fused.rowsPerTile = patches.rowsPerTile()
        return fused
    }

    /// Output columns per pointwise task: wide enough for an efficient sgemm.
    static let pointwiseColumns = 4096
    /// Channels per depthwise task.
    static let depthwiseChannels = 8

    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>) {
        run(inputs: inputs, outputs: outputs, scratch: scratch, parallel: .serial)
    }

    /// Tasks: (group, grid row tile) for im2col, (group, column chunk) for
    /// pointwise, channel chunks for depthwise, input row tiles for tap
    /// products (in phases: tiles of one phase add into disjoint output rows).
    /// Each task writes its own part of the output (bias first), so tasks are
    /// independent; their split does not depend on the thread count.
    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>,
             parallel: ParallelContext) {
        let g = layout.geometry
        var tasks = Tasks(kernel: self, input: inputs[0], weights: inputs[1], bias: layout.hasBias ? inputs[2] : nil,
                          output: outputs[0], scratch: scratch, parallel: parallel, taskCount: 0, phase: 0)
        switch method {
        case .depthwise:
            tasks.taskCount = (layout.outputChannels + Self.depthwiseChannels - 1) / Self.depthwiseChannels
            parallel.run(tasks)
        case .pointwise:
            tasks.taskCount = layout.groups * pointwiseChunks
            parallel.run(tasks)
        case .im2col, .quantizedPatches, .quantizedDirect:
            tasks.taskCount = layout.groups * ((g.gridHeight + rowsPerTile - 1) / rowsPerTile)
            parallel.run(tasks)
        case .tapProducts:
            fillWithBias(tasks.output, bias: tasks.bias, channels: layout.outputChannels, area: g.gridArea)
            let tiles = (g.imageHeight + rowsPerTile - 1) / rowsPerTile
            for phase in 0..<min(phases, tiles) {
                tasks.phase = phase
                tasks.taskCount = (tiles - phase + phases - 1) / phases
                parallel.run(tasks)
            }
        }
    }

    private var pointwiseChunks: Int { (layout.geometry.gridArea + Self.pointwiseColumns - 1) / Self.pointwiseColumns }

    /// One run's tasks (see run(inputs:outputs:scratch:parallel:)).
    private struct Tasks: ParallelWork {
        let kernel: ConvolutionKernel
        let input: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?
        let output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
        let parallel: ParallelContext
        var taskCount: Int
        var phase: Int

        func run(task: Int, thread: Int) {
            kernel.runTask(task, self, scratch: parallel.scratch(scratch, thread: thread))
        }
    }

    private func runTask(_ task: Int, _ tasks: Tasks, scratch: UnsafeMutablePointer<Float>) {
        let (input, weights, bias, output) = (tasks.input, tasks.weights, tasks.bias, tasks.output)
        let g = layout.geometry
        let (channelsPerGroup, outputsPerGroup) = (layout.inputsPerGroup, layout.outputsPerGroup)
        let reduction = channelsPerGroup * g.kernelArea
        switch method {
        case .depthwise:
            let channels = (task * Self.depthwiseChannels)..<min((task + 1) * Self.depthwiseChannels, layout.outputChannels)
            runDepthwise(input, weights, bias, output, channels: channels)
        case .pointwise:
            let (group, chunk) = task.quotientAndRemainder(dividingBy: pointwiseChunks)
            let start = chunk * Self.pointwiseColumns
            let width = min(Self.pointwiseColumns, g.gridArea - start)
            let groupOutput = output + group * outputsPerGroup * g.gridArea + start
            fillWithBias(groupOutput, stride: g.gridArea, bias: bias.map { $0 + group * outputsPerGroup },
                         channels: outputsPerGroup, count: width)
            multiplyWeights(packedWeights, matrix: group, m: outputsPerGroup, n: width, k: reduction,
                            a: weights + group * outputsPerGroup * reduction, lda: reduction,
                            b: input + group * channelsPerGroup * g.imageArea + start, ldb: g.imageArea,
                            beta: 1, c: groupOutput, ldc: g.gridArea)
        case .tapProducts:
            let tile = tasks.phase + task * phases
            let rows = (tile * rowsPerTile)..<min((tile + 1) * rowsPerTile, g.imageHeight)
            addTapProducts(input, output, rows: rows, products: scratch)
        case .im2col:
            let tiles = (g.gridHeight + rowsPerTile - 1) / rowsPerTile
            let (group, tile) = task.quotientAndRemainder(dividingBy: tiles)
            let rows = (tile * rowsPerTile)..<min((tile + 1) * rowsPerTile, g.gridHeight)
            let tileWidth = rows.count * g.gridWidth
            let groupOutput = output + group * outputsPerGroup * g.gridArea + rows.lowerBound * g.gridWidth
            fillWithBias(groupOutput, stride: g.gridArea, bias: bias.map { $0 + group * outputsPerGroup },
                         channels: outputsPerGroup, count: tileWidth)
            im2col(g, image: input + group * channelsPerGroup * g.imageArea, channels: channelsPerGroup, rows: rows, columns: scratch)
            multiplyWeights(packedWeights, matrix: group, m: outputsPerGroup, n: tileWidth, k: reduction,
                            a: weights + group * outputsPerGroup * reduction, lda: reduction,
                            b: scratch, ldb: tileWidth, beta: 1, c: groupOutput, ldc: g.gridArea)
        case .quantizedPatches:
            let rows = (task * rowsPerTile)..<min((task + 1) * rowsPerTile, g.gridHeight)
            patches!.multiply(packedWeights!, rows: rows, image: input, codes: UnsafeMutableRawPointer(scratch), bias: bias,
                              c: output + rows.lowerBound * g.gridWidth, ldc: g.gridArea)
        case .quantizedDirect:
            let rows = (task * rowsPerTile)..<min((task + 1) * rowsPerTile, g.gridHeight)
            patches!.convolve(directWeights!, rows: rows, image: input, codes: UnsafeMutableRawPointer(scratch), bias: bias,
                              c: output + rows.lowerBound * g.gridWidth, ldc: g.gridArea)
        }
    }

    /// Multiplies input rows `rows` by every (output channel, tap) weight row
    /// and adds each product into the output pixel that tap feeds.
    private func addTapProducts(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, rows: Range<Int>,
                                products: UnsafeMutablePointer<Float>) {
        let g = layout.geometry
        let (m, c, taps) = (layout.outputChannels, layout.inputChannels, g.kernelArea)
        let width = rows.count * g.imageWidth
        // Every tap reads inside the image for every output column (no padding of its own, as a
        // Pad before the convolution leaves it): one pass per output row.
        let fullRows = g.padLeft == 0 && g.gridWidth + (g.kernelWidth - 1) * g.dilationW <= g.imageWidth
        multiplyWeights(packedWeights, m: m * taps, n: width, k: c, a: tapWeights!.pointer, lda: c,
                        b: input + rows.lowerBound * g.imageWidth, ldb: g.imageArea, beta: 0, c: products, ldc: width)
        for o in 0..<m {
            let plane = output + o * g.gridArea
            for i in 0..<g.kernelHeight {
                for y in rows {
                    // Input row y, tap row i, feeds output row gy.
                    let gy = y + g.padTop - i * g.dilationH
                    guard gy >= 0 && gy < g.gridHeight else { continue }
                    let destination = plane + gy * g.gridWidth
                    // Tap j's products for output pixel x sit at first + j·(width + dilation) + x.
                    let first = products + (o * g.kernelHeight + i) * g.kernelWidth * width
                        + (y - rows.lowerBound) * g.imageWidth - g.padLeft
                    if fullRows {
                        stylize_sum_taps(vectors, destination, g.gridWidth, first, Int32(g.kernelWidth), width + g.dilationW)
                        continue
                    }
                    for j in 0..<g.kernelWidth {
                        let valid = validGridRange(count: g.gridWidth, stride: 1, offset: j * g.dilationW - g.padLeft,
                                                   limit: g.imageWidth)
                        stylize_sum_taps(vectors, destination + valid.lowerBound, valid.count,
                                         first + j * (width + g.dilationW) + valid.lowerBound, 1, 0)
                    }
                }
            }
        }
    }

    /// One input channel per output channel: a direct loop beats sgemm with m = 1.
    private func runDepthwise(_ input: UnsafePointer<Float>, _ weights: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                              _ output: UnsafeMutablePointer<Float>, channels: Range<Int>) {
        let g = layout.geometry
        for channel in channels {
            let plane = input + channel * g.imageArea
            let result = output + channel * g.gridArea
            result.update(repeating: bias?[channel] ?? 0, count: g.gridArea)
            for i in 0..<g.kernelHeight {
                let validY = validGridRange(count: g.gridHeight, stride: g.strideH, offset: i * g.dilationH - g.padTop, limit: g.imageHeight)
                for j in 0..<g.kernelWidth {
                    let weight = weights[(channel * g.kernelHeight + i) * g.kernelWidth + j]
                    let xOffset = j * g.dilationW - g.padLeft
                    let validX = validGridRange(count: g.gridWidth, stride: g.strideW, offset: xOffset, limit: g.imageWidth)
                    for gy in validY {
                        let source = plane + (gy * g.strideH - g.padTop + i * g.dilationH) * g.imageWidth + xOffset
                        let destination = result + gy * g.gridWidth
                        if g.strideW == 1 {
                            for gx in validX { destination[gx] += weight * source[gx] }
                        } else {
                            for gx in validX { destination[gx] += weight * source[gx * g.strideW] }
                        }
                    }
                }
            }
        }
    }
}

/// Fills `count` floats of each of `channels` rows, `stride` apart, with the channel's bias (or zero).
func fillWithBias(_ output: UnsafeMutablePointer<Float>, stride: Int, bias: UnsafePointer<Float>?, channels: Int, count: Int) {
    for c in 0..<channels {
        (output + c * stride).update(repeating: bias?[c] ?? 0, count: count)
    }
}

/// ConvTranspose (2-D): sgemm with the transposed weights makes the columns,
/// col2im scatters them into the output. Tiled over input rows.
struct ConvTransposeOperator: Operator {
    let attributes: ConvolutionAttributes
    let outputPadding: [Int]
    let outputShape: [Int]?

    init(_ attributes: NodeAttributes) throws(EngineError) {
        self.attributes = try ConvolutionAttributes(attributes)
        outputPadding = try attributes.ints("output_padding", in: 0...(1 << 16)) ?? [0, 0]
        outputShape = try attributes.ints("output_shape", in: 1...(1 << 20))
        guard outputPadding.count == 2 else { throw EngineError("output_padding must be 2-D") }
        if let outputShape, outputShape.count != 2 && outputShape.count != 4 {
            throw EngineError("output_shape must list the 2 spatial sizes")
        }
    }

    func plan(_ inputs: [PlannedValue?]) throws(EngineError) -> OperatorPlan {
        let operands = try ConvolutionOperands(inputs, attributes)
        let input = operands.input
        let groups = attributes.group
        let (weightInputs, outputsPerGroup) = (operands.weightShape[0], operands.weightShape[1])
        let (kernelHeight, kernelWidth) = (operands.kernelHeight, operands.kernelWidth)
        guard weightInputs == input.channels, input.channels % groups == 0, outputsPerGroup > 0 else {
            throw EngineError("weight expects \(weightInputs) input channels in \(groups) groups, input has \(input.channels)")
        }
        let outputChannels = outputsPerGroup * groups
        try operands.checkBias(outputChannels: outputChannels)
        let inputSize = [input.height, input.width], kernel = [kernelHeight, kernelWidth]
        var size = [0, 0], padBefore = [0, 0]
        for axis in 0..<2 {
            let stride = attributes.strides[axis]
            let extent = (kernel[axis] - 1) * attributes.dilations[axis] + 1
            let full = stride * (inputSize[axis] - 1) + outputPadding[axis] + extent
            if let outputShape {
                // The spec derives the pads from the requested size.
                size[axis] = outputShape[outputShape.count - 2 + axis]
                let total = full - size[axis]
                padBefore[axis] = attributes.autoPad == .sameUpper ? total / 2 : total - total / 2
            } else if attributes.autoPad == .sameUpper || attributes.autoPad == .sameLower {
                size[axis] = inputSize[axis] * stride
                let total = full - size[axis]
                padBefore[axis] = attributes.autoPad == .sameUpper ? total / 2 : total - total / 2
            } else {
                let (before, after) = attributes.padding(axis: axis, input: inputSize[axis], kernel: kernel[axis])
                size[axis] = full - before - after
                padBefore[axis] = before
            }
            guard size[axis] >= 1 else { throw EngineError("output size \(size[axis]) is not positive") }
        }
        let geometry = PatchGeometry(
            imageHeight: size[0], imageWidth: size[1], gridHeight: input.height, gridWidth: input.width,
            kernelHeight: kernelHeight, kernelWidth: kernelWidth,
            strideH: attributes.strides[0], strideW: attributes.strides[1],
            dilationH: attributes.dilations[0], dilationW: attributes.dilations[1],
            padTop: padBefore[0], padLeft: padBefore[1])
        let layout = ConvolutionLayout(
            geometry: geometry, inputChannels: input.channels, outputChannels: outputChannels,
            groups: groups, hasBias: operands.bias != nil)
        return try operands.kernelPlan(
            outputShape: [1, outputChannels, size[0], size[1]],
            columnChannels: outputsPerGroup, gridWidth: geometry.gridWidth, kernel: TransposedConvolutionKernel(layout))
    }
}

struct TransposedConvolutionKernel: Kernel {
    let layout: ConvolutionLayout
    let rowsPerTile: Int

    init(_ layout: ConvolutionLayout) {
        self.layout = layout
        rowsPerTile = layout.geometry.rowsPerTile(channels: layout.outputsPerGroup)
    }

    var scratchCount: Int { layout.outputsPerGroup * layout.geometry.kernelArea * rowsPerTile * layout.geometry.gridWidth }

    /// Output-channel chunks per group: the tasks threads share (col2im scatters
    /// across rows, so rows cannot be split; channels can).
    var chunksPerGroup: Int { min(layout.outputsPerGroup, 4) }

    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>) {
        run(inputs: inputs, outputs: outputs, scratch: scratch, parallel: .serial)
    }

    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>,
             parallel: ParallelContext) {
        parallel.run(Tasks(kernel: self, input: inputs[0], weights: inputs[1], bias: layout.hasBias ? inputs[2] : nil,
                           output: outputs[0], scratch: scratch, parallel: parallel))
    }

    /// Tasks: (group, chunk of the group's output channels).
    private struct Tasks: ParallelWork {
        let kernel: TransposedConvolutionKernel
        let input: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?
        let output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
        let parallel: ParallelContext

        var taskCount: Int { kernel.layout.groups * kernel.chunksPerGroup }

        func run(task: Int, thread: Int) {
            kernel.runChunk(task, input: input, weights: weights, bias: bias, output: output,
                            columns: parallel.scratch(scratch, thread: thread))
        }
    }

    private func runChunk(_ task: Int, input: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                          output: UnsafeMutablePointer<Float>, columns: UnsafeMutablePointer<Float>) {
        let g = layout.geometry
        let (channelsPerGroup, outputsPerGroup) = (layout.inputsPerGroup, layout.outputsPerGroup)
        let columnRows = outputsPerGroup * g.kernelArea
        let chunks = chunksPerGroup
        let (group, chunk) = task.quotientAndRemainder(dividingBy: chunks)
        // Output channels [first, first + count) of this group.
        let first = chunk * outputsPerGroup / chunks, count = (chunk + 1) * outputsPerGroup / chunks - first
        let groupInput = input + group * channelsPerGroup * g.gridArea
        // Weights are [inputs, outputs per group, kH, kW]: per group a channelsPerGroup × columnRows matrix.
        let chunkWeights = weights + group * channelsPerGroup * columnRows + first * g.kernelArea
        let chunkOutput = output + (group * outputsPerGroup + first) * g.imageArea
        fillWithBias(chunkOutput, stride: g.imageArea, bias: bias.map { $0 + group * outputsPerGroup + first },
                     channels: count, count: g.imageArea)
        for rows in g.rowTiles(rowsPerTile) {
            let tileWidth = rows.count * g.gridWidth
            sgemm(transposeA: true, m: count * g.kernelArea, n: tileWidth, k: channelsPerGroup, a: chunkWeights, lda: columnRows,
                  b: groupInput + rows.lowerBound * g.gridWidth, ldb: g.gridArea, beta: 0, c: columns, ldc: tileWidth)
            col2im(g, columns: columns, channels: count, rows: rows, image: chunkOutput)
        }
    }
}

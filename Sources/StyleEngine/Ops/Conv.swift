/// Conv (2-D): im2col + sgemm, tiled over output rows; 1×1 stride-1
/// convolutions multiply the input directly and depthwise ones run a direct loop.
struct ConvOperator: Operator {
    let attributes: ConvolutionAttributes

    init(_ attributes: NodeAttributes) throws(EngineError) {
        self.attributes = try ConvolutionAttributes(attributes)
    }

    func plan(_ inputs: [PlannedValue?]) throws(EngineError) -> OperatorPlan {
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
        return try operands.kernelPlan(
            outputShape: [1, outputChannels, geometry.gridHeight, geometry.gridWidth],
            columnChannels: channelsPerGroup, gridWidth: geometry.gridWidth, kernel: ConvolutionKernel(layout))
    }
}

struct ConvolutionKernel: Kernel {
    enum Method { case pointwise, depthwise, im2col }

    let layout: ConvolutionLayout
    let method: Method
    let rowsPerTile: Int

    init(_ layout: ConvolutionLayout) {
        self.layout = layout
        let geometry = layout.geometry
        if geometry.isPointwise {
            method = .pointwise
        } else if layout.inputsPerGroup == 1 && layout.outputChannels == layout.groups {
            method = .depthwise
        } else {
            method = .im2col
        }
        rowsPerTile = geometry.rowsPerTile(channels: layout.inputsPerGroup)
    }

    var scratchCount: Int {
        method == .im2col ? layout.inputsPerGroup * layout.geometry.kernelArea * rowsPerTile * layout.geometry.gridWidth : 0
    }

    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>) {
        let (input, weights, output) = (inputs[0], inputs[1], outputs[0])
        let g = layout.geometry
        fillWithBias(output, bias: layout.hasBias ? inputs[2] : nil, channels: layout.outputChannels, area: g.gridArea)
        if method == .depthwise {
            runDepthwise(input, weights, output)
            return
        }
        let (channelsPerGroup, outputsPerGroup) = (layout.inputsPerGroup, layout.outputsPerGroup)
        let reduction = channelsPerGroup * g.kernelArea
        for group in 0..<layout.groups {
            let groupInput = input + group * channelsPerGroup * g.imageArea
            let groupWeights = weights + group * outputsPerGroup * reduction
            let groupOutput = output + group * outputsPerGroup * g.gridArea
            if method == .pointwise {
                sgemm(m: outputsPerGroup, n: g.gridArea, k: reduction, a: groupWeights, lda: reduction,
                      b: groupInput, ldb: g.imageArea, beta: 1, c: groupOutput, ldc: g.gridArea)
                continue
            }
            for rows in g.rowTiles(rowsPerTile) {
                let tileWidth = rows.count * g.gridWidth
                im2col(g, image: groupInput, channels: channelsPerGroup, rows: rows, columns: scratch)
                sgemm(m: outputsPerGroup, n: tileWidth, k: reduction, a: groupWeights, lda: reduction,
                      b: scratch, ldb: tileWidth, beta: 1, c: groupOutput + rows.lowerBound * g.gridWidth, ldc: g.gridArea)
            }
        }
    }

    /// One input channel per output channel: a direct loop beats sgemm with m = 1.
    private func runDepthwise(_ input: UnsafePointer<Float>, _ weights: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>) {
        let g = layout.geometry
        for channel in 0..<layout.outputChannels {
            let plane = input + channel * g.imageArea
            let result = output + channel * g.gridArea
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

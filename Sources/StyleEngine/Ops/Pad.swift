/// Pad in constant, reflect and edge modes, any rank (Johnson networks
/// reflect-pad H and W before every convolution). Negative pads crop.
struct PadOperator: Operator {
    enum Mode: String, Sendable { case constant, reflect, edge }

    let mode: Mode
    /// Before opset 11 the pads and the fill value are attributes.
    let attributePads: [Int]?
    let attributeValue: Float

    init(_ attributes: NodeAttributes, opset: Int) throws(EngineError) {
        let modeName = try attributes.choice("mode", default: "constant", allowed: ["constant", "reflect", "edge"])
        mode = Mode(rawValue: modeName) ?? .constant
        if opset < 11 {
            guard let pads = try attributes.ints("pads", in: -(1 << 20)...(1 << 20)) else {
                throw EngineError("Pad (opset < 11) needs a 'pads' attribute")
            }
            attributePads = pads
            attributeValue = try attributes.float("value", default: 0)
        } else {
            attributePads = nil
            attributeValue = 0
        }
    }

    func plan(_ inputs: [PlannedValue?]) throws(EngineError) -> OperatorPlan {
        let data = try inputs.required(0, "data")
        let rank = data.rank
        var pads: [Int], value = attributeValue
        if let attributePads {
            pads = attributePads
        } else {
            let given = try inputs.required(1, "pads").constantValue("pads").ints()
            if let constantValue = inputs.optional(2) {
                let constant = try constantValue.constantValue("constant_value")
                guard constant.count <= 1 else { throw EngineError("constant_value must be a scalar") }
                value = constant.floats.first ?? 0
            }
            if let axesValue = inputs.optional(3) {
                // Opset 18 'axes': pads list only these axes.
                let axes = try axesValue.constantValue("axes").ints()
                guard given.count == 2 * axes.count else { throw EngineError("pads and axes differ in length") }
                pads = [Int](repeating: 0, count: 2 * rank)
                for (k, axis) in axes.enumerated() {
                    let position = try normalizedAxis(axis, rank: rank)
                    pads[position] = given[k]
                    pads[position + rank] = given[k + axes.count]
                }
            } else {
                pads = given
            }
        }
        guard pads.count == 2 * rank else { throw EngineError("pads has \(pads.count) entries for a rank-\(rank) input") }
        for pad in pads where abs(pad) > 1 << 20 { throw EngineError("pad \(pad) is out of range") }
        let padding = try Padding(inputShape: data.shape, pads: pads, mode: mode, value: value)
        return .kernel(outputShapes: [padding.outputShape], dataInputs: [0], kernel: padding)
    }
}

struct Padding: Kernel {
    let outputShape: [Int]
    /// Begin pads of every axis, then end pads (ONNX order); the mode and fill value.
    let pads: [Int]
    let mode: PadOperator.Mode
    let value: Float
    private let inputStrides: [Int]
    private let outputStrides: [Int]
    /// For each axis and output index: the source index along that axis, or -1 for the fill
    /// value; axis a's run starts at `sourceIndexStart[a]`. One flat array: reading an inner array
    /// of an array of arrays per row retained it, about 6% of a style network's frame.
    private let sourceIndex: [Int]
    private let sourceIndexStart: [Int]
    /// Output indices along the last axis that copy a contiguous run of the input.
    private let innerCopy: Range<Int>

    init(inputShape: [Int], pads: [Int], mode: PadOperator.Mode, value: Float) throws(EngineError) {
        let rank = inputShape.count
        var outputShape: [Int] = []
        for axis in 0..<rank {
            let extent = inputShape[axis] + pads[axis] + pads[axis + rank]
            guard extent >= 0 else { throw EngineError("pads crop axis \(axis) below zero") }
            guard inputShape[axis] > 0 || extent == 0 || mode == .constant else {
                throw EngineError("cannot \(mode.rawValue)-pad an empty axis")
            }
            outputShape.append(extent)
        }
        _ = try elementCount(of: outputShape)
        let sourceIndex = (0..<rank).map { axis in
            (0..<outputShape[axis]).map { Self.source($0 - pads[axis], size: inputShape[axis], mode: mode) }
        }
        self.outputShape = outputShape
        self.pads = pads
        self.mode = mode
        self.value = value
        self.sourceIndex = sourceIndex.flatMap { $0 }
        sourceIndexStart = sourceIndex.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        inputStrides = contiguousStrides(inputShape)
        outputStrides = contiguousStrides(outputShape)
        if rank > 0 {
            let lastBefore = pads[rank - 1], width = outputShape[rank - 1]
            let lower = min(max(lastBefore, 0), width)
            let upper = min(max(lastBefore + inputShape[rank - 1], lower), width)
            innerCopy = lower..<upper
        } else {
            innerCopy = 0..<0
        }
    }

    /// The border this Pad draws around a batch-1 image whose padded form is channels × height ×
    /// width, for a convolution that reads the Pad's input instead (`readingThrough`): nil where
    /// that is not the same computation — the Pad touches other axes or crops, or a reflection
    /// reaches past the opposite edge.
    func spatialBorder(channels: Int, height: Int, width: Int) -> SpatialBorder? {
        let p = pads
        guard p.count == 8, p.allSatisfy({ $0 >= 0 }), p[0] == 0, p[1] == 0, p[4] == 0, p[5] == 0,
              outputShape == [1, channels, height, width] else { return nil }
        let border = SpatialBorder(top: p[2], left: p[3], bottom: p[6], right: p[7],
                                   imageHeight: height - p[2] - p[6], imageWidth: width - p[3] - p[7], mode: mode, fill: value)
        guard border.imageHeight > 0, border.imageWidth > 0 else { return nil }
        if mode == .reflect, max(p[2], p[6]) >= border.imageHeight || max(p[3], p[7]) >= border.imageWidth { return nil }
        return border
    }

    /// Where output position `index` (relative to the input's start) reads from; -1: the fill value.
    static func source(_ index: Int, size: Int, mode: PadOperator.Mode) -> Int {
        if index >= 0 && index < size { return index }
        switch mode {
        case .constant: return -1
        case .edge: return index < 0 ? 0 : size - 1
        case .reflect:
            guard size > 1 else { return 0 }
            // Reflection without repeating the edge has period 2·(size − 1).
            let period = 2 * (size - 1)
            var folded = index % period
            if folded < 0 { folded += period }
            return folded < size ? folded : period - folded
        }
    }

    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>) {
        guard !outputShape.isEmpty else {
            outputs[0][0] = inputs[0][0]
            return
        }
        sourceIndex.withUnsafeBufferPointer { index in
            sourceIndexStart.withUnsafeBufferPointer { start in
                inputStrides.withUnsafeBufferPointer { inputStrides in
                    outputStrides.withUnsafeBufferPointer { outputStrides in
                        fill(axis: 0, source: inputs[0], destination: outputs[0],
                             Tables(index: index, start: start, inputStrides: inputStrides, outputStrides: outputStrides))
                    }
                }
            }
        }
    }

    /// The index tables, as buffers for the recursion (arrays would be retained at every row).
    private struct Tables {
        let index: UnsafeBufferPointer<Int>, start: UnsafeBufferPointer<Int>
        let inputStrides: UnsafeBufferPointer<Int>, outputStrides: UnsafeBufferPointer<Int>

        func map(_ axis: Int) -> UnsafeBufferPointer<Int> {
            UnsafeBufferPointer(rebasing: index[start[axis]..<start[axis + 1]])
        }
    }

    /// Fills the output block at `axis`; `source` is nil inside a constant-filled block.
    private func fill(axis: Int, source: UnsafePointer<Float>?, destination: UnsafeMutablePointer<Float>, _ tables: Tables) {
        let map = tables.map(axis)
        let (inputStrides, outputStrides) = (tables.inputStrides, tables.outputStrides)
        if axis == tables.start.count - 2 {
            guard let source else {
                destination.update(repeating: value, count: map.count)
                return
            }
            for k in 0..<innerCopy.lowerBound { destination[k] = map[k] < 0 ? value : source[map[k]] }
            if !innerCopy.isEmpty {
                (destination + innerCopy.lowerBound).update(from: source + map[innerCopy.lowerBound], count: innerCopy.count)
            }
            for k in innerCopy.upperBound..<map.count { destination[k] = map[k] < 0 ? value : source[map[k]] }
            return
        }
        for k in 0..<map.count {
            let row = source.flatMap { map[k] < 0 ? nil : $0 + map[k] * inputStrides[axis] }
            fill(axis: axis + 1, source: row, destination: destination + k * outputStrides[axis], tables)
        }
    }
}

/// A Pad's border around an image plane, as a convolution that folds the Pad in draws it.
struct SpatialBorder {
    let top: Int, left: Int, bottom: Int, right: Int
    /// The Pad's input.
    let imageHeight: Int, imageWidth: Int
    let mode: PadOperator.Mode, fill: Float
}

/// A kernel that can read a Pad's input and draw the Pad's border itself (see `Fusion`).
protocol PadReading: Kernel {
    /// This kernel reading `padding`'s input instead of its output, or nil where it cannot.
    func readingThrough(_ padding: Padding) -> (any Kernel)?
}

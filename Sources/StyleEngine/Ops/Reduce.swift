/// ReduceSum, ReduceMean, ReduceMax and ReduceMin over any set of axes.
/// Axes come from the 'axes' attribute, except for ReduceSum from opset 13,
/// which takes them from input 1 (absent or empty: all axes, or nothing with
/// noop_with_empty_axes). keepdims (default 1) keeps reduced axes as size 1.
/// Float sums are accumulated in double; integer tensors (shape arithmetic)
/// fold during planning with integer semantics.
struct ReduceOperator: Operator {
    enum Function: Sendable { case sum, mean, max, min }

    let function: Function
    let keepDimensions: Bool
    /// nil: from input 1 (ReduceSum-13).
    let attributeAxes: [Int]?
    let axesFromInput: Bool
    let noopWithEmptyAxes: Bool

    init(opType: String, _ attributes: NodeAttributes, opset: Int) throws(EngineError) {
        switch opType {
        case "ReduceSum": function = .sum
        case "ReduceMean": function = .mean
        case "ReduceMax": function = .max
        case "ReduceMin": function = .min
        default: throw EngineError("not a reduction: \(opType)")
        }
        keepDimensions = try attributes.int("keepdims", default: 1) != 0
        // ReduceSum moved its axes to an input at opset 13; the other reductions at 18.
        axesFromInput = opType == "ReduceSum" ? opset >= 13 : opset >= 18
        attributeAxes = axesFromInput ? nil : try attributes.ints("axes")
        noopWithEmptyAxes = try attributes.int("noop_with_empty_axes", default: 0) != 0
    }

    func plan(_ inputs: [PlannedValue?]) throws(EngineError) -> OperatorPlan {
        let data = try inputs.required(0, "data")
        var axes = attributeAxes ?? []
        if axesFromInput, let axesValue = inputs.optional(1) {
            axes = try axesValue.constantValue("axes").ints()
        }
        var reduced = Set<Int>()
        for axis in axes {
            guard reduced.insert(try normalizedAxis(axis, rank: data.rank)).inserted else {
                throw EngineError("axis \(axis) repeats")
            }
        }
        if axes.isEmpty {
            if axesFromInput && noopWithEmptyAxes {
                return .view(shape: data.shape, elementType: data.elementType)
            }
            reduced = Set(0..<data.rank)
        }
        let layout = ReductionLayout(inputShape: data.shape, reduced: reduced)
        let outputShape = data.shape.indices.compactMap { axis -> Int? in
            reduced.contains(axis) ? (keepDimensions ? 1 : nil) : data.shape[axis]
        }
        let outputCount = try elementCount(of: outputShape)
        if let constant = data.constant, constant.elementType == .int64 {
            return .constants([ConstantTensor(shape: outputShape, int64s: try foldIntegers(constant, layout, outputCount))])
        }
        return .kernel(outputShapes: [outputShape], dataInputs: [0],
                       kernel: ReduceKernel(function: function, layout: layout, outputCount: outputCount))
    }

    private func foldIntegers(_ data: ConstantTensor, _ layout: ReductionLayout, _ outputCount: Int) throws(EngineError) -> [Int64] {
        let values = try data.int64s()
        let start: Int64 = switch function {
        case .sum, .mean: 0
        case .max: .min
        case .min: .max
        }
        var result = [Int64](repeating: start, count: outputCount)
        values.withUnsafeBufferPointer { source in
            guard let base = source.baseAddress else { return }
            layout.walk(base) { run, count, output, isReduced in
                for i in 0..<count {
                    let target = isReduced ? output : output + i
                    switch function {
                    case .sum, .mean: result[target] &+= run[i]
                    case .max: result[target] = Swift.max(result[target], run[i])
                    case .min: result[target] = Swift.min(result[target], run[i])
                    }
                }
            }
        }
        if function == .mean, layout.reducedCount > 0 {
            for k in result.indices { result[k] /= Int64(layout.reducedCount) }
        }
        return result
    }
}

struct ReduceKernel: Kernel {
    let function: ReduceOperator.Function
    let layout: ReductionLayout
    let outputCount: Int

    /// Sums are accumulated in doubles, two floats of scratch each.
    var scratchCount: Int { function == .sum || function == .mean ? 2 * outputCount : 0 }

    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>) {
        let output = outputs[0]
        switch function {
        case .max, .min:
            let isMax = function == .max
            output.update(repeating: isMax ? -.infinity : .infinity, count: outputCount)
            layout.walk(inputs[0]) { run, count, target, isReduced in
                for i in 0..<count {
                    let slot = isReduced ? target : target + i
                    output[slot] = isMax ? Swift.max(output[slot], run[i]) : Swift.min(output[slot], run[i])
                }
            }
        case .sum, .mean:
            // The scratch (64-byte aligned) holds outputCount doubles for the duration of this step.
            scratch.withMemoryRebound(to: Double.self, capacity: outputCount) { sums in
                sums.update(repeating: 0, count: outputCount)
                layout.walk(inputs[0]) { run, count, target, isReduced in
                    if isReduced {
                        sums[target] += blockedSum(run, count: count)
                    } else {
                        for i in 0..<count { sums[target + i] += Double(run[i]) }
                    }
                }
                let divisor = function == .mean ? Double(layout.reducedCount) : 1
                for k in 0..<outputCount { output[k] = Float(sums[k] / divisor) }
            }
        }
    }
}

/// The input's axes merged into alternating kept and reduced groups, walked in
/// memory order as contiguous runs: a reduced innermost group gives runs that
/// all fold into one output element, a kept one runs onto consecutive outputs.
struct ReductionLayout: Sendable {
    private let extents: [Int]
    private let isReduced: [Bool]
    private let inputStrides: [Int]
    private let outputStrides: [Int]
    /// Input elements per output element.
    let reducedCount: Int

    init(inputShape: [Int], reduced: Set<Int>) {
        var extents: [Int] = [], flags: [Bool] = []
        for (axis, extent) in inputShape.enumerated() where extent != 1 {
            let isReduced = reduced.contains(axis)
            if let last = flags.last, last == isReduced {
                extents[extents.count - 1] *= extent
            } else {
                extents.append(extent)
                flags.append(isReduced)
            }
        }
        if extents.isEmpty {
            // One element: a reduction of a single value.
            extents = [1]
            flags = [true]
        }
        self.extents = extents
        isReduced = flags
        inputStrides = contiguousStrides(extents)
        var outputStrides = [Int](repeating: 0, count: extents.count), step = 1
        for group in stride(from: extents.count - 1, through: 0, by: -1) where !flags[group] {
            outputStrides[group] = step
            step *= extents[group]
        }
        self.outputStrides = outputStrides
        reducedCount = zip(extents, flags).filter(\.1).map(\.0).reduce(1, *)
    }

    /// Calls `body(run, count, outputIndex, isReduced)` for each innermost run.
    func walk<T>(_ input: UnsafePointer<T>, _ body: (UnsafePointer<T>, Int, Int, Bool) -> Void) {
        guard !extents.contains(0) else { return }
        let last = extents.count - 1
        func visit(_ group: Int, _ input: UnsafePointer<T>, _ output: Int) {
            if group == last {
                body(input, extents[group], output, isReduced[group])
                return
            }
            for k in 0..<extents[group] {
                visit(group + 1, input + k * inputStrides[group], output + k * outputStrides[group])
            }
        }
        visit(0, input, 0)
    }
}

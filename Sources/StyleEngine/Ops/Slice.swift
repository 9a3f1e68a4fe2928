/// Slice: starts/ends/axes/steps from attributes (opset < 10) or constant inputs.
struct SliceOperator: Operator {
    let attributeStarts: [Int]?
    let attributeEnds: [Int]?
    let attributeAxes: [Int]?

    init(_ attributes: NodeAttributes, opset: Int) throws(EngineError) {
        if opset < 10 {
            guard let starts = try attributes.ints("starts"), let ends = try attributes.ints("ends") else {
                throw EngineError("Slice (opset < 10) needs 'starts' and 'ends' attributes")
            }
            attributeStarts = starts
            attributeEnds = ends
            attributeAxes = try attributes.ints("axes")
        } else {
            attributeStarts = nil
            attributeEnds = nil
            attributeAxes = nil
        }
    }

    func plan(_ inputs: [PlannedValue?]) throws(EngineError) -> OperatorPlan {
        let data = try inputs.required(0, "data")
        let starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?
        if let attributeStarts, let attributeEnds {
            (starts, ends, axes, steps) = (attributeStarts, attributeEnds, attributeAxes, nil)
        } else {
            starts = try inputs.required(1, "starts").constantValue("starts").ints()
            ends = try inputs.required(2, "ends").constantValue("ends").ints()
            axes = try inputs.optional(3)?.constantValue("axes").ints()
            steps = try inputs.optional(4)?.constantValue("steps").ints()
        }
        let movement = try StridedSlice(inputShape: data.shape, starts: starts, ends: ends, axes: axes, steps: steps)
        return try movement.plan(moving: [data], dataInputs: [0])
    }
}

struct StridedSlice: DataMovement {
    let outputShape: [Int]
    private let sourceOffset: Int
    private let sourceStrides: [Int]
    private let destinationStrides: [Int]

    init(inputShape: [Int], starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?) throws(EngineError) {
        let rank = inputShape.count
        let axes = axes ?? Array(0..<starts.count)
        let steps = steps ?? [Int](repeating: 1, count: starts.count)
        guard ends.count == starts.count, axes.count == starts.count, steps.count == starts.count else {
            throw EngineError("starts, ends, axes and steps differ in length")
        }
        var begin = [Int](repeating: 0, count: rank)
        var step = [Int](repeating: 1, count: rank)
        var extent = inputShape
        var seen = Set<Int>()
        for k in 0..<starts.count {
            let axis = try normalizedAxis(axes[k], rank: rank)
            guard seen.insert(axis).inserted else { throw EngineError("axis \(axes[k]) repeats") }
            guard steps[k] != 0 else { throw EngineError("step must not be 0") }
            let size = inputShape[axis]
            var start = starts[k] < 0 ? starts[k] + size : starts[k]
            var end = ends[k] < 0 ? ends[k] + size : ends[k]
            // ONNX clamps: [0, size] for positive steps, [-1, size-1] for negative ones.
            if steps[k] > 0 {
                start = min(max(start, 0), size)
                end = min(max(end, 0), size)
                extent[axis] = end > start ? (end - start + steps[k] - 1) / steps[k] : 0
            } else {
                start = min(max(start, -1), size - 1)
                end = min(max(end, -1), size - 1)
                extent[axis] = start > end ? (start - end - steps[k] - 1) / -steps[k] : 0
            }
            begin[axis] = start
            step[axis] = steps[k]
        }
        let inputStrides = contiguousStrides(inputShape)
        outputShape = extent
        sourceOffset = extent.contains(0) ? 0 : zip(begin, inputStrides).reduce(0) { $0 + $1.0 * $1.1 }
        sourceStrides = zip(inputStrides, step).map { $0 * $1 }
        destinationStrides = contiguousStrides(extent)
    }

    func move<T>(_ inputs: [UnsafePointer<T>], into output: UnsafeMutablePointer<T>) {
        stridedCopy(from: inputs[0] + sourceOffset, sourceStrides: sourceStrides,
                    to: output, destinationStrides: destinationStrides, shape: outputShape)
    }
}

/// Gather with constant indices (PyTorch exports pick dimensions out of a
/// Shape this way).
struct GatherOperator: Operator {
    let axis: Int

    init(_ attributes: NodeAttributes) throws(EngineError) {
        axis = try attributes.int("axis", default: 0)
    }

    func plan(_ inputs: [PlannedValue?]) throws(EngineError) -> OperatorPlan {
        let data = try inputs.required(0, "data")
        let indicesValue = try inputs.required(1, "indices")
        let indices = try indicesValue.constantValue("indices").ints()
        let axis = try normalizedAxis(self.axis, rank: data.rank)
        let extent = data.shape[axis]
        var resolved: [Int] = []
        for index in indices {
            let position = index < 0 ? index + extent : index
            guard position >= 0, position < extent else {
                throw EngineError("index \(index) is out of range for axis \(axis) of size \(extent)")
            }
            resolved.append(position)
        }
        let outputShape = Array(data.shape[..<axis]) + indicesValue.shape + Array(data.shape[(axis + 1)...])
        let gather = IndexGather(
            outputShape: outputShape, indices: resolved, axisExtent: extent,
            outerCount: data.shape[..<axis].reduce(1, *), innerCount: data.shape[(axis + 1)...].reduce(1, *))
        return try gather.plan(moving: [data], dataInputs: [0])
    }
}

struct IndexGather: DataMovement {
    let outputShape: [Int]
    let indices: [Int]
    let axisExtent: Int
    let outerCount: Int
    let innerCount: Int

    func move<T>(_ inputs: [UnsafePointer<T>], into output: UnsafeMutablePointer<T>) {
        var destination = output
        for outer in 0..<outerCount {
            for index in indices {
                destination.update(from: inputs[0] + (outer * axisExtent + index) * innerCount, count: innerCount)
                destination += innerCount
            }
        }
    }
}

/// The operators that only change how a tensor's elements are viewed:
/// Reshape, Flatten, Squeeze, Unsqueeze and Identity. None of them copies;
/// planning gives the output the input's buffer.
struct ReshapeOperator: Operator {
    enum Form {
        case reshape(allowZero: Bool)
        case flatten(axis: Int)
        case squeeze(axes: [Int]?)       // axes from the attribute (opset < 13) or input 1
        case unsqueeze(axes: [Int]?)
        case identity
    }

    let form: Form

    init(opType: String, _ attributes: NodeAttributes, opset: Int) throws(EngineError) {
        switch opType {
        case "Reshape": form = .reshape(allowZero: try attributes.int("allowzero", default: 0) != 0)
        case "Flatten": form = .flatten(axis: try attributes.int("axis", default: 1))
        case "Squeeze": form = .squeeze(axes: opset < 13 ? try attributes.ints("axes") : nil)
        case "Unsqueeze":
            let axes = opset < 13 ? try attributes.ints("axes") : nil
            if opset < 13 && axes == nil { throw EngineError("Unsqueeze needs an 'axes' attribute") }
            form = .unsqueeze(axes: axes)
        default: form = .identity
        }
    }

    func plan(_ inputs: [PlannedValue?]) throws(EngineError) -> OperatorPlan {
        let data = try inputs.required(0, "data")
        let shape = try outputShape(data.shape, inputs)
        guard try elementCount(of: shape) == elementCount(of: data.shape) else {
            throw EngineError("cannot view shape \(data.shape) as \(shape)")
        }
        return .view(shape: shape, elementType: data.elementType)
    }

    private func outputShape(_ shape: [Int], _ inputs: [PlannedValue?]) throws(EngineError) -> [Int] {
        switch form {
        case .identity:
            return shape
        case .reshape(let allowZero):
            return try reshaped(shape, to: inputs.required(1, "shape").constantValue("shape").ints(), allowZero: allowZero)
        case .flatten(let axis):
            let split = axis < 0 ? axis + shape.count : axis
            guard split >= 0, split <= shape.count else { throw EngineError("axis \(axis) is out of range") }
            return [shape[..<split].reduce(1, *), shape[split...].reduce(1, *)]
        case .squeeze(let attributeAxes):
            var axes = attributeAxes
            if axes == nil, let axesInput = inputs.optional(1) { axes = try axesInput.constantValue("axes").ints() }
            guard let axes else { return shape.filter { $0 != 1 } }
            var normalized = Set<Int>()
            for axis in axes {
                let position = try normalizedAxis(axis, rank: shape.count)
                guard shape[position] == 1 else { throw EngineError("cannot squeeze axis \(axis) of size \(shape[position])") }
                normalized.insert(position)
            }
            return shape.enumerated().filter { !normalized.contains($0.offset) }.map(\.element)
        case .unsqueeze(let attributeAxes):
            var axes = attributeAxes ?? []
            if attributeAxes == nil { axes = try inputs.required(1, "axes").constantValue("axes").ints() }
            let rank = shape.count + axes.count
            var inserted = Set<Int>()
            for axis in axes {
                guard inserted.insert(try normalizedAxis(axis, rank: rank)).inserted else {
                    throw EngineError("axis \(axis) repeats")
                }
            }
            var result: [Int] = []
            var remaining = shape.makeIterator()
            for position in 0..<rank {
                result.append(inserted.contains(position) ? 1 : remaining.next() ?? 1)
            }
            return result
        }
    }

    /// ONNX Reshape semantics: 0 copies the input dimension (unless allowzero), -1 is inferred.
    private func reshaped(_ shape: [Int], to target: [Int], allowZero: Bool) throws(EngineError) -> [Int] {
        var result = target
        var inferred: Int?
        for (position, dimension) in target.enumerated() {
            if dimension == -1 {
                guard inferred == nil else { throw EngineError("shape \(target) has more than one -1") }
                inferred = position
            } else if dimension == 0 && !allowZero {
                guard position < shape.count else { throw EngineError("shape \(target) copies a missing dimension") }
                result[position] = shape[position]
            } else if dimension < 0 {
                throw EngineError("invalid dimension \(dimension) in shape \(target)")
            }
        }
        if let inferred {
            let total = try elementCount(of: shape)
            var known = 1
            for (position, dimension) in result.enumerated() where position != inferred {
                known = known.multipliedReportingOverflow(by: dimension).overflow ? 0 : known * dimension
            }
            guard known > 0, total % known == 0 else { throw EngineError("cannot reshape \(shape) to \(target)") }
            result[inferred] = total / known
        }
        return result
    }
}

/// Constant and ConstantOfShape: values known from the file alone.
struct ConstantOperator: Operator {
    let value: ConstantTensor

    init(_ attributes: NodeAttributes) throws(EngineError) {
        if let tensor = try attributes.tensor("value") {
            value = tensor
        } else if let float = try attributes.float("value_float") {
            value = ConstantTensor(shape: [], floats: [float])
        } else if let floats = try attributes.floats("value_floats") {
            value = ConstantTensor(shape: [floats.count], floats: floats)
        } else if let int = try attributes.int("value_int") {
            value = ConstantTensor(shape: [], int64s: [Int64(int)])
        } else if let ints = try attributes.ints("value_ints") {
            value = ConstantTensor(shape: [ints.count], int64s: ints.map { Int64($0) })
        } else {
            throw EngineError("Constant has no supported value attribute (value, value_float(s), value_int(s))")
        }
    }

    func plan(_ inputs: [PlannedValue?]) throws(EngineError) -> OperatorPlan {
        .constants([value])
    }
}

struct ConstantOfShapeOperator: Operator {
    let fill: ConstantTensor

    init(_ attributes: NodeAttributes) throws(EngineError) {
        let fill = try attributes.tensor("value") ?? ConstantTensor(shape: [1], floats: [0])
        guard fill.count == 1 else { throw EngineError("ConstantOfShape 'value' must hold one element") }
        self.fill = fill
    }

    func plan(_ inputs: [PlannedValue?]) throws(EngineError) -> OperatorPlan {
        let shape = try inputs.required(0, "shape").constantValue("shape").ints()
        let count = try elementCount(of: shape)
        switch fill.elements {
        case .float(let storage):
            return .constants([ConstantTensor(shape: shape, elements: .float(TensorStorage(count: count, repeating: storage.pointer[0])))])
        case .int64(let storage):
            return .constants([ConstantTensor(shape: shape, elements: .int64(TensorStorage(count: count, repeating: storage.pointer[0])))])
        }
    }
}

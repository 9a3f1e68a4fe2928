/// Shape: known at planning time for every value, so always folded.
struct ShapeOperator: Operator {
    let start: Int
    let end: Int?

    init(_ attributes: NodeAttributes) throws(EngineError) {
        start = try attributes.int("start", default: 0)
        end = try attributes.int("end")
    }

    func plan(_ inputs: [PlannedValue?]) throws(EngineError) -> OperatorPlan {
        let shape = try inputs.required(0, "data").shape
        let rank = shape.count
        func clamp(_ value: Int) -> Int { min(max(value < 0 ? value + rank : value, 0), rank) }
        let from = clamp(start), to = clamp(end ?? rank)
        let dimensions = from < to ? shape[from..<to].map { Int64($0) } : []
        return .constants([ConstantTensor(shape: [dimensions.count], int64s: dimensions)])
    }
}

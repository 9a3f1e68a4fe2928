/// Cast. Shape arithmetic casts between int64 and float (folded during
/// planning); a cast of image data to a float type is just a view.
struct CastOperator: Operator {
    let target: ElementType

    init(_ attributes: NodeAttributes) throws(EngineError) {
        guard let to = try attributes.int("to") else { throw EngineError("Cast needs a 'to' attribute") }
        guard let target = elementType(ofONNXDataType: Int64(to)) else {
            throw EngineError("unsupported Cast target data type \(to)")
        }
        self.target = target
    }

    func plan(_ inputs: [PlannedValue?]) throws(EngineError) -> OperatorPlan {
        let input = try inputs.required(0, "input")
        if let constant = input.constant {
            return .constants([try constant.converted(to: target)])
        }
        guard target == .float else {
            throw EngineError("casting image data to an integer type is not supported")
        }
        return .view(shape: input.shape, elementType: .float)
    }
}

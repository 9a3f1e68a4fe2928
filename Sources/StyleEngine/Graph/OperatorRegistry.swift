/// Maps an ONNX op_type to the operator that implements it.
enum OperatorRegistry {
    static let supportedOpsets = 9...17

    /// The operator for `opType`, or nil when the engine does not implement it.
    static func makeOperator(opType: String, attributes: NodeAttributes, opset: Int) throws(EngineError) -> (any Operator)? {
        switch opType {
        case "Conv": return try ConvOperator(attributes)
        case "ConvTranspose": return try ConvTransposeOperator(attributes)
        case "InstanceNormalization": return try InstanceNormalizationOperator(attributes)
        case "BatchNormalization": return try BatchNormalizationOperator(attributes)
        case "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip", "Floor":
            return try ActivationOperator(opType: opType, attributes, opset: opset)
        case "Add", "Sub", "Mul", "Div": return try BinaryOperator(opType: opType)
        case "Pad": return try PadOperator(attributes, opset: opset)
        case "Upsample", "Resize": return try ResizeOperator(opType: opType, attributes, opset: opset)
        case "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity":
            return try ReshapeOperator(opType: opType, attributes, opset: opset)
        case "Constant": return try ConstantOperator(attributes)
        case "ConstantOfShape": return try ConstantOfShapeOperator(attributes)
        case "Shape": return try ShapeOperator(attributes)
        case "Gather": return try GatherOperator(attributes)
        case "Slice": return try SliceOperator(attributes, opset: opset)
        case "Concat": return try ConcatOperator(attributes)
        case "Transpose": return try TransposeOperator(attributes)
        case "Cast": return try CastOperator(attributes)
        case "QuantizeLinear": return try QuantizeLinearOperator(attributes, opset: opset)
        case "DequantizeLinear": return try DequantizeLinearOperator(attributes, opset: opset)
        case "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin": return try ReduceOperator(opType: opType, attributes, opset: opset)
        case "GlobalAveragePool": return GlobalAveragePoolOperator()
        case "Pow": return PowOperator()
        case "Sqrt", "Reciprocal", "Exp", "Log", "Neg", "Abs": return try UnaryOperator(opType: opType)
        default: return nil
        }
    }
}

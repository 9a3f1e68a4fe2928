/// What QuantizeLinear and DequantizeLinear share: the `axis` attribute, the
/// opset rule for per-axis parameters, and the checked scale and zero point.
struct QuantizationAxis: Sendable {
    let axis: Int
    /// Per-axis (1-D) scales came with opset 13.
    let perAxisAllowed: Bool

    init(_ attributes: NodeAttributes, opset: Int) throws(EngineError) {
        axis = try attributes.int("axis", default: 1)
        perAxisAllowed = opset >= 13
    }

    /// The data (input 0) and its parameters: `role`_scale (input 1) and the
    /// optional `role`_zero_point (input 2), checked against the data.
    func resolve(_ inputs: [PlannedValue?], role: String) throws(EngineError)
        -> (data: PlannedValue, parameters: QuantizationParameters) {
        let data = try inputs.required(0, "x")
        let parameters = try QuantizationParameters(
            data: data, scale: inputs.required(1, "\(role)_scale"), zeroPoint: inputs.optional(2),
            axis: axis, perAxisAllowed: perAxisAllowed, role: role)
        return (data, parameters)
    }
}

/// The scale and zero point of QuantizeLinear or DequantizeLinear, checked
/// against the data: per tensor (scalar or one-element scale) or per axis
/// (a 1-D scale as long as the data's `axis`).
struct QuantizationParameters: Sendable {
    let scales: [Float]
    /// Integers, exact as floats.
    let zeroPoints: [Float]
    /// The zero point's ONNX type: what y is (QuantizeLinear) or what x was (DequantizeLinear).
    let type: TensorProto.DataType
    /// 1 for per-tensor parameters; else the data's extent along the axis.
    let axisExtent: Int
    /// Elements after the axis (their run shares one scale).
    let innerCount: Int

    init(data: PlannedValue, scale scaleValue: PlannedValue, zeroPoint zeroPointValue: PlannedValue?,
         axis: Int, perAxisAllowed: Bool, role: String) throws(EngineError) {
        let scale = try scaleValue.constantValue("\(role)_scale")
        guard scale.elementType == .float else { throw EngineError("\(role)_scale must be a float tensor") }
        let zeroPoint = try zeroPointValue.map { value throws(EngineError) in try value.constantValue("\(role)_zero_point") }
        scales = scale.floats
        if let zeroPoint {
            guard zeroPoint.elementType == .int64, let type = zeroPoint.storedType else {
                throw EngineError("\(role)_zero_point must be an integer tensor stored in the model")
            }
            guard zeroPoint.count == scale.count else {
                throw EngineError("\(role)_zero_point has \(zeroPoint.count) values, \(role)_scale \(scale.count)")
            }
            self.type = type
            zeroPoints = try zeroPoint.int64s().map { Float($0) }
        } else {
            type = .uint8
            zeroPoints = [Float](repeating: 0, count: scale.count)
        }
        if scale.count == 1 && scale.shape.count <= 1 {
            // A scalar, or one value (as ONNX Runtime reads a [1] scale): per tensor.
            axisExtent = 1
            innerCount = 1
        } else {
            guard perAxisAllowed, scale.shape.count == 1 else {
                throw EngineError("\(role)_scale of shape \(scale.shape) is not supported (a scalar"
                                  + (perAxisAllowed ? ", or 1-D per axis)" : " before opset 13)"))
            }
            let position = try normalizedAxis(axis, rank: data.rank)
            guard scale.count == data.shape[position] else {
                throw EngineError("\(role)_scale has \(scale.count) values for axis \(axis) of size \(data.shape[position])")
            }
            axisExtent = scale.count
            innerCount = data.shape[(position + 1)...].reduce(1, *)
        }
    }

    /// The range a quantized value saturates to, or nil for types QuantizeLinear does not produce.
    var quantizedRange: ClosedRange<Int>? {
        switch type {
        case .uint8: 0...255
        case .int8: -128...127
        case .uint16: 0...65535
        case .int16: -32768...32767
        default: nil
        }
    }

    /// Calls `body(offset, length, scale, zeroPoint)` for each run of `count` elements that shares parameters.
    @inline(__always)
    func forEachRun(count: Int, _ body: (Int, Int, Float, Float) -> Void) {
        if axisExtent == 1 {
            body(0, count, scales[0], zeroPoints[0])
            return
        }
        var offset = 0, index = 0
        while offset < count {
            body(offset, innerCount, scales[index], zeroPoints[index])
            offset += innerCount
            index = index + 1 == axisExtent ? 0 : index + 1
        }
    }
}

/// QuantizeLinear (opsets 10 and 13): y = saturate(round(x / y_scale) + y_zero_point),
/// rounding half to even and saturating to the zero point's type (uint8 when
/// there is none). Scale and zero point are one pair for the tensor, or from
/// opset 13 one per index along `axis`. The engine keeps y as floats holding
/// the integers (exact for 8- and 16-bit types); DequantizeLinear reads them back.
struct QuantizeLinearOperator: Operator {
    let quantization: QuantizationAxis

    init(_ attributes: NodeAttributes, opset: Int) throws(EngineError) {
        quantization = try QuantizationAxis(attributes, opset: opset)
    }

    func plan(_ inputs: [PlannedValue?]) throws(EngineError) -> OperatorPlan {
        let (x, parameters) = try quantization.resolve(inputs, role: "y")
        guard let range = parameters.quantizedRange else {
            throw EngineError("cannot quantize to \(parameters.type) (supported: uint8, int8, uint16, int16)")
        }
        for scale in parameters.scales where !scale.isFinite || scale == 0 {
            throw EngineError("y_scale \(scale) must be finite and non-zero")
        }
        let kernel = QuantizeKernel(parameters: parameters, count: try elementCount(of: x.shape),
                                    low: Float(range.lowerBound), high: Float(range.upperBound))
        return .kernel(outputShapes: [x.shape], dataInputs: [0], kernel: kernel)
    }
}

struct QuantizeKernel: Kernel {
    let parameters: QuantizationParameters
    let count: Int
    let low: Float
    let high: Float

    var canRunInPlace: Bool { true }

    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>) {
        parameters.forEachRun(count: count) { offset, length, scale, zeroPoint in
            let x = inputs[0] + offset, y = outputs[0] + offset
            // Division, not multiplication by 1/scale: the spec (and ONNX Runtime) divide,
            // and the two differ at the rounding boundaries.
            for i in 0..<length {
                y[i] = min(max((x[i] / scale).rounded(.toNearestOrEven) + zeroPoint, low), high)
            }
        }
    }
}

/// DequantizeLinear (opsets 10 and 13): y = (x − x_zero_point) · x_scale, per
/// tensor or (opset 13) per index along `axis`. Quantized weights are constants,
/// so their dequantization folds during planning; activations (the output of a
/// QuantizeLinear, integers held as floats) run as a kernel.
struct DequantizeLinearOperator: Operator {
    let quantization: QuantizationAxis

    init(_ attributes: NodeAttributes, opset: Int) throws(EngineError) {
        quantization = try QuantizationAxis(attributes, opset: opset)
    }

    func plan(_ inputs: [PlannedValue?]) throws(EngineError) -> OperatorPlan {
        let (x, parameters) = try quantization.resolve(inputs, role: "x")
        for scale in parameters.scales where !scale.isFinite {
            throw EngineError("x_scale \(scale) must be finite")
        }
        if inputs.optional(2) != nil, let type = x.constant?.storedType, type != parameters.type {
            throw EngineError("x is \(type) but x_zero_point is \(parameters.type)")
        }
        return .kernel(outputShapes: [x.shape], dataInputs: [0],
                       kernel: DequantizeKernel(parameters: parameters, count: try elementCount(of: x.shape)))
    }
}

struct DequantizeKernel: Kernel {
    let parameters: QuantizationParameters
    let count: Int

    var canRunInPlace: Bool { true }

    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>) {
        parameters.forEachRun(count: count) { offset, length, scale, zeroPoint in
            let x = inputs[0] + offset, y = outputs[0] + offset
            // x − zero point is an exact integer, so y has the one rounding the spec has
            // (x·scale − zero point·scale would round twice).
            let width = FloatVector.scalarCount
            var i = 0
            while i + width <= length {
                storeVector((loadVector(x + i) - zeroPoint) * scale, y + i)
                i += width
            }
            while i < length {
                y[i] = (x[i] - zeroPoint) * scale
                i += 1
            }
        }
    }
}

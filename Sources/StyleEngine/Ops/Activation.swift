import Foundation

/// Element-wise functions of one tensor: Relu, LeakyRelu, Sigmoid, Tanh, Clip, Floor.
struct ActivationOperator: Operator {
    enum Function: Sendable {
        case relu
        case leakyRelu(alpha: Float)
        case sigmoid
        case tanh
        case floor
        case clip(min: Float, max: Float)
    }

    /// Clip's bounds come from attributes before opset 11 and from inputs 1 and 2 after.
    let function: Function
    let clipBoundsFromInputs: Bool

    init(opType: String, _ attributes: NodeAttributes, opset: Int) throws(EngineError) {
        clipBoundsFromInputs = opType == "Clip" && opset >= 11
        switch opType {
        case "Relu": function = .relu
        case "LeakyRelu": function = .leakyRelu(alpha: try attributes.float("alpha", default: 0.01))
        case "Sigmoid": function = .sigmoid
        case "Tanh": function = .tanh
        case "Floor": function = .floor
        case "Clip":
            function = .clip(min: try attributes.float("min", default: -.greatestFiniteMagnitude),
                             max: try attributes.float("max", default: .greatestFiniteMagnitude))
        default: throw EngineError("not an activation: \(opType)")
        }
    }

    func plan(_ inputs: [PlannedValue?]) throws(EngineError) -> OperatorPlan {
        let input = try inputs.required(0, "input")
        var function = self.function
        if clipBoundsFromInputs {
            func bound(_ index: Int, _ role: String, _ fallback: Float) throws(EngineError) -> Float {
                guard let value = inputs.optional(index) else { return fallback }
                let constant = try value.constantValue(role)
                guard constant.count == 1 else { throw EngineError("\(role) must be a scalar") }
                return constant.floats[0]
            }
            function = .clip(min: try bound(1, "min", -.greatestFiniteMagnitude), max: try bound(2, "max", .greatestFiniteMagnitude))
        }
        if input.elementType == .int64, let constant = input.constant {
            // Integer shape arithmetic (Clip, Floor, Relu of sizes) stays integer.
            let floats = ActivationKernel.apply(function, to: constant.floats)
            return .constants([try ConstantTensor(shape: input.shape, floats: floats).converted(to: .int64)])
        }
        return .kernel(outputShapes: [input.shape], dataInputs: [0],
                       kernel: ActivationKernel(function: function, count: try elementCount(of: input.shape)))
    }
}

struct ActivationKernel: Kernel {
    let function: ActivationOperator.Function
    let count: Int

    var canRunInPlace: Bool { true }

    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>) {
        Self.apply(function, inputs[0], outputs[0], count)
    }

    static func apply(_ function: ActivationOperator.Function, to values: [Float]) -> [Float] {
        var result = values
        values.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { destination in
                guard let input = source.baseAddress, let output = destination.baseAddress else { return }
                apply(function, input, output, values.count)
            }
        }
        return result
    }

    /// The switch sits outside the loops so each loop is a tight, vectorizable one.
    static func apply(_ function: ActivationOperator.Function, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        switch function {
        case .relu:
            for i in 0..<count { y[i] = max(x[i], 0) }
        case .leakyRelu(let alpha):
            for i in 0..<count { y[i] = x[i] < 0 ? x[i] * alpha : x[i] }
        case .clip(let low, let high):
            for i in 0..<count { y[i] = min(max(x[i], low), high) }
        case .floor:
            for i in 0..<count { y[i] = x[i].rounded(.down) }
        case .sigmoid:
            for i in 0..<count { y[i] = 1 / (1 + Foundation.exp(-x[i])) }
        case .tanh:
            for i in 0..<count { y[i] = Foundation.tanh(x[i]) }
        }
    }
}

import Foundation

/// Element-wise math of one tensor: Sqrt, Reciprocal, Exp, Log, Neg, Abs.
/// (The activations, Relu to Clip, are in Activation.swift.) Neg and Abs of
/// integer constants fold with integer semantics; the rest compute in float.
struct UnaryOperator: Operator {
    enum Function: Sendable { case sqrt, reciprocal, exp, log, negate, absolute }

    let function: Function

    init(opType: String) throws(EngineError) {
        switch opType {
        case "Sqrt": function = .sqrt
        case "Reciprocal": function = .reciprocal
        case "Exp": function = .exp
        case "Log": function = .log
        case "Neg": function = .negate
        case "Abs": function = .absolute
        default: throw EngineError("not an element-wise function: \(opType)")
        }
    }

    func plan(_ inputs: [PlannedValue?]) throws(EngineError) -> OperatorPlan {
        let input = try inputs.required(0, "X")
        if let constant = input.constant, constant.elementType == .int64, function == .negate || function == .absolute {
            let values = try constant.int64s().map { function == .negate ? 0 &- $0 : ($0 < 0 ? 0 &- $0 : $0) }
            return .constants([ConstantTensor(shape: input.shape, int64s: values)])
        }
        return .kernel(outputShapes: [input.shape], dataInputs: [0],
                       kernel: UnaryKernel(function: function, count: try elementCount(of: input.shape)))
    }
}

struct UnaryKernel: Kernel {
    let function: UnaryOperator.Function
    let count: Int

    var canRunInPlace: Bool { true }

    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>) {
        let (x, y) = (inputs[0], outputs[0])
        switch function {
        case .sqrt: for i in 0..<count { y[i] = x[i].squareRoot() }
        case .reciprocal: for i in 0..<count { y[i] = 1 / x[i] }
        case .exp: for i in 0..<count { y[i] = Foundation.exp(x[i]) }
        case .log: for i in 0..<count { y[i] = Foundation.log(x[i]) }
        case .negate: for i in 0..<count { y[i] = -x[i] }
        case .absolute: for i in 0..<count { y[i] = abs(x[i]) }
        }
    }
}

import Foundation

/// Pow: X raised to Y, with numpy broadcasting. A constant scalar exponent of
/// 1, 2 or 3 is computed by multiplication (as ONNX Runtime does, so the
/// roundings match); anything else by pow. Integer constants (shape
/// arithmetic) fold, the result keeping X's integer type.
struct PowOperator: Operator {
    func plan(_ inputs: [PlannedValue?]) throws(EngineError) -> OperatorPlan {
        let x = try inputs.required(0, "X"), y = try inputs.required(1, "Y")
        let layout = try BroadcastLayout(x.shape, y.shape)
        if let base = x.constant, let exponent = y.constant, base.elementType == .int64 {
            let bases = base.floats, exponents = exponent.floats
            var result = [Float](repeating: 0, count: try elementCount(of: layout.outputShape))
            bases.withUnsafeBufferPointer { a in
                exponents.withUnsafeBufferPointer { b in
                    result.withUnsafeMutableBufferPointer { out in
                        guard let a = a.baseAddress, let b = b.baseAddress, let out = out.baseAddress else { return }
                        layout.apply(a, b, out) { Float(Foundation.pow(Double($0), Double($1))) }
                    }
                }
            }
            return .constants([try ConstantTensor(shape: layout.outputShape, floats: result).converted(to: .int64)])
        }
        var exponent: PowKernel.Exponent = .general
        if let constant = y.constant, constant.count == 1, layout.outputShape == x.shape {
            switch constant.floats[0] {
            case 1: exponent = .one
            case 2: exponent = .two
            case 3: exponent = .three
            default: break
            }
        }
        let kernel = PowKernel(layout: layout, exponent: exponent, count: try elementCount(of: layout.outputShape),
                               inPlace: x.shape == layout.outputShape)
        return .kernel(outputShapes: [layout.outputShape], dataInputs: exponent == .general ? [0, 1] : [0], kernel: kernel)
    }
}

struct PowKernel: Kernel {
    enum Exponent: Sendable { case one, two, three, general }

    let layout: BroadcastLayout
    let exponent: Exponent
    let count: Int
    let inPlace: Bool

    var canRunInPlace: Bool { inPlace }

    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>) {
        let (x, y) = (inputs[0], outputs[0])
        switch exponent {
        case .one: if UnsafePointer(y) != x { y.update(from: x, count: count) }
        case .two: for i in 0..<count { y[i] = x[i] * x[i] }
        case .three: for i in 0..<count { y[i] = x[i] * x[i] * x[i] }
        case .general: layout.apply(x, inputs[1], y) { Foundation.pow($0, $1) }
        }
    }
}

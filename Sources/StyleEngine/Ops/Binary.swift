/// Add, Sub, Mul, Div with numpy broadcasting. On int64 shape tensors they
/// fold during planning (integer semantics: wrapping, truncating division);
/// on floats they run as a kernel.
struct BinaryOperator: Operator {
    enum Function: Sendable { case add, subtract, multiply, divide }

    let function: Function

    init(opType: String) throws(EngineError) {
        switch opType {
        case "Add": function = .add
        case "Sub": function = .subtract
        case "Mul": function = .multiply
        case "Div": function = .divide
        default: throw EngineError("not a binary operator: \(opType)")
        }
    }

    func plan(_ inputs: [PlannedValue?]) throws(EngineError) -> OperatorPlan {
        let a = try inputs.required(0, "A"), b = try inputs.required(1, "B")
        let layout = try BroadcastLayout(a.shape, b.shape)
        if let left = a.constant, let right = b.constant, a.elementType == .int64, b.elementType == .int64 {
            return .constants([try foldIntegers(left, right, layout)])
        }
        return .kernel(outputShapes: [layout.outputShape], dataInputs: [0, 1],
                       kernel: BinaryKernel(function: function, layout: layout, inPlace: a.shape == layout.outputShape))
    }

    private func foldIntegers(_ a: ConstantTensor, _ b: ConstantTensor, _ layout: BroadcastLayout) throws(EngineError) -> ConstantTensor {
        let left = try a.int64s(), right = try b.int64s()
        if function == .divide && right.contains(0) { throw EngineError("integer division by zero") }
        var result = [Int64](repeating: 0, count: try elementCount(of: layout.outputShape))
        left.withUnsafeBufferPointer { l in
            right.withUnsafeBufferPointer { r in
                result.withUnsafeMutableBufferPointer { out in
                    guard let l = l.baseAddress, let r = r.baseAddress, let out = out.baseAddress else { return }
                    switch function {
                    case .add: layout.apply(l, r, out) { $0 &+ $1 }
                    case .subtract: layout.apply(l, r, out) { $0 &- $1 }
                    case .multiply: layout.apply(l, r, out) { $0 &* $1 }
                    case .divide: layout.apply(l, r, out) { $1 == -1 ? 0 &- $0 : $0 / $1 }
                    }
                }
            }
        }
        return ConstantTensor(shape: layout.outputShape, int64s: result)
    }
}

struct BinaryKernel: Kernel {
    let function: BinaryOperator.Function
    let layout: BroadcastLayout
    let inPlace: Bool

    var canRunInPlace: Bool { inPlace }

    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>) {
        let (a, b, out) = (inputs[0], inputs[1], outputs[0])
        switch function {
        case .add: layout.apply(a, b, out, +)
        case .subtract: layout.apply(a, b, out, -)
        case .multiply: layout.apply(a, b, out, *)
        case .divide: layout.apply(a, b, out, /)
        }
    }
}

/// How two shapes broadcast, with adjacent axes merged where both operands
/// walk them the same way, so the inner loop is as long as possible.
struct BroadcastLayout: Sendable {
    let outputShape: [Int]
    /// Merged axes and each operand's stride along them (0 = broadcast).
    private let extents: [Int]
    private let stridesA: [Int]
    private let stridesB: [Int]
    private let outputStrides: [Int]

    init(_ a: [Int], _ b: [Int]) throws(EngineError) {
        let rank = max(a.count, b.count)
        let paddedA = [Int](repeating: 1, count: rank - a.count) + a
        let paddedB = [Int](repeating: 1, count: rank - b.count) + b
        var output: [Int] = []
        for (x, y) in zip(paddedA, paddedB) {
            guard x == y || x == 1 || y == 1 else { throw EngineError("shapes \(a) and \(b) do not broadcast") }
            output.append(x == 1 ? y : x)
        }
        outputShape = output
        let fullA = contiguousStrides(paddedA), fullB = contiguousStrides(paddedB)
        var extents: [Int] = [], stridesA: [Int] = [], stridesB: [Int] = []
        for axis in 0..<rank where output[axis] != 1 {
            let strideA = paddedA[axis] == 1 ? 0 : fullA[axis]
            let strideB = paddedB[axis] == 1 ? 0 : fullB[axis]
            let previous = extents.count - 1
            if previous >= 0, stridesA[previous] == strideA * output[axis], stridesB[previous] == strideB * output[axis] {
                // The previous axis steps over exactly this one: merge them.
                extents[previous] *= output[axis]
                stridesA[previous] = strideA
                stridesB[previous] = strideB
            } else {
                extents.append(output[axis])
                stridesA.append(strideA)
                stridesB.append(strideB)
            }
        }
        self.extents = extents
        self.stridesA = stridesA
        self.stridesB = stridesB
        outputStrides = contiguousStrides(extents)
    }

    /// out[i] = f(a[i'], b[i'']) over the broadcast index space.
    @inline(__always)
    func apply<T>(_ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, _ f: (T, T) -> T) {
        guard !extents.isEmpty else {
            out[0] = f(a[0], b[0])
            return
        }
        if outputShape.contains(0) { return }
        func walk(_ axis: Int, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>) {
            let extent = extents[axis]
            if axis == extents.count - 1 {
                // Innermost run; the three common stride patterns get their own loops.
                switch (stridesA[axis], stridesB[axis]) {
                case (1, 1): for i in 0..<extent { out[i] = f(a[i], b[i]) }
                case (1, 0): let y = b[0]; for i in 0..<extent { out[i] = f(a[i], y) }
                case (0, 1): let x = a[0]; for i in 0..<extent { out[i] = f(x, b[i]) }
                case let (sa, sb): for i in 0..<extent { out[i] = f(a[i * sa], b[i * sb]) }
                }
                return
            }
            for i in 0..<extent {
                walk(axis + 1, a + i * stridesA[axis], b + i * stridesB[axis], out + i * outputStrides[axis])
            }
        }
        walk(0, a, b, out)
    }
}

/// Concat along one axis. In exported graphs it mostly joins shape vectors
/// (folded during planning); at run time it copies each input into its band.
struct ConcatOperator: Operator {
    let axis: Int

    init(_ attributes: NodeAttributes) throws(EngineError) {
        guard let axis = try attributes.int("axis") else { throw EngineError("Concat needs an 'axis' attribute") }
        self.axis = axis
    }

    func plan(_ inputs: [PlannedValue?]) throws(EngineError) -> OperatorPlan {
        var values: [PlannedValue] = []
        var indices: [Int] = []
        for (index, input) in inputs.enumerated() {
            if let input {
                values.append(input)
                indices.append(index)
            }
        }
        guard let first = values.first else { throw EngineError("Concat has no inputs") }
        let axis = try normalizedAxis(self.axis, rank: first.rank)
        var outputShape = first.shape
        outputShape[axis] = 0
        for value in values {
            guard value.rank == first.rank else { throw EngineError("inputs differ in rank") }
            for k in 0..<first.rank where k != axis && value.shape[k] != first.shape[k] {
                throw EngineError("input shapes \(first.shape) and \(value.shape) differ outside axis \(axis)")
            }
            outputShape[axis] += value.shape[axis]
        }
        return try Concatenation(inputShapes: values.map(\.shape), axis: axis, outputShape: outputShape)
            .plan(moving: values, dataInputs: indices)
    }
}

struct Concatenation: DataMovement {
    let inputShapes: [[Int]]
    let outputShape: [Int]
    private let inputStrides: [[Int]]
    private let outputStrides: [Int]
    /// Where each input's band starts in the output.
    private let offsets: [Int]

    init(inputShapes: [[Int]], axis: Int, outputShape: [Int]) {
        self.inputShapes = inputShapes
        self.outputShape = outputShape
        inputStrides = inputShapes.map(contiguousStrides)
        let outputStrides = contiguousStrides(outputShape)
        self.outputStrides = outputStrides
        var offsets: [Int] = [], position = 0
        for shape in inputShapes {
            offsets.append(position * outputStrides[axis])
            position += shape[axis]
        }
        self.offsets = offsets
    }

    func move<T>(_ inputs: [UnsafePointer<T>], into output: UnsafeMutablePointer<T>) {
        for k in 0..<inputs.count {
            stridedCopy(from: inputs[k], sourceStrides: inputStrides[k],
                        to: output + offsets[k], destinationStrides: outputStrides, shape: inputShapes[k])
        }
    }
}

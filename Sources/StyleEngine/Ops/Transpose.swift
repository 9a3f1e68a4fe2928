/// Transpose: permutes axes (default: reverses them).
struct TransposeOperator: Operator {
    let permutation: [Int]?

    init(_ attributes: NodeAttributes) throws(EngineError) {
        permutation = try attributes.ints("perm")
    }

    func plan(_ inputs: [PlannedValue?]) throws(EngineError) -> OperatorPlan {
        let data = try inputs.required(0, "data")
        let rank = data.rank
        let permutation = self.permutation ?? Array((0..<rank).reversed())
        guard permutation.count == rank, Set(permutation) == Set(0..<rank) else {
            throw EngineError("perm \(permutation) is not a permutation of \(rank) axes")
        }
        return try AxisPermutation(inputShape: data.shape, permutation: permutation).plan(moving: [data], dataInputs: [0])
    }
}

struct AxisPermutation: DataMovement {
    let outputShape: [Int]
    private let sourceStrides: [Int]
    private let destinationStrides: [Int]

    init(inputShape: [Int], permutation: [Int]) {
        let inputStrides = contiguousStrides(inputShape)
        outputShape = permutation.map { inputShape[$0] }
        sourceStrides = permutation.map { inputStrides[$0] }
        destinationStrides = contiguousStrides(outputShape)
    }

    func move<T>(_ inputs: [UnsafePointer<T>], into output: UnsafeMutablePointer<T>) {
        stridedCopy(from: inputs[0], sourceStrides: sourceStrides,
                    to: output, destinationStrides: destinationStrides, shape: outputShape)
    }
}

/// Shared machinery of the operators that only move elements around (Slice,
/// Transpose, Concat, Gather). Each describes its move once, generically, and
/// the same code folds integer shape tensors during planning and copies float
/// activations at run time.
protocol DataMovement: Sendable {
    var outputShape: [Int] { get }
    func move<T>(_ inputs: [UnsafePointer<T>], into output: UnsafeMutablePointer<T>)
}

extension DataMovement {
    /// Folds when every moved input is constant, otherwise plans a kernel.
    /// `dataInputs` are the node inputs being moved, in the order `move` takes them.
    func plan(moving values: [PlannedValue], dataInputs: [Int]) throws(EngineError) -> OperatorPlan {
        let count = try elementCount(of: outputShape)
        let constants = values.compactMap(\.constant)
        guard constants.count == values.count else {
            return .kernel(outputShapes: [outputShape], dataInputs: dataInputs, kernel: DataMovementKernel(movement: self))
        }
        // Mixed integer/float inputs (not valid ONNX, but cheap to tolerate) move as floats.
        if constants.allSatisfy({ $0.elementType == .int64 }) {
            let sources = constants.compactMap { constant -> TensorStorage<Int64>? in
                if case .int64(let storage) = constant.elements { return storage } else { return nil }
            }
            let result = TensorStorage<Int64>(count: count, repeating: 0)
            move(sources.map { UnsafePointer($0.pointer) }, into: result.pointer)
            return .constants([ConstantTensor(shape: outputShape, elements: .int64(result))])
        }
        let sources = constants.map(\.floatStorage)
        let result = TensorStorage<Float>(count: count, repeating: 0)
        move(sources.map { UnsafePointer($0.pointer) }, into: result.pointer)
        return .constants([ConstantTensor(shape: outputShape, elements: .float(result))])
    }
}

struct DataMovementKernel<Movement: DataMovement>: Kernel {
    let movement: Movement

    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>) {
        movement.move(inputs, into: outputs[0])
    }
}

/// Copies an N-D box of elements: for every index i within `shape`,
/// `destination[Σ i·destinationStrides] = source[Σ i·sourceStrides]` (offsets
/// already applied to the pointers). Contiguous innermost runs become memcpy.
func stridedCopy<T>(
    from source: UnsafePointer<T>, sourceStrides: [Int],
    to destination: UnsafeMutablePointer<T>, destinationStrides: [Int], shape: [Int]
) {
    guard !shape.contains(0) else { return }
    guard !shape.isEmpty else {
        destination.pointee = source.pointee
        return
    }
    func copy(axis: Int, _ source: UnsafePointer<T>, _ destination: UnsafeMutablePointer<T>) {
        let extent = shape[axis]
        let sourceStride = sourceStrides[axis], destinationStride = destinationStrides[axis]
        if axis == shape.count - 1 {
            if sourceStride == 1 && destinationStride == 1 {
                destination.update(from: source, count: extent)
            } else {
                for k in 0..<extent { destination[k * destinationStride] = source[k * sourceStride] }
            }
            return
        }
        for k in 0..<extent {
            copy(axis: axis + 1, source + k * sourceStride, destination + k * destinationStride)
        }
    }
    copy(axis: 0, source, destination)
}

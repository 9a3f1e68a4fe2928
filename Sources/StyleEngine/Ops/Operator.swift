/// The contract between graph planning and the operators.
///
/// Planning walks the graph once per input size. For each node it hands the
/// operator what is known about the inputs (shapes, and values where they are
/// constant) and the operator answers with an `OperatorPlan`: values it could
/// compute right away, a view of its input under a new shape, or a `Kernel`
/// that will run every frame on float buffers.

/// What planning knows about a value.
struct PlannedValue {
    let shape: [Int]
    let elementType: ElementType
    /// The value itself when it does not depend on the image.
    let constant: ConstantTensor?

    init(shape: [Int], elementType: ElementType, constant: ConstantTensor? = nil) {
        self.shape = shape
        self.elementType = elementType
        self.constant = constant
    }

    init(_ constant: ConstantTensor) {
        self.init(shape: constant.shape, elementType: constant.elementType, constant: constant)
    }

    var rank: Int { shape.count }

    /// The constant value; throws for data known only at run time.
    func constantValue(_ role: String) throws(EngineError) -> ConstantTensor {
        guard let constant else {
            throw EngineError("\(role) must be a constant (or computable from shapes), but depends on the image")
        }
        return constant
    }
}

enum OperatorPlan {
    /// The outputs, computed during planning.
    case constants([ConstantTensor])
    /// Output 0 is input 0's data under another shape and/or element type (Reshape, Identity, ...).
    case view(shape: [Int], elementType: ElementType)
    /// A kernel to run every frame. `dataInputs` are the node's input indices
    /// the kernel reads, in the order it receives them.
    case kernel(outputShapes: [[Int]], dataInputs: [Int], kernel: any Kernel)
}

protocol Operator: Sendable {
    func plan(_ inputs: [PlannedValue?]) throws(EngineError) -> OperatorPlan
    /// The same, for a session whose weight multiplications run `arithmetic`: operators that
    /// multiply by constant weights implement it; the others plan as in fp32.
    func plan(_ inputs: [PlannedValue?], arithmetic: GEMMArithmetic) throws(EngineError) -> OperatorPlan
}

extension Operator {
    func plan(_ inputs: [PlannedValue?], arithmetic: GEMMArithmetic) throws(EngineError) -> OperatorPlan {
        try plan(inputs)
    }
}

/// Work done every frame on float buffers. A kernel is built for one set of
/// input shapes and may precompute anything that depends only on them.
protocol Kernel {
    /// Floats of scratch memory one thread of `run` needs (shared between the
    /// steps of a plan). A parallel run gives each thread its own region this
    /// large: see `ParallelContext.scratch(_:thread:)`.
    var scratchCount: Int { get }
    /// True when output 0 may be the same buffer as input 0 (element-wise kernels).
    var canRunInPlace: Bool { get }
    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>)
    /// The same work, optionally split over the session's threads with
    /// `parallel.forEach`. `scratch` is thread 0's region. Kernels that do not
    /// split their work need not implement this: the default runs `run(inputs:outputs:scratch:)`.
    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>,
             parallel: ParallelContext)
}

extension Kernel {
    var scratchCount: Int { 0 }
    var canRunInPlace: Bool { false }

    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>,
             parallel: ParallelContext) {
        run(inputs: inputs, outputs: outputs, scratch: scratch)
    }
}

// MARK: Helpers shared by the operators

extension Array where Element == PlannedValue? {
    /// A required input.
    func required(_ index: Int, _ role: String) throws(EngineError) -> PlannedValue {
        guard index < count, let value = self[index] else { throw EngineError("missing input \(index) (\(role))") }
        return value
    }

    /// An optional input: nil when absent or named "".
    func optional(_ index: Int) -> PlannedValue? {
        index < count ? self[index] : nil
    }
}

/// Normalizes a possibly negative axis against `rank`.
func normalizedAxis(_ axis: Int, rank: Int) throws(EngineError) -> Int {
    let normalized = axis < 0 ? axis + rank : axis
    guard normalized >= 0, normalized < rank else { throw EngineError("axis \(axis) is out of range for rank \(rank)") }
    return normalized
}

/// Row-major strides of a shape.
func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var step = 1
    for axis in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[axis] = step
        step *= shape[axis]
    }
    return strides
}

/// Requires a 4-D NCHW float tensor with batch size 1 (what the image kernels handle).
func requireImage(_ value: PlannedValue, _ role: String) throws(EngineError) -> (channels: Int, height: Int, width: Int) {
    guard value.rank == 4 else { throw EngineError("\(role) must be 4-D (N, C, H, W), got shape \(value.shape)") }
    guard value.shape[0] == 1 else { throw EngineError("\(role) has batch size \(value.shape[0]); only 1 is supported") }
    return (value.shape[1], value.shape[2], value.shape[3])
}

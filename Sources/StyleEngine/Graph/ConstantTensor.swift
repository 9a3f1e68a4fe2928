/// Limits on sizes that come from model files, checked before anything is allocated.
enum Limits {
    /// 2^28 floats is 1 GiB, more than any activation of a 4K frame needs.
    static let maximumElements = 1 << 28
    static let maximumRank = 8
}

/// The number of elements of `shape`, validated: no negative dimension, no
/// overflow, no more than `Limits.maximumElements`.
func elementCount(of shape: [Int]) throws(EngineError) -> Int {
    guard shape.count <= Limits.maximumRank else { throw EngineError("tensor rank \(shape.count) exceeds \(Limits.maximumRank)") }
    var count = 1
    for dimension in shape {
        guard dimension >= 0 else { throw EngineError("negative dimension in shape \(shape)") }
        let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
        guard !overflow, product <= Limits.maximumElements else {
            throw EngineError("tensor of shape \(shape) is too large")
        }
        count = product
    }
    return count
}

/// Elements owned by a class, so that kernels can hold stable pointers to
/// constant data (weights) while the plans that use them live. Immutable once
/// filled, so one storage can be shared by many sessions and threads.
final class TensorStorage<Element>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Element>
    let count: Int

    init(count: Int, repeating value: Element) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: value, count: count)
    }

    convenience init(_ array: [Element], zero: Element) {
        self.init(count: array.count, repeating: zero)
        array.withUnsafeBufferPointer { source in
            guard let base = source.baseAddress else { return }
            pointer.update(from: base, count: count)
        }
    }

    deinit {
        pointer.deinitialize(count: count)
        pointer.deallocate()
    }

    var buffer: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: pointer, count: count) }
    var mutableBuffer: UnsafeMutableBufferPointer<Element> { UnsafeMutableBufferPointer(start: pointer, count: count) }
    var array: [Element] { Array(buffer) }
}

/// The two element types the engine computes with. Integer types of a model
/// (shape arithmetic, indices) become int64; floating types become float.
enum ElementType: Sendable {
    case float
    case int64
}

/// A tensor whose value is known before the image is: an initializer, a
/// Constant, or anything folded from them during planning.
struct ConstantTensor: Sendable {
    enum Elements: Sendable {
        case float(TensorStorage<Float>)
        case int64(TensorStorage<Int64>)
    }

    let shape: [Int]
    /// Kept as a plain reference and its type, not as `Elements`: a multi-payload enum tags its
    /// `.int64` reference with spare pointer bits, which LeakSanitizer cannot follow, so every
    /// int64 constant of a live model was reported as leaked.
    private let storage: any AnyObject & Sendable
    private let isFloat: Bool
    /// The ONNX type the data was stored as, for tensors read from the file
    /// (QuantizeLinear saturates to its zero point's type: int8, uint8, ...).
    var storedType: TensorProto.DataType?

    init(shape: [Int], elements: Elements) {
        self.shape = shape
        switch elements {
        case .float(let floats): storage = floats; isFloat = true
        case .int64(let ints): storage = ints; isFloat = false
        }
    }

    var elements: Elements {
        isFloat ? .float(unsafeDowncast(storage, to: TensorStorage<Float>.self))
                : .int64(unsafeDowncast(storage, to: TensorStorage<Int64>.self))
    }

    init(shape: [Int], floats: [Float]) {
        self.init(shape: shape, elements: .float(TensorStorage(floats, zero: 0)))
    }

    init(shape: [Int], int64s: [Int64]) {
        self.init(shape: shape, elements: .int64(TensorStorage(int64s, zero: 0)))
    }

    var elementType: ElementType {
        switch elements {
        case .float: .float
        case .int64: .int64
        }
    }

    var count: Int {
        switch elements {
        case .float(let storage): storage.count
        case .int64(let storage): storage.count
        }
    }

    /// The same elements under another shape of the same size.
    func reshaped(_ newShape: [Int]) -> ConstantTensor {
        var result = ConstantTensor(shape: newShape, elements: elements)
        result.storedType = storedType
        return result
    }

    /// The elements as floats; integer tensors are converted.
    var floatStorage: TensorStorage<Float> {
        switch elements {
        case .float(let storage): return storage
        case .int64(let storage):
            let converted = TensorStorage<Float>(count: storage.count, repeating: 0)
            for k in 0..<storage.count { converted.pointer[k] = Float(storage.pointer[k]) }
            return converted
        }
    }

    var floats: [Float] { floatStorage.array }

    /// The elements as integers; float tensors must hold finite values in range.
    func int64s() throws(EngineError) -> [Int64] {
        switch elements {
        case .int64(let storage): return storage.array
        case .float(let storage):
            var values: [Int64] = []
            values.reserveCapacity(storage.count)
            for value in storage.buffer { values.append(try checkedInt64(value)) }
            return values
        }
    }

    /// The elements as Ints (shapes, axes, indices), clamped to ±2^40 so arithmetic on them cannot overflow.
    func ints() throws(EngineError) -> [Int] {
        try int64s().map(clampedInt)
    }

    /// Converts to the given element type (truncating floats toward zero).
    func converted(to type: ElementType) throws(EngineError) -> ConstantTensor {
        switch (elements, type) {
        case (.float, .float), (.int64, .int64): return self
        case (.int64, .float): return ConstantTensor(shape: shape, elements: .float(floatStorage))
        case (.float, .int64): return ConstantTensor(shape: shape, int64s: try int64s())
        }
    }
}

/// Float to integer without trapping on NaN, infinity or out-of-range values.
func checkedInt64(_ value: Float) throws(EngineError) -> Int64 {
    guard value.isFinite, value > -9.2e18, value < 9.2e18 else {
        throw EngineError("value \(value) cannot be converted to an integer")
    }
    return Int64(value.rounded(.towardZero))
}

/// Int64 from a file to Int for sizes, clamped so arithmetic on it cannot overflow.
/// Values outside ±2^40 are never meaningful sizes, but Slice uses INT64_MAX for "to the end".
func clampedInt(_ value: Int64) -> Int {
    Int(max(min(value, 1 << 40), -(1 << 40)))
}

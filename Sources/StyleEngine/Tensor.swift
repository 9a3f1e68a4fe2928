/// A dense float tensor passed to the model as an extra graph input.
public struct Tensor: Sendable {
    public var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        self.shape = shape
        self.data = data
    }
}

/// The first graph output of a run, as a planar (CHW) image.
/// `pixels` belongs to the session and stays valid until its next run().
public struct ImageOutput {
    public let pixels: UnsafeBufferPointer<Float>
    public let channels: Int
    public let height: Int
    public let width: Int
}

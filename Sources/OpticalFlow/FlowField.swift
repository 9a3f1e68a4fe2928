/// A dense motion field: for each pixel (x, y) of one image, the displacement
/// (u, v) in pixels to where that content is in the other image. Planar, row-major.
public struct FlowField: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var u: [Float]
    public var v: [Float]

    public init(width: Int, height: Int, u: [Float], v: [Float]) {
        precondition(u.count == width * height && v.count == width * height, "flow planes must be width×height")
        self.width = width
        self.height = height
        self.u = u
        self.v = v
    }

    /// A field of zero motion.
    public init(zeroWidth width: Int, height: Int) {
        self.init(width: width, height: height,
                  u: [Float](repeating: 0, count: width * height), v: [Float](repeating: 0, count: width * height))
    }
}

/// A single-channel float image (luminance 0…255 for flow), row-major.
public struct GrayImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [Float]

    public init(width: Int, height: Int, pixels: [Float]) {
        precondition(pixels.count == width * height, "pixels must be width×height")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

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

extension FlowField {
    /// The flow the other way, found from this one alone: each pixel's motion, negated, pushed to
    /// where it lands in the other image (bilinear weights) and averaged with whatever else lands
    /// there. Where one thing lands, its reverse agrees with it; where two with different motions land
    /// on the same place (one covers the other), the average agrees with neither. Where more than
    /// `crowding` pixels' worth lands, even with alike motions (a smooth flow dragged over what
    /// was uncovered squeezes it onto the place beside), the reverse is NaN: no one motion lands there.
    /// A consistency test that samples the reverse where this flow points then flags both. Places
    /// nothing lands on hold no motion; such a test never reads them at a non-zero weight.
    public func reversed(crowding: Float = .infinity) -> FlowField {
        let n = width * height, w = width, h = height
        // Sums of the landing motions and of their weights, side by side per place.
        var sums = [SIMD4<Float>](repeating: .zero, count: n)
        u.withUnsafeBufferPointer { u in
            v.withUnsafeBufferPointer { v in
                sums.withUnsafeMutableBufferPointer { sums in
                    for y in 0..<h {
                        for x in 0..<w {
                            let i = y * w + x
                            let tx = Float(x) + u[i], ty = Float(y) + v[i]
                            guard tx > -1, ty > -1, tx < Float(w), ty < Float(h) else { continue }
                            let x0 = Int(tx + 1) - 1, y0 = Int(ty + 1) - 1   // floor, as tx, ty > −1
                            let fx = tx - Float(x0), fy = ty - Float(y0)
                            let motion = SIMD4<Float>(-u[i], -v[i], 1, 0)
                            if y0 >= 0 {
                                if x0 >= 0 { sums[y0 * w + x0] += motion * ((1 - fx) * (1 - fy)) }
                                if x0 + 1 < w { sums[y0 * w + x0 + 1] += motion * (fx * (1 - fy)) }
                            }
                            if y0 + 1 < h {
                                if x0 >= 0 { sums[(y0 + 1) * w + x0] += motion * ((1 - fx) * fy) }
                                if x0 + 1 < w { sums[(y0 + 1) * w + x0 + 1] += motion * (fx * fy) }
                            }
                        }
                    }
                }
            }
        }
        var ru = [Float](repeating: 0, count: n), rv = ru
        for (j, sum) in sums.enumerated() where sum.z > 0 {
            (ru[j], rv[j]) = sum.z > crowding ? (.nan, .nan) : (sum.x / sum.z, sum.y / sum.z)
        }
        return FlowField(width: width, height: height, u: ru, v: rv)
    }
}

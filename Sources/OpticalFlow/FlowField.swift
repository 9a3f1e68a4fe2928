import CKernels

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
        let n = width * height
        var sums = [Float](repeating: 0, count: 3 * n), ru = [Float](repeating: 0, count: n), rv = ru
        u.withUnsafeBufferPointer { u in
            v.withUnsafeBufferPointer { v in
                sums.withUnsafeMutableBufferPointer { sums in
                    ru.withUnsafeMutableBufferPointer { ru in
                        rv.withUnsafeMutableBufferPointer { rv in
                            stylize_reverse_flow(u.baseAddress!, v.baseAddress!, Int32(width), Int32(height), crowding,
                                                 sums.baseAddress!, ru.baseAddress!, rv.baseAddress!)
                        }
                    }
                }
            }
        }
        return FlowField(width: width, height: height, u: ru, v: rv)
    }
}

extension FlowField {
    /// The field on a grid `step` times coarser: pixel (X, Y) takes pixel (step·X, step·Y)'s motion,
    /// in that grid's pixels (divided by `step`). For a field upsampled bilinearly from that grid
    /// (`DISSettings.finestScale`), the field it was upsampled from.
    public func subsampled(by step: Int) -> FlowField {
        precondition(step >= 1, "step must be at least 1")
        let W = (width + step - 1) / step, H = (height + step - 1) / step
        var su = [Float](repeating: 0, count: W * H), sv = su
        let inv = 1 / Float(step)
        for Y in 0..<H {
            for X in 0..<W {
                let i = Y * step * width + X * step
                su[Y * W + X] = u[i] * inv
                sv[Y * W + X] = v[i] * inv
            }
        }
        return FlowField(width: W, height: H, u: su, v: sv)
    }
}

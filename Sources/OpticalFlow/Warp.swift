import CKernels

/// Bilinear backward warping of planar (CHW) float images along a flow field.
///
/// `output(x, y) = input(x + u(x, y), y + v(x, y))` for every channel. The flow is
/// defined on the *output* grid (the frame the result is aligned to) and points to
/// where the content is found in the input. Samples are bilinear with the source
/// coordinate clamped to the image, so a sample that fell outside still produces a
/// (border-replicated) value; the validity mask says which ones did.
public enum Warp {
    /// Validity value for a sample whose source point lies inside the image.
    public static let validValue: Float = 1
    /// Validity value for a sample whose source point fell outside the image
    /// (or whose flow was not finite).
    public static let invalidValue: Float = 0

    /// Warps `channels` planes of `width × height` floats from `image` into `output`.
    ///
    /// - Parameters:
    ///   - image: `channels * width * height` floats, channel planes one after another.
    ///   - flow: a field of exactly `width × height`, defined on the output grid.
    ///   - output: room for `channels * width * height` floats; must not overlap `image`.
    ///     Sizes cannot be checked through pointers: Swift arrays should use the
    ///     `reusing:` overload.
    ///   - valid: optional room for `width * height` floats: 1 where the source point
    ///     `(x + u, y + v)` lies within `[0, width-1] × [0, height-1]`, else 0.
    /// No allocation happens here.
    public static func backward(planar image: UnsafePointer<Float>, channels: Int, width: Int, height: Int,
                                flow: FlowField,
                                into output: UnsafeMutablePointer<Float>,
                                valid: UnsafeMutablePointer<Float>? = nil) {
        precondition(channels >= 1 && width >= 1 && height >= 1, "image must be non-empty")
        precondition(flow.width == width && flow.height == height, "flow must match the image size")
        flow.u.withUnsafeBufferPointer { u in
            flow.v.withUnsafeBufferPointer { v in
                stylize_warp_bilinear(vectors, image, Int32(channels), Int32(width), Int32(height),
                                      u.baseAddress!, v.baseAddress!, output, valid)
            }
        }
    }

    /// Bicubic backward warp of planar images (Keys' cubic convolution with a = −0.75, the
    /// bicubic of OpenCV and most image tools): an image warped again and again (a carried
    /// history) keeps its fine texture. Bilinear blurs it away within a few frames, and so,
    /// more slowly, does Catmull-Rom (a = −0.5, exact on quadratics but softer at fine detail):
    /// on panning footage the blended strokes lost a tenth more of their gradient with it
    /// (docs/temporal.md). Border samples are clamped; `output` must not overlap `image`.
    ///
    /// Written for speed (it runs on the video pipeline's sequential stage every frame): the C
    /// kernel `stylize_warp_cubic`, sixteen pixels at a time where the CPU has AVX-512.
    ///
    /// `needed`, when given (`width × height` weights), skips the pixels whose weight is 0:
    /// their output is left as it was (a caller blending by that weight never reads it).
    public static func backwardCubic(planar image: UnsafePointer<Float>, channels: Int, width: Int, height: Int,
                                     flow: FlowField, into output: UnsafeMutablePointer<Float>,
                                     needed: UnsafePointer<Float>? = nil) {
        precondition(channels >= 1 && width >= 1 && height >= 1, "image must be non-empty")
        precondition(flow.width == width && flow.height == height, "flow must match the image size")
        flow.u.withUnsafeBufferPointer { u in
            flow.v.withUnsafeBufferPointer { v in
                stylize_warp_cubic(vectors, image, Int32(channels), Int32(width), Int32(height),
                                   u.baseAddress!, v.baseAddress!, output, needed)
            }
        }
    }

    /// The widest vector kernel this CPU runs, asked once.
    static let vectors = stylize_vector_kernel_best()

    /// Array convenience: warps a planar image and returns the result and its validity mask.
    public static func backward(planar image: [Float], channels: Int, width: Int, height: Int,
                                flow: FlowField) -> (image: [Float], valid: [Float]) {
        precondition(image.count == channels * width * height, "image must hold channels×width×height floats")
        var out = [Float].uninitialized(image.count), valid = [Float].uninitialized(width * height)
        image.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                valid.withUnsafeMutableBufferPointer { val in
                    backward(planar: src.baseAddress!, channels: channels, width: width, height: height,
                             flow: flow, into: dst.baseAddress!, valid: val.baseAddress!)
                }
            }
        }
        return (out, valid)
    }

    /// Array convenience writing into a caller-owned buffer (resized if needed, reused otherwise,
    /// so a per-frame loop allocates nothing after the first call); no validity mask.
    /// (Labelled `reusing:` rather than `into:` so that `&array` can never silently
    /// bind to the unsafe-pointer overload, which cannot check sizes.)
    public static func backward(planar image: [Float], channels: Int, width: Int, height: Int,
                                flow: FlowField, reusing output: inout [Float]) {
        precondition(image.count == channels * width * height, "image must hold channels×width×height floats")
        if output.count != image.count { output = .uninitialized(image.count) }   // every pixel is written
        image.withUnsafeBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                backward(planar: src.baseAddress!, channels: channels, width: width, height: height,
                         flow: flow, into: dst.baseAddress!)
            }
        }
    }

    /// Array convenience for `backwardCubic`, writing into a caller-owned buffer (resized — and
    /// zeroed — if needed, reused otherwise). `needed`, when given, skips the zero-weight pixels.
    public static func backwardCubic(planar image: [Float], channels: Int, width: Int, height: Int,
                                     flow: FlowField, reusing output: inout [Float], needed: [Float]? = nil) {
        precondition(image.count == channels * width * height, "image must hold channels×width×height floats")
        precondition(needed == nil || needed!.count == width * height, "needed must hold width×height weights")
        if output.count != image.count { output = [Float](repeating: 0, count: image.count) }
        image.withUnsafeBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                if let needed {
                    needed.withUnsafeBufferPointer { weights in
                        backwardCubic(planar: src.baseAddress!, channels: channels, width: width, height: height,
                                      flow: flow, into: dst.baseAddress!, needed: weights.baseAddress!)
                    }
                } else {
                    backwardCubic(planar: src.baseAddress!, channels: channels, width: width, height: height,
                                  flow: flow, into: dst.baseAddress!)
                }
            }
        }
    }

    /// Warps a gray image; returns the image and its validity mask.
    public static func backward(_ image: GrayImage, flow: FlowField) -> (image: GrayImage, valid: [Float]) {
        let r = backward(planar: image.pixels, channels: 1, width: image.width, height: image.height, flow: flow)
        return (GrayImage(width: image.width, height: image.height, pixels: r.image), r.valid)
    }

    /// Warps the two planes of a flow field `field` along `flow` (both the same size):
    /// `result(x) = field(x + flow(x))`. Used by the forward–backward consistency check.
    public static func backward(field: FlowField, along flow: FlowField) -> (field: FlowField, valid: [Float]) {
        precondition(field.width == flow.width && field.height == flow.height, "fields must be the same size")
        let r = backward(planar: field.u + field.v, channels: 2, width: field.width, height: field.height, flow: flow)
        let n = field.width * field.height
        return (FlowField(width: field.width, height: field.height,
                          u: Array(r.image[0..<n]), v: Array(r.image[n..<(2 * n)])), r.valid)
    }
}

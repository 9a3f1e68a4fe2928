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
        let plane = width * height
        let maxX = Float(width - 1), maxY = Float(height - 1)
        // Highest valid top-left corner so that x0 + 1 stays in bounds (0 for 1-wide images).
        let lastX0 = max(width - 2, 0), lastY0 = max(height - 2, 0)
        let stepX = width > 1 ? 1 : 0, stepY = height > 1 ? width : 0
        flow.u.withUnsafeBufferPointer { ub in
            flow.v.withUnsafeBufferPointer { vb in
                let u = ub.baseAddress!, v = vb.baseAddress!
                for y in 0..<height {
                    let row = y * width
                    let fy0 = Float(y)
                    for x in 0..<width {
                        let i = row + x
                        var sx = Float(x) + u[i]
                        var sy = fy0 + v[i]
                        var ok = true
                        if !(sx >= 0 && sx <= maxX) {            // also catches NaN
                            ok = false
                            sx = sx.isNaN ? Float(x) : min(max(sx, 0), maxX)
                        }
                        if !(sy >= 0 && sy <= maxY) {
                            ok = false
                            sy = sy.isNaN ? fy0 : min(max(sy, 0), maxY)
                        }
                        let x0 = min(Int(sx), lastX0), y0 = min(Int(sy), lastY0)
                        let ax = sx - Float(x0), ay = sy - Float(y0)
                        let w00 = (1 - ax) * (1 - ay), w10 = ax * (1 - ay)
                        let w01 = (1 - ax) * ay, w11 = ax * ay
                        let s00 = y0 * width + x0
                        let s10 = s00 + stepX, s01 = s00 + stepY, s11 = s01 + stepX
                        var src = image
                        var dst = output + i
                        for _ in 0..<channels {
                            dst.pointee = w00 * src[s00] + w10 * src[s10] + w01 * src[s01] + w11 * src[s11]
                            src += plane
                            dst += plane
                        }
                        valid?[i] = ok ? validValue : invalidValue
                    }
                }
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
    /// Written for speed (it runs on the video pipeline's sequential stage every frame):
    /// where the 4×4 footprint lies inside the image, each channel is four unaligned
    /// 4-wide loads, a vertical mix of the rows and one horizontal dot product.
    ///
    /// `needed`, when given (`width × height` weights), skips the pixels whose weight is 0:
    /// their output is left as it was (a caller blending by that weight never reads it).
    public static func backwardCubic(planar image: UnsafePointer<Float>, channels: Int, width: Int, height: Int,
                                     flow: FlowField, into output: UnsafeMutablePointer<Float>,
                                     needed: UnsafePointer<Float>? = nil) {
        precondition(channels >= 1 && width >= 1 && height >= 1, "image must be non-empty")
        precondition(flow.width == width && flow.height == height, "flow must match the image size")
        let plane = width * height
        let maxX = Float(width - 1), maxY = Float(height - 1)
        @inline(__always) func weights(_ t: Float) -> SIMD4<Float> {
            let t2 = t * t, t3 = t2 * t
            return SIMD4(-0.75 * t3 + 1.5 * t2 - 0.75 * t,
                         1.25 * t3 - 2.25 * t2 + 1,
                         -1.25 * t3 + 1.5 * t2 + 0.75 * t,
                         0.75 * t3 - 0.75 * t2)
        }
        let raw = UnsafeRawPointer(image)
        @inline(__always) func load4(_ index: Int) -> SIMD4<Float> {
            raw.loadUnaligned(fromByteOffset: index &* 4, as: SIMD4<Float>.self)
        }
        flow.u.withUnsafeBufferPointer { ub in
            flow.v.withUnsafeBufferPointer { vb in
                let u = ub.baseAddress!, v = vb.baseAddress!
                for y in 0..<height {
                    let row = y * width
                    for x in 0..<width {
                        let i = row + x
                        if let needed, needed[i] == 0 { continue }
                        var sx = Float(x) + u[i], sy = Float(y) + v[i]
                        sx = sx.isNaN ? Float(x) : min(max(sx, 0), maxX)
                        sy = sy.isNaN ? Float(y) : min(max(sy, 0), maxY)
                        // sx, sy ≥ 0 here, so truncation is floor (and, unlike `rounded(.down)`
                        // on baseline x86-64, not a libm call).
                        let ix = Int(sx), iy = Int(sy)
                        let wx = weights(sx - Float(ix)), wy = weights(sy - Float(iy))
                        var dst = output + i
                        if ix >= 1 && ix + 2 < width && iy >= 1 && iy + 2 < height {
                            var top = (iy - 1) * width + ix - 1
                            for _ in 0..<channels {
                                var mixed: SIMD4<Float> = wy[0] * load4(top)
                                mixed += wy[1] * load4(top + width)
                                mixed += wy[2] * load4(top + 2 * width)
                                mixed += wy[3] * load4(top + 3 * width)
                                dst.pointee = (mixed * wx).sum()
                                top += plane
                                dst += plane
                            }
                        } else {
                            // Border: clamp each tap's row and column.
                            let cols = SIMD4(max(ix - 1, 0), ix, min(ix + 1, width - 1), min(ix + 2, width - 1))
                            let rows = SIMD4(max(iy - 1, 0), iy, min(iy + 1, height - 1), min(iy + 2, height - 1)) &* width
                            var src = image
                            for _ in 0..<channels {
                                var value: Float = 0
                                for r in 0..<4 {
                                    let line = src + rows[r]
                                    let taps = SIMD4(line[cols[0]], line[cols[1]], line[cols[2]], line[cols[3]])
                                    value += wy[r] * (taps * wx).sum()
                                }
                                dst.pointee = value
                                src += plane
                                dst += plane
                            }
                        }
                    }
                }
            }
        }
    }

    /// Array convenience: warps a planar image and returns the result and its validity mask.
    public static func backward(planar image: [Float], channels: Int, width: Int, height: Int,
                                flow: FlowField) -> (image: [Float], valid: [Float]) {
        precondition(image.count == channels * width * height, "image must hold channels×width×height floats")
        var out = [Float](repeating: 0, count: image.count)
        var valid = [Float](repeating: 0, count: width * height)
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

    /// Array convenience writing into caller-owned buffers (resized if needed, reused
    /// otherwise, so a per-frame loop allocates nothing after the first call).
    /// (Labelled `reusing:` rather than `into:` so that `&array` can never silently
    /// bind to the unsafe-pointer overload, which cannot check sizes.)
    public static func backward(planar image: [Float], channels: Int, width: Int, height: Int,
                                flow: FlowField, reusing output: inout [Float], valid: inout [Float]) {
        precondition(image.count == channels * width * height, "image must hold channels×width×height floats")
        if output.count != image.count { output = [Float](repeating: 0, count: image.count) }
        if valid.count != width * height { valid = [Float](repeating: 0, count: width * height) }
        image.withUnsafeBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                valid.withUnsafeMutableBufferPointer { val in
                    backward(planar: src.baseAddress!, channels: channels, width: width, height: height,
                             flow: flow, into: dst.baseAddress!, valid: val.baseAddress!)
                }
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

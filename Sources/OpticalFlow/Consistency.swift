/// Per-pixel reliability of a flow field, on the grid of one frame.
/// `mask[y * width + x]` is 0 where the motion is unreliable (occluded /
/// disoccluded, on a motion boundary, or pointing outside the other frame) and
/// 1 where it is reliable; softened masks take values in between.
public struct FlowConfidence: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var mask: [Float]

    public init(width: Int, height: Int, mask: [Float]) {
        precondition(mask.count == width * height, "mask must be width×height")
        self.width = width
        self.height = height
        self.mask = mask
    }

    /// Everything reliable.
    public init(allReliableWidth width: Int, height: Int) {
        self.init(width: width, height: height, mask: [Float](repeating: 1, count: width * height))
    }

    /// Fraction of the mask's total weight relative to its pixel count (1 = all reliable).
    public var meanConfidence: Double { Double(PlaneStatistics.mean(mask)) }

    /// A softened confidence: `hard × BoxBlur.apply(hard, radius)`.
    ///
    /// Choice: the blur alone would *raise* unreliable pixels next to reliable ones
    /// above 0 and let ghosts of the warped frame bleed into disoccluded areas.
    /// Multiplying by the hard mask keeps every unreliable pixel at exactly 0 and only
    /// feathers the reliable side: a reliable pixel's confidence falls off linearly
    /// (per axis) with its nearness to unreliable ones, reaching 1 once a full
    /// `(2r+1)²` window around it is reliable. Blending the carried-forward frame with
    /// this weight avoids hard seams at occlusion edges. The box blur is separable
    /// with running sums (O(pixels) for any radius); borders are clamped.
    public func feathered(radius: Int) -> FlowConfidence {
        precondition(radius >= 0, "radius must be non-negative")
        if radius == 0 || mask.isEmpty { return self }
        let blurred = BoxBlur.apply(mask, width: width, height: height, radius: radius)
        var out = [Float].uninitialized(mask.count)
        mask.withUnsafeBufferPointer { mask in
            blurred.withUnsafeBufferPointer { blurred in
                out.withUnsafeMutableBufferPointer { out in
                    for i in out.indices { out[i] = min(max(mask[i] * blurred[i], 0), 1) }
                }
            }
        }
        return FlowConfidence(width: width, height: height, mask: out)
    }

    /// The confidence on a grid `factor` times finer, `width` × `height`: bilinear, as
    /// `DISSettings.finestScale`'s flow is brought to the full size.
    public func upsampled(by factor: Int, toWidth W: Int, height H: Int) -> FlowConfidence {
        precondition(factor >= 1 && (W + factor - 1) / factor == width && (H + factor - 1) / factor == height,
                     "the grids must be `factor` apart")
        return FlowConfidence(width: W, height: H, mask: Pyramid.upsample(mask, width: width, height: height, toWidth: W,
                                                                          height: H, factor: factor, scale: 1))
    }

    /// The unreliable side grown by `radius` pixels: each pixel takes the lowest confidence in the
    /// (2r+1)² window around it (separable, borders clamped).
    public func widened(radius: Int) -> FlowConfidence { extremum(radius: radius, highest: false) }

    /// The reliable side grown by `radius` pixels: each pixel takes the highest confidence in the
    /// (2r+1)² window around it.
    public func narrowed(radius: Int) -> FlowConfidence { extremum(radius: radius, highest: true) }

    /// Unreliable spots narrower than 2·radius + 1 pixels filled (narrowed, then widened back):
    /// what is left are the unreliable regions, without the specks.
    public func closed(radius: Int) -> FlowConfidence { narrowed(radius: radius).widened(radius: radius) }

    private func extremum(radius: Int, highest: Bool) -> FlowConfidence {
        precondition(radius >= 0, "radius must be non-negative")
        if radius == 0 || mask.isEmpty { return self }
        var rows = mask, out = mask
        mask.withUnsafeBufferPointer { m in
            rows.withUnsafeMutableBufferPointer { r in
                Self.extremum(m.baseAddress!, r.baseAddress!, lines: height, length: width, step: 1, lineStep: width,
                              radius: radius, highest: highest)
            }
        }
        rows.withUnsafeBufferPointer { r in
            out.withUnsafeMutableBufferPointer { o in
                Self.extremum(r.baseAddress!, o.baseAddress!, lines: width, length: height, step: width, lineStep: 1,
                              radius: radius, highest: highest)
            }
        }
        return FlowConfidence(width: width, height: height, mask: out)
    }

    /// One pass of `extremum`: along each of `lines` lines of `length` values `step` apart, the
    /// lowest (or highest) value within `radius`.
    private static func extremum(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, lines: Int, length: Int,
                                 step: Int, lineStep: Int, radius: Int, highest: Bool) {
        for line in 0..<lines {
            let base = line * lineStep
            for k in 0..<length {
                var value = src[base + k * step]
                for j in max(k - radius, 0)...min(k + radius, length - 1) {
                    value = highest ? max(value, src[base + j * step]) : min(value, src[base + j * step])
                }
                dst[base + k * step] = value
            }
        }
    }
}

/// The separate masks of the forward–backward consistency check, on one frame's grid.
public struct ConsistencyMasks: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Occluded / disoccluded: the flow and the reverse flow disagree, or the flow
    /// points outside the other frame.
    public var occluded: [Bool]
    /// On a motion boundary: the flow's gradient is large relative to the flow.
    public var motionBoundary: [Bool]
}

/// Occlusion and motion-boundary detection by forward–backward consistency,
/// as in Ruder, Dosovitskiy & Brox, "Artistic style transfer for videos" (2016),
/// also used by Lai et al., "Learning Blind Video Temporal Consistency" (2018).
///
/// Ruder et al. state it for frame t+1: with `w` the forward flow (t→t+1, on frame t's
/// grid) and `ŵ` the backward flow (t+1→t, on frame t+1's grid), let
/// `w̃(x) = w(x + ŵ(x))` (the forward flow warped into t+1). Then x in t+1 is
///  - disoccluded where `|w̃ + ŵ|² > 0.01 (|w̃|² + |ŵ|²) + 0.5`,
///  - on a motion boundary where `|∇û|² + |∇v̂|² > 0.01 |ŵ|² + 0.002`.
/// The reverse may also be the flow's own, pushed to where it lands (`FlowField.reversed`): then
/// the test finds where things land on one place (one covers the other) instead of where two
/// estimates disagree. The check is symmetric: swapping the two flows gives the mask on frame t's grid
/// (this is what Lai et al.'s evaluation does: `detect_occlusion(bw_flow, fw_flow)`).
public enum Consistency {
    public struct Thresholds: Sendable, Equatable {
        public var occlusionRelative: Float = 0.01
        public var occlusionAbsolute: Float = 0.5
        public var boundaryRelative: Float = 0.01
        public var boundaryAbsolute: Float = 0.002
        /// Mark pixels whose flow points outside the other frame as occluded (no data there).
        public var outOfImageIsOccluded = true
        public init() {}
        /// The constants of Ruder et al. 2016.
        public static let ruder2016 = Thresholds()

        /// The same tests on a grid `step` times coarser, its flows in its own pixels (divided by
        /// `step`): the squared lengths shrink by step², the flow's gradient stays.
        public func coarser(by step: Int) -> Thresholds {
            var t = self
            let area = Float(step * step)
            t.occlusionAbsolute /= area
            t.boundaryRelative *= area
            return t
        }
    }

    /// The core check, on the grid of the frame `flow` is defined on.
    ///
    /// - Parameters:
    ///   - flow: motion from this frame (F) to the other (G), defined on F's grid.
    ///   - reverse: motion from G back to F, defined on G's grid.
    ///   - boundariesOf: the flow whose motion boundaries are looked for (default: `flow`): a flow
    ///     some of whose pixels were put to another motion afterwards has edges where none moves.
    ///
    /// Gradients for the motion-boundary test are central differences
    /// (`(a[x+1] − a[x−1]) / 2`), one-sided at the image border.
    public static func masks(flow a: FlowField, reverse b: FlowField, boundariesOf edges: FlowField? = nil,
                             thresholds t: Thresholds = .ruder2016) -> ConsistencyMasks {
        precondition(a.width == b.width && a.height == b.height, "flows must be the same size")
        precondition(edges.map { $0.width == a.width && $0.height == a.height } ?? true, "flows must be the same size")
        let w = a.width, h = a.height, n = w * h
        // b̃(x) = b(x + a(x)): the reverse flow brought onto this frame's grid.
        let (bw, valid) = Warp.backward(field: b, along: a)
        var occluded = [Bool](repeating: false, count: n)
        for i in 0..<n {
            let au = a.u[i], av = a.v[i], bu = bw.u[i], bv = bw.v[i]
            let su = bu + au, sv = bv + av
            let lhs = su * su + sv * sv
            let rhs = t.occlusionRelative * (bu * bu + bv * bv + au * au + av * av) + t.occlusionAbsolute
            // `!(lhs <= rhs)` also flags NaN flows as unreliable.
            occluded[i] = !(lhs <= rhs) || (t.outOfImageIsOccluded && valid[i] == Warp.invalidValue)
        }
        return ConsistencyMasks(width: w, height: h, occluded: occluded,
                                motionBoundary: motionBoundaries(of: edges ?? a, thresholds: t))
    }

    /// Where `a`'s gradient is large relative to its motion (Ruder et al.'s second test).
    static func motionBoundaries(of a: FlowField, thresholds t: Thresholds) -> [Bool] {
        let w = a.width, h = a.height
        var boundary = [Bool](repeating: false, count: w * h)
        for y in 0..<h {
            let yUp = max(y - 1, 0), yDn = min(y + 1, h - 1)
            let sy: Float = (yDn - yUp) == 2 ? 0.5 : ((yDn - yUp) == 1 ? 1 : 0)
            for x in 0..<w {
                let xL = max(x - 1, 0), xR = min(x + 1, w - 1)
                let sx: Float = (xR - xL) == 2 ? 0.5 : ((xR - xL) == 1 ? 1 : 0)
                let i = y * w + x
                let l = y * w + xL, r = y * w + xR, u = yUp * w + x, d = yDn * w + x
                let ux = (a.u[r] - a.u[l]) * sx, uy = (a.u[d] - a.u[u]) * sy
                let vx = (a.v[r] - a.v[l]) * sx, vy = (a.v[d] - a.v[u]) * sy
                let grad = ux * ux + uy * uy + vx * vx + vy * vy
                let mag = a.u[i] * a.u[i] + a.v[i] * a.v[i]
                boundary[i] = !(grad <= t.boundaryRelative * mag + t.boundaryAbsolute)
            }
        }
        return boundary
    }

    /// Hard 0/1 confidence from the masks: 0 where occluded (or on a motion boundary,
    /// when `includeMotionBoundaries`), else 1.
    public static func confidence(_ m: ConsistencyMasks, includeMotionBoundaries: Bool) -> FlowConfidence {
        var mask = [Float](repeating: 1, count: m.width * m.height)
        for i in 0..<mask.count where m.occluded[i] || (includeMotionBoundaries && m.motionBoundary[i]) {
            mask[i] = 0
        }
        return FlowConfidence(width: m.width, height: m.height, mask: mask)
    }

    /// Ruder et al.'s weights `c` on frame t+1's grid: where the previous (stylized)
    /// frame t, warped into t+1 with the backward flow, can be trusted.
    ///
    /// - Parameters:
    ///   - forward: flow t→t+1 (on frame t's grid).
    ///   - backward: flow t+1→t (on frame t+1's grid); the warp of frame t into t+1 uses this.
    ///   - feather: if > 0, returns `FlowConfidence.feathered(radius:)` of the hard mask.
    public static func confidenceInNextFrame(forward: FlowField, backward: FlowField,
                                             includeMotionBoundaries: Bool = true,
                                             feather: Int = 0,
                                             thresholds: Thresholds = .ruder2016) -> FlowConfidence {
        let m = masks(flow: backward, reverse: forward, thresholds: thresholds)
        let c = confidence(m, includeMotionBoundaries: includeMotionBoundaries)
        return feather > 0 ? c.feathered(radius: feather) : c
    }

    /// The same check on frame t's grid (roles of the flows swapped): where frame t+1,
    /// warped into t with the forward flow, can be trusted. With the defaults
    /// (occlusion only, no motion boundaries) this is Lai et al. 2018's non-occlusion
    /// mask for the warping error.
    public static func confidenceInCurrentFrame(forward: FlowField, backward: FlowField,
                                                includeMotionBoundaries: Bool = false,
                                                feather: Int = 0,
                                                thresholds: Thresholds = .ruder2016) -> FlowConfidence {
        let m = masks(flow: forward, reverse: backward, thresholds: thresholds)
        let c = confidence(m, includeMotionBoundaries: includeMotionBoundaries)
        return feather > 0 ? c.feathered(radius: feather) : c
    }
}

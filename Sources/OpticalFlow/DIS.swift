// Dense Inverse Search optical flow (Kroeger, Timofte, Dai, Van Gool, ECCV 2016).
//
// Per pyramid level, coarse to fine: a grid of patches, each aligned by inverse
// compositional Gauss–Newton (translation only, mean-normalized SSD, or the trimmed distance
// for pairs with particles in front) in two sweeps
// (forward, backward) with spatial propagation of the neighbours' flows as in OpenCV, then
// densified by a photometric-error-weighted average of the overlapping patches,
// then (optionally) a few iterations of variational refinement.

import CKernels

/// Parameters of DIS. The presets are OpenCV's (`DISOpticalFlow::create`).
public struct DISSettings: Sendable, Equatable {
    /// Finest pyramid level computed (0 = full resolution); the flow is bilinearly upsampled from there.
    public var finestScale: Int
    /// Side of the square patches, in pixels of the level.
    public var patchSize: Int
    /// Distance between neighbouring patches (smaller = more overlap = slower, smoother).
    public var patchStride: Int
    /// Gauss–Newton iterations per patch (at most; stops early when the update is tiny).
    public var gradientDescentIterations: Int
    /// Fixed-point iterations of variational refinement per level; 0 = off.
    public var variationalRefinementIterations: Int
    /// Variational refinement weights (OpenCV's defaults): smoothness, brightness constancy, gradient constancy.
    public var variationalRefinementAlpha: Float
    public var variationalRefinementDelta: Float
    public var variationalRefinementGamma: Float
    /// The patches' distance: nil, OpenCV's mean-normalised SSD; else one that pixels moving on
    /// their own do not drag (see `TrimmedDistance`) — for every pair, or with `particleTest` (unless
    /// it only reports), only for pairs that show particles.
    public var trimmedDistance: TrimmedDistance?
    public var particleTest: ParticleTest?

    public init(finestScale: Int, patchSize: Int, patchStride: Int, gradientDescentIterations: Int,
                variationalRefinementIterations: Int,
                variationalRefinementAlpha: Float = 20, variationalRefinementDelta: Float = 5,
                variationalRefinementGamma: Float = 10) {
        precondition(patchSize >= 2 && patchStride >= 1 && finestScale >= 0 && gradientDescentIterations >= 0)
        self.finestScale = finestScale
        self.patchSize = patchSize
        self.patchStride = patchStride
        self.gradientDescentIterations = gradientDescentIterations
        self.variationalRefinementIterations = variationalRefinementIterations
        self.variationalRefinementAlpha = variationalRefinementAlpha
        self.variationalRefinementDelta = variationalRefinementDelta
        self.variationalRefinementGamma = variationalRefinementGamma
    }

    /// A patch distance for frames with particles in front (snow, rain, dust, specks in water): a
    /// flake crossing a patch is a few pixels far brighter or darker than the motion predicts, and
    /// the squared differences of those few outweigh the rest, so plain SSD drags the background's
    /// flow along with the flakes. Here a pixel whose residual (after the patch's mean difference,
    /// itself taken over the pixels near it) exceeds a cut counts the cut's square in the distance
    /// and nothing in the Gauss–Newton step: a truncated quadratic, robust to a minority of outliers.
    public struct TrimmedDistance: Sendable, Equatable {
        /// Residual, in 0…255 levels, beyond which a pixel does not belong to the patch's motion.
        public var cut: Float
        /// The cut widens to this multiple of the patch's mean absolute residual (of the pixels
        /// within three cuts), so noise and compression keep their pixels in the step (0: fixed cut).
        public var noiseScale: Float

        public init(cut: Float, noiseScale: Float) {
            precondition(cut > 0 && noiseScale >= 0)
            self.cut = cut
            self.noiseScale = noiseScale
        }
    }

    /// Which pairs get the trimmed distance. It ignores a minority of each patch, which is what
    /// particles are, but so are thin things moving on their own (a spinning rotor, a blinking
    /// eye): plain SSD lets the patches across them follow them part-way, the trimmed distance
    /// holds those patches to the background. So each pair is matched with plain SSD first, and at
    /// one level (`levelSize`) each patch is evaluated once more at its flow with the trimmed distance (its
    /// cut widened to `noiseScale` × the patch's mean residual): a patch holds a speck when 1 to
    /// `largest` of its pixels stand out from the motion found by more than `contrast` levels and
    /// six cuts. Where at least `share` of the patches hold one, the pair is matched again with the
    /// trimmed distance: particles leave specks all over the frame, a moving part only along
    /// itself (docs/temporal.md, "Particles in front").
    public struct ParticleTest: Sendable, Equatable {
        public var contrast: Float
        public var noiseScale: Float
        public var largest: Int
        public var share: Float
        /// The patches looked at are those of the computed level whose longer side is nearest this
        /// many pixels: a speck's size in pixels is the footage's, not the painting size's.
        public var levelSize: Int
        /// False: the pair is matched once, with the trimmed distance whatever the test finds, and
        /// the test only says whether it shows particles (`FlowMatch.foundParticles`) — for the live
        /// modes, where a second flow costs too much.
        public var matchesAgain = true

        public init(contrast: Float, noiseScale: Float, largest: Int, share: Float, levelSize: Int) {
            precondition(contrast > 0 && noiseScale >= 0 && largest >= 1 && share >= 0 && levelSize >= 8)
            self.contrast = contrast
            self.noiseScale = noiseScale
            self.largest = largest
            self.share = share
            self.levelSize = levelSize
        }
    }

    public static let ultrafast = DISSettings(finestScale: 2, patchSize: 8, patchStride: 4,
                                              gradientDescentIterations: 12, variationalRefinementIterations: 0)
    public static let fast = DISSettings(finestScale: 2, patchSize: 8, patchStride: 4,
                                         gradientDescentIterations: 16, variationalRefinementIterations: 5)
    public static let medium = DISSettings(finestScale: 1, patchSize: 8, patchStride: 3,
                                           gradientDescentIterations: 25, variationalRefinementIterations: 5)
}

/// One frame prepared once (pyramid + image gradients), reusable as the "from" of one pair and the "to" of the next.
public final class FlowFrame: @unchecked Sendable {
    public let width: Int
    public let height: Int
    /// Pyramid levels actually built (level 0 is the image itself).
    public var levelCount: Int { levels.count }
    /// The full-resolution image the frame was built from.
    public var image: GrayImage { GrayImage(width: width, height: height, pixels: levels[0].pixels) }
    let levels: [PyramidLevel]

    /// The finest level that has image gradients; flows whose `finestScale` is finer cannot use this frame.
    public let finestGradientLevel: Int

    /// Builds `levels` pyramid levels (fewer if the image gets smaller than 2×2 first), with
    /// gradients from level `gradientsFrom` up (finer levels are only a step on the way down).
    public init(_ image: GrayImage, levels: Int, gradientsFrom: Int = 0) {
        width = image.width
        height = image.height
        var images = [(pixels: image.pixels, width: image.width, height: image.height)]
        while images.count < max(levels, 1) && images[images.count - 1].width >= 4 && images[images.count - 1].height >= 4 {
            let last = images[images.count - 1]
            images.append(Pyramid.down(last.pixels, width: last.width, height: last.height))
        }
        // A small image may stop above `gradientsFrom`; DIS then ends at its coarsest level, which needs them.
        let first = min(max(gradientsFrom, 0), images.count - 1)
        self.levels = images.enumerated().map { index, level in
            PyramidLevel(width: level.width, height: level.height, pixels: level.pixels, gradients: index >= first)
        }
        finestGradientLevel = first
    }

    /// Builds as many levels as DIS uses for this size with the given patch size, all with gradients.
    public convenience init(_ image: GrayImage, patchSize: Int = 8) {
        self.init(image, levels: FlowFrame.levelsNeeded(width: image.width, height: image.height, patchSize: patchSize))
    }

    /// Builds just what flows with `settings` use: their levels, and gradients only from
    /// their finest scale up (the fast presets stop at ¼ resolution, so the full-resolution
    /// gradients, the costliest part, are never needed).
    public convenience init(_ image: GrayImage, for settings: DISSettings) {
        self.init(image, levels: FlowFrame.levelsNeeded(width: image.width, height: image.height,
                                                        patchSize: settings.patchSize),
                  gradientsFrom: settings.finestScale)
    }

    /// Levels DIS uses: the coarsest has its larger side about 4 patches (OpenCV's rule), plus level 0.
    public static func levelsNeeded(width: Int, height: Int, patchSize: Int) -> Int {
        // round(log2(max(w, h) / (4·patchSize))), at least 0.
        let m = Double(max(width, height)) / Double(4 * patchSize)
        var k = 0
        while m >= Double(1 << (k + 1)) * 0.7071067811865476 { k += 1 }
        return k + 1
    }
}

/// A flow, and whether the particle test found particles in front (`DISSettings.ParticleTest`).
public struct FlowMatch: Sendable {
    public let flow: FlowField
    /// True when the pair was matched again with the trimmed patch distance because the particle
    /// test found particles all over it; false without the test.
    public let foundParticles: Bool
}

public enum OpticalFlow {
    /// Flow from `from` to `to` (for each pixel of `from`, where it went in `to`). `initial` (e.g. the previous flow) seeds the coarsest level.
    public static func dis(from: FlowFrame, to: FlowFrame, settings: DISSettings = .fast, initial: FlowField? = nil) -> FlowField {
        match(from: from, to: to, settings: settings, initial: initial).flow
    }

    /// `dis`, saying also whether the particle test switched the pair to the trimmed distance.
    public static func match(from: FlowFrame, to: FlowFrame, settings: DISSettings = .fast,
                             initial: FlowField? = nil) -> FlowMatch {
        precondition(from.width == to.width && from.height == to.height, "frames must have the same size")
        let W = from.width, H = from.height
        if let initial { precondition(initial.width == W && initial.height == H, "initial flow must match the frames") }
        guard let (coarsest, finest) = levels(from, to, settings: settings) else {
            return FlowMatch(flow: initial ?? FlowField(zeroWidth: W, height: H), foundParticles: false)
        }

        guard let distance = settings.trimmedDistance, let test = settings.particleTest else {
            let flow = pyramid(from, to, settings: settings, initial: initial, coarsest: coarsest, finest: finest).flow
            return FlowMatch(flow: flow, foundParticles: false)
        }
        guard test.matchesAgain else {
            let once = pyramid(from, to, settings: settings, initial: initial, coarsest: coarsest, finest: finest,
                               measuring: (distance, test))
            return FlowMatch(flow: once.flow, foundParticles: once.particleShare >= test.share)
        }
        var plain = settings
        plain.trimmedDistance = nil
        let first = pyramid(from, to, settings: plain, initial: initial, coarsest: coarsest, finest: finest,
                            measuring: (distance, test))
        guard first.particleShare >= test.share else { return FlowMatch(flow: first.flow, foundParticles: false) }
        var trimmed = settings
        trimmed.particleTest = nil
        let flow = pyramid(from, to, settings: trimmed, initial: initial, coarsest: coarsest, finest: finest).flow
        return FlowMatch(flow: flow, foundParticles: true)
    }

    /// The levels DIS runs on for this pair, coarsest and finest; nil when the frames are smaller than a patch.
    static func levels(_ from: FlowFrame, _ to: FlowFrame, settings: DISSettings) -> (coarsest: Int, finest: Int)? {
        let W = from.width, H = from.height, P = settings.patchSize
        if W < P || H < P { return nil }
        // Levels where a patch still fits, capped by OpenCV's coarsest-scale rule and by what both frames built.
        var coarsest = min(from.levelCount, to.levelCount, FlowFrame.levelsNeeded(width: W, height: H, patchSize: P)) - 1
        while coarsest > 0 && (from.levels[coarsest].width < P || from.levels[coarsest].height < P) { coarsest -= 1 }
        let finest = min(settings.finestScale, coarsest)
        precondition(from.levels[finest].hasGradients && to.levels[finest].hasGradients,
                     "these FlowFrames were built without gradients at level \(finest); build them for these settings")
        return (coarsest, finest)
    }

    /// The particle test of `settings` for the pair, along a flow found otherwise (the reverse of the
    /// other direction's): the share of `from`'s patches at the test's level that hold specks at the
    /// flow of their centres (patches whose flow is NaN left out). Nil without a test. `flow` may be
    /// on a grid `gridStep` times coarser than the frames, in its own pixels (`FlowField.subsampled`).
    public static func particleShare(from: FlowFrame, to: FlowFrame, along flow: FlowField, gridStep step: Int = 1,
                                     settings: DISSettings) -> Float? {
        precondition(from.width == to.width && from.height == to.height && flow.width == (from.width + step - 1) / step
                     && flow.height == (from.height + step - 1) / step, "frames and flow must have the same size")
        guard let distance = settings.trimmedDistance, let test = settings.particleTest else { return nil }
        guard let (coarsest, finest) = levels(from, to, settings: settings) else { return 0 }
        let level = testLevel(for: test, finest: finest, coarsest: coarsest, from)
        let l0 = from.levels[level], P = settings.patchSize, scale = Float(1 << level)
        let xs = DISLevel.origins(size: l0.width, patch: P, stride: settings.patchStride)
        let ys = DISLevel.origins(size: l0.height, patch: P, stride: settings.patchStride)
        var pu: [Float] = [], pv: [Float] = []
        for py in ys {
            for px in xs {
                let x = min((Int(Float(px) + Float(P) / 2) << level) / step, flow.width - 1)
                let y = min((Int(Float(py) + Float(P) / 2) << level) / step, flow.height - 1)
                pu.append(flow.u[y * flow.width + x] * Float(step) / scale)
                pv.append(flow.v[y * flow.width + x] * Float(step) / scale)
            }
        }
        return DISLevel.particleShare(l0, to.levels[level], xs: xs, ys: ys, u: pu, v: pv, P: P, distance: distance, test: test)
    }

    /// The level the particle test looks at: of those the flow computes, the one whose longer side
    /// is nearest `test.levelSize`, so that a footage's particles cover about as many of its pixels
    /// whatever size the frames are matched at.
    static func testLevel(for test: DISSettings.ParticleTest, finest: Int, coarsest: Int, _ frame: FlowFrame) -> Int {
        func distance(_ level: Int) -> Double {   // the ratio of the two sizes, ≥ 1
            let size = Double(max(frame.levels[level].width, frame.levels[level].height)), target = Double(test.levelSize)
            return max(size / target, target / size)
        }
        return (finest...coarsest).min { distance($0) < distance($1) } ?? finest
    }

    /// DIS from the coarsest level to the finest; `measuring`: the share of patches that hold
    /// particles by that test (`DISSettings.ParticleTest`) at its level (`testLevel`), else 0.
    static func pyramid(_ from: FlowFrame, _ to: FlowFrame, settings: DISSettings, initial: FlowField?,
                        coarsest: Int, finest: Int,
                        measuring: (DISSettings.TrimmedDistance, DISSettings.ParticleTest)? = nil)
        -> (flow: FlowField, particleShare: Float) {
        let W = from.width, H = from.height
        // Seed the coarsest level.
        let c = from.levels[coarsest]
        var u: [Float], v: [Float]
        if let initial {
            (u, v) = Pyramid.downsampleFlow(initial, factor: 1 << coarsest, toWidth: c.width, height: c.height)
        } else {
            u = [Float](repeating: 0, count: c.width * c.height)
            v = u
        }

        let measuredLevel = measuring.map { testLevel(for: $0.1, finest: finest, coarsest: coarsest, from) }
        var level = coarsest, share: Float = 0
        while true {
            let l0 = from.levels[level], l1 = to.levels[level]
            let measured = level == measuredLevel
            let levelShare = DISLevel.run(l0, l1, u: &u, v: &v, settings: settings, measuring: measured ? measuring : nil)
            if measured { share = levelShare }
            if settings.variationalRefinementIterations > 0 {
                VariationalRefinement.run(l0, l1, u: &u, v: &v, settings: settings)
            }
            if level == finest { break }
            let next = from.levels[level - 1]
            (u, v) = Pyramid.upsampleFlow(u: u, v: v, width: l0.width, height: l0.height,
                                          toWidth: next.width, height: next.height, factor: 2)
            level -= 1
        }
        if finest > 0 {
            let l = from.levels[finest]
            (u, v) = Pyramid.upsampleFlow(u: u, v: v, width: l.width, height: l.height,
                                          toWidth: W, height: H, factor: 1 << finest)
        }
        return (FlowField(width: W, height: H, u: u, v: v), share)
    }
}

/// Patch inverse search + densification on one level.
enum DISLevel {
    /// The instructions the 8×8 patch evaluation runs on.
    static let vectors = stylize_vector_kernel_best()

    /// Patch origins along one axis: every `stride`, with the last patch flush with the far edge.
    static func origins(size: Int, patch: Int, stride: Int) -> [Int] {
        let span = size - patch
        if span <= 0 { return [0] }
        let n = (span + stride - 1) / stride + 1
        return (0..<n).map { min($0 * stride, span) }
    }

    /// One evaluation of a patch at a displacement: Σ gx·I1w, Σ gy·I1w, Σ I1w and the mean-normalized
    /// SSD per pixel (`msd`). Where part of the displaced window leaves the frame, only the samples
    /// inside count (`masked`), and the template statistics of those samples come along (`n`, `h..`, `s..`),
    /// so the Gauss–Newton step is solved on the visible part only instead of on replicated edge pixels.
    struct PatchEval {
        var sgx: Float = 0, sgy: Float = 0, sw: Float = 0, msd: Float = .infinity
        var masked = false
        /// sgx, sgy, sw are Σ gx·ψ, Σ gy·ψ, Σ ψ of the trimmed residuals (CKernels.h), not sums of the
        /// samples; `standouts`: how many pixels stand out like particles.
        var trimmed = false, standouts: Float = 0
        var n: Float = 0, sxx: Float = 0, sxy: Float = 0, syy: Float = 0, sx: Float = 0, sy: Float = 0
        var st: Float = 0, sgxt: Float = 0, sgyt: Float = 0
    }

    /// Where a P×P patch at (px, py) moved by (du, dv) samples the other frame: the moved corner
    /// (fxp, fyp), its whole pixel (ix, iy) and fraction (fx, fy), whether every bilinear tap lies
    /// inside the w × h frame, and the four bilinear weights.
    @inline(__always)
    static func landing(px: Int, py: Int, du: Float, dv: Float, P: Int, w: Int, h: Int)
        -> (fxp: Float, fyp: Float, ix: Int, iy: Int, fx: Float, fy: Float, inside: Bool,
            w00: Float, w01: Float, w10: Float, w11: Float) {
        let fxp = Float(px) + du, fyp = Float(py) + dv
        let fxf = fxp.rounded(.down), fyf = fyp.rounded(.down)
        let ix = Int(fxf), iy = Int(fyf)
        let fx = fxp - fxf, fy = fyp - fyf
        let inside = ix >= 0 && iy >= 0 && ix + P < w && iy + P < h
        return (fxp, fyp, ix, iy, fx, fy, inside, (1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy)
    }

    @inline(__always)
    static func patchSums(_ i0: UnsafePointer<Float>, _ i1: UnsafePointer<Float>, _ gx: UnsafePointer<Float>,
                          _ gy: UnsafePointer<Float>, w: Int, h: Int, P: Int, px: Int, py: Int,
                          du: Float, dv: Float, invN: Float, trim: Trim) -> PatchEval {
        var e = PatchEval()
        let (fxp, fyp, ix, iy, fx, fy, inside, w00, w01, w10, w11) = landing(px: px, py: py, du: du, dv: dv, P: P, w: w, h: h)
        if inside && P == 8 {
            // One row of the patch per vector: CKernels' dis_patch.
            var patch = stylize_dis_patch(i0: i0, i1: i1, gx: gx, gy: gy, width: Int32(w), px: Int32(px), py: Int32(py),
                                          ix: Int32(ix), iy: Int32(iy), w00: w00, w01: w01, w10: w10, w11: w11,
                                          inv_n: invN, outlier: trim.cut, outlier_scale: trim.noiseScale, particle_level: trim.particleContrast)
            var sums: (Float, Float, Float, Float, Float) = (0, 0, 0, 0, 0)
            withUnsafeMutablePointer(to: &sums) {
                $0.withMemoryRebound(to: Float.self, capacity: 5) { stylize_dis_patch8(vectors, &patch, $0) }
            }
            (e.sgx, e.sgy, e.sw, e.msd, e.standouts) = sums
            e.trimmed = trim.isOn
            return e
        }
        // Every other patch with the trimmed distance: its Swift loop, over the visible samples.
        if trim.isOn { return trimmedSums(i0, i1, gx, gy, w: w, h: h, P: P, px: px, py: py, fxp: fxp, fyp: fyp, trim: trim) }
        if inside {
            var sgw: Float = 0, sgyw: Float = 0, sw: Float = 0, sd: Float = 0, sdd: Float = 0
            for j in 0..<P {
                let r1 = (iy + j) * w + ix, r0 = (py + j) * w + px
                let a = i1 + r1, b = a + w
                for i in 0..<P {
                    let s = w00 * a[i] + w01 * a[i + 1] + w10 * b[i] + w11 * b[i + 1]
                    let d = s - i0[r0 + i]
                    sgw += gx[r0 + i] * s; sgyw += gy[r0 + i] * s; sw += s; sd += d; sdd += d * d
                }
            }
            e.sgx = sgw; e.sgy = sgyw; e.sw = sw; e.msd = (sdd - sd * sd * invN) * invN
            return e
        }
        // Partly (or wholly) outside: only samples within the frame count (`visible`).
        var sd: Float = 0, sdd: Float = 0
        e.masked = true
        let (iLo, iHi, jLo, jHi) = visible(w: w, h: h, P: P, fxp: fxp, fyp: fyp)
        if iLo < iHi && jLo < jHi {
            for j in jLo..<jHi {
                let r0 = (py + j) * w + px
                for i in iLo..<iHi {
                    let s = visibleSample(i1, w: w, h: h, x: ix + i, y: iy + j, fx: fx, fy: fy)
                    let a = gx[r0 + i], b = gy[r0 + i], t = i0[r0 + i]
                    let d = s - t
                    e.sgx += a * s; e.sgy += b * s; e.sw += s; sd += d; sdd += d * d
                    e.sxx += a * a; e.sxy += a * b; e.syy += b * b; e.sx += a; e.sy += b
                    e.st += t; e.sgxt += a * t; e.sgyt += b * t
                }
            }
            e.n = Float((iHi - iLo) * (jHi - jLo))
        }
        // Too little of the patch visible to judge it.
        if e.n >= Float(P * P) * 0.25 { e.msd = (sdd - sd * sd / e.n) / e.n }
        return e
    }

    /// I1 at (x + fx, y + fy) for a visible sample (`visible`): the bilinear taps clamped at the
    /// last row and column.
    @inline(__always)
    static func visibleSample(_ i1: UnsafePointer<Float>, w: Int, h: Int, x x0: Int, y y0: Int, fx: Float, fy: Float) -> Float {
        let x1 = min(x0 + 1, w - 1), y1 = min(y0 + 1, h - 1)
        let p00 = i1[y0 * w + x0], p01 = i1[y0 * w + x1], p10 = i1[y1 * w + x0], p11 = i1[y1 * w + x1]
        let top = p00 + (p01 - p00) * fx, bot = p10 + (p11 - p10) * fx
        return top + (bot - top) * fy
    }

    /// The samples of a P×P window displaced to (fxp, fyp) that lie within the frame: columns
    /// iLo..<iHi, rows jLo..<jHi, with 0 ≤ fxp + i ≤ w − 1 and 0 ≤ fyp + j ≤ h − 1.
    @inline(__always)
    static func visible(w: Int, h: Int, P: Int, fxp: Float, fyp: Float) -> (Int, Int, Int, Int) {
        (max(0, Int((-fxp).rounded(.up))), min(P, Int((Float(w - 1) - fxp).rounded(.down)) + 1),
         max(0, Int((-fyp).rounded(.up))), min(P, Int((Float(h - 1) - fyp).rounded(.down)) + 1))
    }

    /// The trimmed distance (CKernels.h, `stylize_dis_patch`) for the patches its kernel does not
    /// take — another size, or partly outside the frame — over the visible samples (bilinear taps
    /// clamped at the last row and column), with their template statistics as in `patchSums`.
    static func trimmedSums(_ i0: UnsafePointer<Float>, _ i1: UnsafePointer<Float>, _ gx: UnsafePointer<Float>,
                            _ gy: UnsafePointer<Float>, w: Int, h: Int, P: Int, px: Int, py: Int,
                            fxp: Float, fyp: Float, trim: Trim) -> PatchEval {
        var e = PatchEval()
        e.masked = true
        e.trimmed = true
        let (iLo, iHi, jLo, jHi) = visible(w: w, h: h, P: P, fxp: fxp, fyp: fyp)
        guard iLo < iHi && jLo < jHi else { return e }
        let ix = Int(fxp.rounded(.down)), iy = Int(fyp.rounded(.down))
        let fx = fxp - fxp.rounded(.down), fy = fyp - fyp.rounded(.down)
        let count = (iHi - iLo) * (jHi - jLo)
        e.n = Float(count)
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: 3 * count) { scratch in
            let d = scratch.baseAddress!, ga = d + count, gb = ga + count
            var k = 0, sum: Float = 0
            for j in jLo..<jHi {
                let r0 = (py + j) * w + px
                for i in iLo..<iHi {
                    let a = gx[r0 + i], b = gy[r0 + i], t = i0[r0 + i]
                    d[k] = visibleSample(i1, w: w, h: h, x: ix + i, y: iy + j, fx: fx, fy: fy) - t; ga[k] = a; gb[k] = b
                    sum += d[k]
                    e.sxx += a * a; e.sxy += a * b; e.syy += b * b; e.sx += a; e.sy += b
                    e.st += t; e.sgxt += a * t; e.sgyt += b * t
                    k += 1
                }
            }
            // The steps of CKernels' kernel, in the same order.
            var cut = trim.cut, mean = sum / e.n
            func near(_ mean: Float) -> (count: Float, sum: Float, size: Float) {
                var n: Float = 0, s: Float = 0, size: Float = 0
                for k in 0..<count where abs(d[k] - mean) <= 3 * cut { n += 1; s += d[k]; size += abs(d[k] - mean) }
                return (n, s, size)
            }
            let first = near(mean)
            if first.count > 0 { mean = first.sum / first.count }
            if trim.noiseScale > 0 {
                let second = near(mean)
                if second.count > 0 { cut = max(cut, trim.noiseScale * second.size / second.count) }
            }
            var cost: Float = 0
            let standout = max(trim.particleContrast, 6 * cut)
            for k in 0..<count {
                let r = d[k] - mean, rr = r * r
                let psi = rr <= cut * cut ? r : 0
                e.sgx += ga[k] * psi; e.sgy += gb[k] * psi; e.sw += psi
                cost += min(rr, cut * cut)
                if rr > standout * standout { e.standouts += 1 }
            }
            // Too little of the patch visible to judge it.
            if e.n >= Float(P * P) * 0.25 { e.msd = cost / e.n }
            return e
        }
    }

    /// The trimmed distance's parameters as the kernel takes them (cut 0: plain SSD), and the
    /// contrast by which a pixel stands out like a particle.
    struct Trim {
        var cut: Float = 0, noiseScale: Float = 0, particleContrast: Float = 0
        var isOn: Bool { cut > 0 }
        /// The search's: the distance's cut and widening (nil: plain SSD).
        init(_ distance: DISSettings.TrimmedDistance?) {
            if let distance { (cut, noiseScale) = (distance.cut, distance.noiseScale) }
        }
        /// The particle test's probe: the distance's cut, the test's widening and contrast.
        init(probing test: DISSettings.ParticleTest, with distance: DISSettings.TrimmedDistance) {
            (cut, noiseScale, particleContrast) = (distance.cut, test.noiseScale, test.contrast)
        }
    }

    /// The share of the patches at origins xs × ys (row by row) that hold specks by `test`, each
    /// evaluated once at its flow (u, v) with the trimmed distance; patches whose flow is NaN are left out.
    static func particleShare(_ l0: PyramidLevel, _ l1: PyramidLevel, xs: [Int], ys: [Int], u: [Float], v: [Float],
                              P: Int, distance: DISSettings.TrimmedDistance, test: DISSettings.ParticleTest) -> Float {
        let probe = Trim(probing: test, with: distance)
        let largest = Float(test.largest), invN = 1 / Float(P * P)
        var holding = 0, counted = 0
        l0.pixels.withUnsafeBufferPointer { i0b in
        l1.pixels.withUnsafeBufferPointer { i1b in
        l0.gx.withUnsafeBufferPointer { gxb in
        l0.gy.withUnsafeBufferPointer { gyb in
            var k = 0
            for py in ys {
                for px in xs {
                    defer { k += 1 }
                    guard !u[k].isNaN && !v[k].isNaN else { continue }
                    let e = patchSums(i0b.baseAddress!, i1b.baseAddress!, gxb.baseAddress!, gyb.baseAddress!, w: l0.width,
                                      h: l0.height, P: P, px: px, py: py, du: u[k], dv: v[k], invN: invN, trim: probe)
                    counted += 1
                    if e.standouts >= 1 && e.standouts <= largest { holding += 1 }
                }
            }
        }}}}
        return counted > 0 ? Float(holding) / Float(counted) : 0
    }

    /// Patch search and densification of one level; returns the share of patches holding
    /// particles by `measuring`'s test, evaluated at the patches' final flows (0 without it).
    @discardableResult
    static func run(_ l0: PyramidLevel, _ l1: PyramidLevel, u: inout [Float], v: inout [Float], settings: DISSettings,
                    measuring: (DISSettings.TrimmedDistance, DISSettings.ParticleTest)? = nil) -> Float {
        let w = l0.width, h = l0.height, P = settings.patchSize
        let trim = Trim(settings.trimmedDistance)
        let xs = origins(size: w, patch: P, stride: settings.patchStride)
        let ys = origins(size: h, patch: P, stride: settings.patchStride)
        let nx = xs.count, ny = ys.count
        let np = nx * ny
        var pu = [Float](repeating: 0, count: np), pv = [Float](repeating: 0, count: np)
        // Two passes (forward, then backward) as in OpenCV, sharing the Gauss–Newton iterations;
        // before each patch's descent, the flow of the previous patch in the row and in the column
        // (in the pass's direction) is tried, and the candidate of lowest distance kept (spatial propagation).
        let passes = 2
        let totalIters = settings.gradientDescentIterations
        let n = Float(P * P), invN = 1 / n
        let maxMove = Float(P)

        // Template statistics (the inverse compositional part: once per patch).
        var stats = [Float](repeating: 0, count: np * 8)   // hxx hxy hyy sx sy tMean sgxt sgyt
        var ok = [Bool](repeating: false, count: np)

        l0.pixels.withUnsafeBufferPointer { i0b in
        l1.pixels.withUnsafeBufferPointer { i1b in
        l0.gx.withUnsafeBufferPointer { gxb in
        l0.gy.withUnsafeBufferPointer { gyb in
        u.withUnsafeBufferPointer { ub in
        v.withUnsafeBufferPointer { vb in
        stats.withUnsafeMutableBufferPointer { stb in
        pu.withUnsafeMutableBufferPointer { pub in
        pv.withUnsafeMutableBufferPointer { pvb in
            let i0 = i0b.baseAddress!, i1 = i1b.baseAddress!, gx = gxb.baseAddress!, gy = gyb.baseAddress!
            let st8 = stb.baseAddress!
            for (iy, py) in ys.enumerated() {
                for (ixp, px) in xs.enumerated() {
                    let k = iy * nx + ixp
                    var sxx: Float = 0, sxy: Float = 0, syy: Float = 0, sx: Float = 0, sy: Float = 0
                    var st: Float = 0, sgxt: Float = 0, sgyt: Float = 0
                    for j in 0..<P {
                        let row = (py + j) * w + px
                        for i in 0..<P {
                            let a = gx[row + i], b = gy[row + i], t = i0[row + i]
                            sxx += a * a; sxy += a * b; syy += b * b
                            sx += a; sy += b; st += t
                            sgxt += a * t; sgyt += b * t
                        }
                    }
                    // Hessian of the mean-normalized template: Σ (g − ḡ)(g − ḡ)ᵀ.
                    let hxx = sxx - sx * sx * invN, hxy = sxy - sx * sy * invN, hyy = syy - sy * sy * invN
                    let det = hxx * hyy - hxy * hxy
                    ok[k] = det > 1e-6 * (hxx + hyy) * (hxx + hyy) + 1e-9
                    let o = st8 + 8 * k
                    o[0] = hxx; o[1] = hxy; o[2] = hyy; o[3] = sx; o[4] = sy; o[5] = st * invN; o[6] = sgxt; o[7] = sgyt
                    let cxi = (py + P / 2) * w + (px + P / 2)
                    pub[k] = ub[cxi]; pvb[k] = vb[cxi]
                }
            }

            for pass in 0..<passes {
                let dir = pass % 2 == 0 ? 1 : -1
                let iters = (totalIters + passes - 1 - pass) / passes
                for r in 0..<ny {
                    let iy = dir > 0 ? r : ny - 1 - r
                    let py = ys[iy]
                    for c in 0..<nx {
                        let ixp = dir > 0 ? c : nx - 1 - c
                        let px = xs[ixp]
                        let k = iy * nx + ixp
                        var cu = pub[k], cv = pvb[k]
                        // Spatial propagation.
                        var best = patchSums(i0, i1, gx, gy, w: w, h: h, P: P, px: px, py: py, du: cu, dv: cv, invN: invN, trim: trim)
                        if c > 0 {
                            let kn = k - dir
                            let qu = pub[kn], qv = pvb[kn]
                            if qu != cu || qv != cv {
                                let cand = patchSums(i0, i1, gx, gy, w: w, h: h, P: P, px: px, py: py, du: qu, dv: qv, invN: invN, trim: trim)
                                if cand.msd < best.msd { best = cand; cu = qu; cv = qv }
                            }
                        }
                        if r > 0 {
                            let kn = k - dir * nx
                            let qu = pub[kn], qv = pvb[kn]
                            if qu != cu || qv != cv {
                                let cand = patchSums(i0, i1, gx, gy, w: w, h: h, P: P, px: px, py: py, du: qu, dv: qv, invN: invN, trim: trim)
                                if cand.msd < best.msd { best = cand; cu = qu; cv = qv }
                            }
                        }
                        let u0 = cu, v0 = cv
                        if ok[k] && iters > 0 {
                            let o = st8 + 8 * k
                            var cur = best
                            var prevSSD = Float.infinity
                            // The lowest patch distance evaluated so far, and where: Gauss–Newton can
                            // overshoot (it stops only after a step made things worse), and on patches
                            // with no true match (occluded) it wanders; ending on the best point seen
                            // keeps those from leaving outliers behind.
                            var bestSSD = best.msd, bestU = cu, bestV = cv
                            var t = 0
                            while true {
                                // b = Σ g·r, r = (I1w − mean I1w) − (T − mean T).
                                var hxx = o[0], hxy = o[1], hyy = o[2], sx = o[3], sy = o[4]
                                var tMean = o[5], sgxt = o[6], sgyt = o[7], inv = invN
                                if cur.masked {
                                    if !cur.msd.isFinite { break }
                                    inv = 1 / cur.n
                                    sx = cur.sx; sy = cur.sy; sgxt = cur.sgxt; sgyt = cur.sgyt; tMean = cur.st * inv
                                    hxx = cur.sxx - sx * sx * inv; hxy = cur.sxy - sx * sy * inv; hyy = cur.syy - sy * sy * inv
                                    let det = hxx * hyy - hxy * hxy
                                    if !(det > 1e-6 * (hxx + hyy) * (hxx + hyy) + 1e-9) { break }
                                }
                                let invDet = 1 / (hxx * hyy - hxy * hxy)
                                let bx: Float, by: Float
                                if cur.trimmed {
                                    bx = cur.sgx - sx * inv * cur.sw; by = cur.sgy - sy * inv * cur.sw
                                } else {
                                    let dm = cur.sw * inv - tMean
                                    bx = cur.sgx - sgxt - dm * sx; by = cur.sgy - sgyt - dm * sy
                                }
                                let du = (hyy * bx - hxy * by) * invDet
                                let dv = (hxx * by - hxy * bx) * invDet
                                cu -= du; cv -= dv
                                if !(cu.isFinite && cv.isFinite) { cu = bestU; cv = bestV; break }
                                // Converged: the last (tiny) step is kept.
                                if du * du + dv * dv < 1e-4 { break }
                                // The distance stopped decreasing: the step from there may still land
                                // well (an overshoot corrected); keep it only if it beats the best point.
                                if cur.msd >= prevSSD {
                                    let last = patchSums(i0, i1, gx, gy, w: w, h: h, P: P, px: px, py: py,
                                                         du: cu, dv: cv, invN: invN, trim: trim)
                                    if !(last.msd < bestSSD) { cu = bestU; cv = bestV }
                                    break
                                }
                                prevSSD = cur.msd
                                t += 1
                                cur = patchSums(i0, i1, gx, gy, w: w, h: h, P: P, px: px, py: py, du: cu, dv: cv, invN: invN, trim: trim)
                                if cur.msd < bestSSD { bestSSD = cur.msd; bestU = cu; bestV = cv }
                                if t >= iters { cu = bestU; cv = bestV; break }
                            }
                            // Converged far from the starting point: keep the starting point.
                            if (cu - u0) * (cu - u0) + (cv - v0) * (cv - v0) > maxMove * maxMove { cu = u0; cv = v0 }
                        }
                        pub[k] = cu; pvb[k] = cv
                    }
                }
            }
        }}}}}}}}}

        var particleShare: Float = 0
        if let (distance, test) = measuring {
            particleShare = Self.particleShare(l0, l1, xs: xs, ys: ys, u: pu, v: pv, P: P, distance: distance, test: test)
        }

        // Densification: per pixel, average of the covering patches' flows weighted by
        // 1 / max(1, |I1(x + u_i) − I0(x)|)². The paper (and OpenCV) use the first power; squaring
        // lets the patch that actually matches win more clearly where patches straddle a motion
        // boundary. Measured on the sprite sequences (Benchmarks/flow-vs-opencv.sh): ultrafast EPE
        // 0.718 → 0.683 at 640×480 and 0.890 → 0.853 at 1280×720, no preset or case worse.
        var su = [Float](repeating: 0, count: w * h), sv = su, sw = su
        l0.pixels.withUnsafeBufferPointer { i0b in
        l1.pixels.withUnsafeBufferPointer { i1b in
        su.withUnsafeMutableBufferPointer { sub in
        sv.withUnsafeMutableBufferPointer { svb in
        sw.withUnsafeMutableBufferPointer { swb in
            let i0 = i0b.baseAddress!, i1 = i1b.baseAddress!
            var k = 0
            for py in ys {
                for px in xs {
                    let cu = pu[k], cv = pv[k]
                    k += 1
                    let (fxp, fyp, ix, iy, _, _, inside, w00, w01, w10, w11) = landing(px: px, py: py, du: cu, dv: cv, P: P, w: w, h: h)
                    if inside && P == 8 {
                        typealias V8 = SIMD8<Float>
                        @inline(__always) func load(_ q: UnsafePointer<Float>) -> V8 {
                            UnsafeRawPointer(q).loadUnaligned(as: V8.self)
                        }
                        @inline(__always) func store(_ x: V8, _ q: UnsafeMutablePointer<Float>) {
                            UnsafeMutableRawPointer(q).storeBytes(of: x, as: V8.self)
                        }
                        let one = V8(repeating: 1)
                        for j in 0..<8 {
                            let r0 = (py + j) * w + px
                            let a = i1 + (iy + j) * w + ix, b = a + w
                            let sv = w00 * load(a) + w01 * load(a + 1) + w10 * load(b) + w11 * load(b + 1)
                            let dd = sv - load(i0 + r0)
                            var ad = dd.replacing(with: -dd, where: dd .< 0)
                            ad.replace(with: one, where: ad .< one)
                            let wt = one / (ad * ad)
                            let pu = sub.baseAddress! + r0, pv = svb.baseAddress! + r0, pw = swb.baseAddress! + r0
                            store(load(pu) + wt * cu, pu); store(load(pv) + wt * cv, pv); store(load(pw) + wt, pw)
                        }
                        continue
                    }
                    for j in 0..<P {
                        let r0 = (py + j) * w + px
                        for i in 0..<P {
                            let s: Float
                            if inside {
                                let a = i1 + (iy + j) * w + ix + i
                                s = w00 * a[0] + w01 * a[1] + w10 * a[w] + w11 * a[w + 1]
                            } else {
                                s = Pyramid.sampleClamped(i1, w, h, fxp + Float(i), fyp + Float(j))
                            }
                            let e = max(1, abs(s - i0[r0 + i])), wt = 1 / (e * e)
                            sub[r0 + i] += wt * cu; svb[r0 + i] += wt * cv; swb[r0 + i] += wt
                        }
                    }
                }
            }
        }}}}}
        for i in 0..<(w * h) where sw[i] > 0 {
            let inv = 1 / sw[i]
            u[i] = su[i] * inv
            v[i] = sv[i] * inv
        }
        return particleShare
    }
}

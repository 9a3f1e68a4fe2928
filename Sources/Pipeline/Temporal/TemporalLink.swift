import OpticalFlow

/// What the sequential stage needs to carry frame t−1's output into frame t, all
/// computed from the two input frames (so in the parallel workers), on frame t's grid
/// at network size.
public struct TemporalLink: Sendable {
    /// Flow t → t−1 on frame t's grid: where each pixel of t was in t−1 (the backward warp).
    public let flow: FlowField
    /// Feathered confidence of that flow, 0…1 per pixel.
    public let confidence: [Float]
    /// Luminance change of the input at each pixel (in_t − warp(in_{t−1})), blurred; 0…255 scale.
    public let brightness: [Float]
    /// Share of the contrast gain allowed at each pixel, 0…1 (see `contrastConfinement`).
    /// Empty when the blend keeps no contrast.
    public let contrastWeight: [Float]
    /// True when frame t does not continue frame t−1 (a cut): start the history afresh.
    public let isCut: Bool
    /// The flow's particle test found things falling or drifting in front (snow, rain, specks in water).
    public let particles: Bool
    /// Mean absolute difference after the brightness correction, and mean confidence (for diagnostics).
    public let difference: Float
    public let meanConfidence: Float
}

enum Temporal {
    /// Rec. 601 luma of planar RGB 0…255.
    static func gray(planar rgb: UnsafePointer<Float>, width: Int, height: Int) -> GrayImage {
        let n = width * height
        var pixels = [Float].uninitialized(n)
        pixels.withUnsafeMutableBufferPointer { g in
            for i in 0..<n { g[i] = BT601.luma(rgb[i], rgb[n + i], rgb[2 * n + i]) }
        }
        return GrayImage(width: width, height: height, pixels: pixels)
    }

    /// How far each pixel's luma (the first plane of `planes`) stands out of its 5×5 surroundings.
    static func standingOut(_ planes: [Float], width w: Int, height h: Int) -> [Float] {
        let n = w * h
        var workspace: [Float] = []
        return [Float](unsafeUninitializedCapacity: n) { out, count in
            planes.withUnsafeBufferPointer { y in
                BoxBlur.apply(y.baseAddress!, into: out.baseAddress!, width: w, height: h, radius: 2, workspace: &workspace)
                for i in 0..<n { out[i] = abs(y[i] - out[i]) }
            }
            count = n
        }
    }

    /// How the content of the 16×16 blocks changed from frame t−1 to frame t (the first planes:
    /// `a` is frame t, `b` frame t−1 carried along the flow, `previous` frame t−1 as it stands).
    /// Blocks left over at the right and bottom are not counted.
    struct BlockChange: Equatable {
        /// Of the blocks textured in both `a` and `b` (luma standard deviation over 5 levels), the
        /// share whose content correlates under 0.5: a block that frame t−1 no longer explains.
        /// Pixels standing out of their 5×5 surroundings by more than 30 levels in either
        /// (`standingOut` of each: specks, flakes, whose every move decorrelates a flat sky's
        /// blocks) are left out.
        var decorrelatedShare: Float
        /// Whether the frame's layout — where it is light and where dark — stayed: the correlation,
        /// over the blocks, of their mean luma in frame t and in frame t−1, taken with frame t−1 as
        /// it stands and carried along the flow, and averaged. As they stand, a moving camera shifts
        /// the layout; carried, a flow found between two unrelated shots can shape one's smooth
        /// light into the other's. nil when frame t's means hardly vary (no layout to compare).
        var layoutCorrelation: Float?
    }

    static func blockChange(_ a: [Float], _ b: [Float], previous c: [Float], standingOut apart: (a: [Float], b: [Float]),
                            width w: Int, height h: Int) -> BlockChange {
        let side = 16
        var textured = 0, decorrelated = 0
        var carried: [(a: Float, b: Float)] = [], standing: [(a: Float, b: Float)] = []
        a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
        c.withUnsafeBufferPointer { c in
        apart.a.withUnsafeBufferPointer { apartA in
        apart.b.withUnsafeBufferPointer { apartB in
        for top in stride(from: 0, through: h - side, by: side) {
            for left in stride(from: 0, through: w - side, by: side) {
                var count: Float = 0, sa: Float = 0, sb: Float = 0, saa: Float = 0, sbb: Float = 0, sab: Float = 0
                var layoutA: Float = 0, layoutB: Float = 0, layoutC: Float = 0
                for y in top..<(top + side) {
                    for x in left..<(left + side) {
                        let i = y * w + x, p = a[i], q = b[i]
                        layoutA += p; layoutB += q; layoutC += c[i]
                        if apartA[i] > 30 || apartB[i] > 30 { continue }
                        count += 1; sa += p; sb += q; saa += p * p; sbb += q * q; sab += p * q
                    }
                }
                carried.append((layoutA, layoutB))
                standing.append((layoutA, layoutC))
                guard count >= Float(side * side / 2) else { continue }
                let (meanA, meanB) = (sa / count, sb / count)
                let va = saa / count - meanA * meanA, vb = sbb / count - meanB * meanB
                let covariance = sab / count - meanA * meanB
                guard va > 25 && vb > 25 else { continue }
                textured += 1
                if covariance < 0.5 * (va * vb).squareRoot() { decorrelated += 1 }
            }
        }
        }}}}}
        let share = textured > 0 ? Float(decorrelated) / Float(textured) : 0
        // Block sums: a mean luma that varies by 2 levels varies by 2·256 here.
        let flat = Float(2 * side * side)
        var layout: Float? = nil
        if let alongFlow = correlation(carried, flatBelow: flat), let asTheyStand = correlation(standing, flatBelow: flat) {
            layout = (alongFlow + asTheyStand) / 2
        }
        return BlockChange(decorrelatedShare: share, layoutCorrelation: layout)
    }

    /// Pearson's correlation of the pairs: nil when the first values' standard deviation is under
    /// `flatBelow` (nothing to compare with), 0 when only the second values' is.
    static func correlation(_ pairs: [(a: Float, b: Float)], flatBelow: Float) -> Float? {
        guard !pairs.isEmpty else { return nil }
        let k = Float(pairs.count)
        let meanA = pairs.reduce(0) { $0 + $1.a } / k, meanB = pairs.reduce(0) { $0 + $1.b } / k
        var va: Float = 0, vb: Float = 0, cab: Float = 0
        for (x, y) in pairs {
            va += (x - meanA) * (x - meanA); vb += (y - meanB) * (y - meanB); cab += (x - meanA) * (y - meanB)
        }
        guard va / k >= flatBelow * flatBelow else { return nil }
        guard vb / k >= flatBelow * flatBelow else { return 0 }
        return cab / (va * vb).squareRoot()
    }

    /// The flow from frame t to t−1 and everything derived from it.
    static func link(previous pm: MotionFrame, current cm: MotionFrame, settings: TemporalSettings) -> TemporalLink {
        let a = pm.flow, b = cm.flow
        let w = b.width, h = b.height, n = w * h
        let current = cm.planes   // Y, Cb, Cr planes of frame t
        let backwardMatch = OpticalFlow.match(from: b, to: a, settings: settings.flow)    // t → t−1, on t's grid
        var backward = backwardMatch.flow
        // The occlusion test runs on the grid DIS ended on (its field was upsampled from there; the
        // test on the full grid costs four times as much for the same pictures: docs/temporal.md,
        // "The occlusion test on the flow's grid").
        let step = 1 << settings.flow.finestScale
        let found = backward.subsampled(by: step)
        var coarse = found
        // Its reverse flow (t−1 → t, on t−1's grid) is the backward flow pushed to where it lands:
        // where two things land on one place, one covers the other. A second DIS flow would also
        // flag wherever the two estimates' noise differs, and cost as much as the first
        // (docs/temporal.md, "The reverse flow from the backward flow").
        var forward = coarse.reversed(crowding: settings.occlusionCrowding)
        // Particles show in either frame's patches: frame t−1's are tested along the reverse flow.
        let particles = backwardMatch.foundParticles
            || settings.flow.particleTest.map { test in
                let share = OpticalFlow.particleShare(from: a, to: b, along: forward, gridStep: step, settings: settings.flow)
                return (share ?? 0) >= test.share
            } ?? false
        // The background behind things that move on their own (snow, rain) goes with the camera, both
        // ways (the forward flow, on frame t−1's grid, at the same pixels: the camera moves them by a
        // pixel or two, within the same background).
        let background = settings.cameraBackground?.background(previous: a.image, current: b.image, flow: backward,
                                                               particles: particles)
        if let background {
            background.motion.replace(in: &backward, at: background.pixels, width: w)
            background.motion.replace(in: &coarse, at: background.pixels, width: w, step: step)
            background.motion.inverse.replace(in: &forward, at: background.pixels, width: w, step: step)
        }
        // Occlusions (the flows disagree, or point outside the frame) and motion boundaries
        // decide what can be carried; a pixel going with the camera is consistent by itself,
        // whatever the flow around it does. The boundaries are those of the flow as DIS found it:
        // where the background was put to the camera's motion beside pixels whose own small motion
        // was kept, the field jumps by up to a pixel where nothing moves (docs/temporal.md, "The
        // background's replacement draws motion boundaries of its own").
        var thresholds = Consistency.Thresholds.ruder2016
        thresholds.occlusionAbsolute = settings.occlusionTolerance
        thresholds.boundaryAbsolute = settings.motionBoundaryTolerance
        let masks = Consistency.masks(flow: coarse, reverse: forward, boundariesOf: found,
                                      thresholds: thresholds.coarser(by: step))
        var hard = Consistency.confidence(masks, includeMotionBoundaries: settings.motionBoundaries)
            .upsampled(by: step, toWidth: w, height: h)
        if let background {
            // Also where its own small motion was kept: beside the places the noisy flow crowds,
            // the occlusion test would flag a still background pixel by pixel.
            hard.mask.withUnsafeMutableBufferPointer { mask in
                background.agrees.withUnsafeBufferPointer { agrees in
                    for i in 0..<n where agrees[i] { mask[i] = 1 }
                }
            }
        }
        let soft = hard.feathered(radius: settings.featherRadius)

        // Input change along the flow, measured where the flow is trusted.
        // Frame t−1's Y, Cb, Cr carried to frame t along the flow, in one pass.
        var warped: [Float] = []
        Warp.backward(planar: pm.planes, channels: 3, width: w, height: h, flow: backward, reusing: &warped)
        var diff = [Float].uninitialized(n), weighted = [Float].uninitialized(n)
        current.withUnsafeBufferPointer { now in
        warped.withUnsafeBufferPointer { before in
        hard.mask.withUnsafeBufferPointer { trusted in
        diff.withUnsafeMutableBufferPointer { diff in
        weighted.withUnsafeMutableBufferPointer { weighted in
            for i in 0..<n {
                let d = now[i] - before[i]
                diff[i] = d
                weighted[i] = trusted[i] * d
            }
        }}}}}
        let meanConfidence = Float(hard.meanConfidence)
        // Cut test over all pixels (a cut also makes the flow unreliable, so don't trust the mask alone).
        let (deviation, meanDiff) = PlaneStatistics.absoluteDeviations(diff)
        let difference = PlaneStatistics.mean(deviation)
        // Where each pixel stands out of its surroundings in frame t and in frame t−1 carried to it.
        let now = standingOut(current, width: w, height: h), before = standingOut(warped, width: w, height: h)
        let blocks = blockChange(current, warped, previous: pm.planes, standingOut: (now, before), width: w, height: h)
        let isCut = difference > settings.cutDifference || meanConfidence < settings.cutConfidence
            || (blocks.decorrelatedShare >= settings.cutDecorrelation
                && blocks.layoutCorrelation.map { $0 < settings.cutLayoutCorrelation } ?? true)

        // Δ = blur(M·d) / blur(M): the local brightness change, from reliable pixels only;
        // where none are near, the global mean change.
        let global = meanConfidence > 0 ? PlaneStatistics.mean(weighted) / meanConfidence : meanDiff
        let r = settings.brightnessRadius
        var blurSpace: [Float] = []
        var brightness = [Float].uninitialized(n), support = consume deviation   // its storage is the support's now
        BoxBlur.apply(weighted, into: &brightness, width: w, radius: r, workspace: &blurSpace)
        BoxBlur.apply(hard.mask, into: &support, width: w, radius: r, workspace: &blurSpace)
        brightness.withUnsafeMutableBufferPointer { brightness in
            support.withUnsafeBufferPointer { support in
                for i in 0..<n {
                    let ratio = brightness[i] / support[i]   // for every pixel, so that the loop vectorizes
                    brightness[i] = support[i] > 0.05 ? ratio : global
                }
            }
        }
        var confidence = soft.mask
        var confined: [Float]? = nil   // for the contrast gains' confinement, when it differs: without the particle margin
        if settings.residualHigh > settings.residualLow {
            // Blur each signed residual, then take their size: zero-mean noise averages away,
            // while a misplaced edge or object (same sign over a patch) stays.
            var luma = diff, cb = weighted, cr = [Float].uninitialized(n)
            (diff, weighted) = ([], [])   // their storage is the residuals' now
            current.withUnsafeBufferPointer { now in
            warped.withUnsafeBufferPointer { before in
            brightness.withUnsafeBufferPointer { brightness in
            luma.withUnsafeMutableBufferPointer { luma in
            cb.withUnsafeMutableBufferPointer { cb in
            cr.withUnsafeMutableBufferPointer { cr in
                let (nowCb, nowCr) = (now.baseAddress! + n, now.baseAddress! + 2 * n)
                let (beforeCb, beforeCr) = (before.baseAddress! + n, before.baseAddress! + 2 * n)
                for i in 0..<n {
                    luma[i] = luma[i] - brightness[i]
                    cb[i] = nowCb[i] - beforeCb[i]
                    cr[i] = nowCr[i] - beforeCr[i]
                }
            }}}}}}
            /// 1 up to `low`, falling to 0 at `high`, for the size of the three residuals, into `factor`
            /// (`combined`: the lower of that and what `factor` holds).
            func trust(low: Float, high: Float, into factor: inout [Float], combined: Bool) {
                luma.withUnsafeBufferPointer { luma in
                cb.withUnsafeBufferPointer { cb in
                cr.withUnsafeBufferPointer { cr in
                factor.withUnsafeMutableBufferPointer { factor in
                    for i in 0..<n {
                        let size = (luma[i] * luma[i] + cb[i] * cb[i] + cr[i] * cr[i]).squareRoot()
                        let trust = min(max((high - size) * (1 / (high - low)), 0), 1)
                        factor[i] = combined ? min(factor[i], trust) : trust
                    }
                }}}}
            }
            var factor = [Float](repeating: 1, count: n)
            if particles && settings.speckResidualHigh > settings.speckResidualLow {
                // Each pixel's own residual first, before the blur dilutes a speck's.
                trust(low: settings.speckResidualLow, high: settings.speckResidualHigh, into: &factor, combined: false)
            }
            BoxBlur.apply(inPlace: &luma, width: w, radius: settings.residualRadius, workspace: &blurSpace)
            BoxBlur.apply(inPlace: &cb, width: w, radius: settings.residualRadius, workspace: &blurSpace)
            BoxBlur.apply(inPlace: &cr, width: w, radius: settings.residualRadius, workspace: &blurSpace)
            trust(low: settings.residualLow, high: settings.residualHigh, into: &factor, combined: true)
            // Feathered like the consistency test's mask: the network paints a few pixels around what
            // it sees (a flake's halo), and history carried right up to the edge brings that along.
            let residual = FlowConfidence(width: w, height: h, mask: factor)
            let feathered = residual.feathered(radius: settings.featherRadius).mask
            if particles && (settings.particleTrailMargin > 0 || settings.particleOutlineMargin > 0) {
                // Distrust reaches further around where a particle was than around where one is now:
                // a pixel that stands out of its surroundings more in frame t than in frame t−1 carried
                // to it is (next to) a particle's place now.
                var behind = residual
                behind.mask.withUnsafeMutableBufferPointer { mask in
                    for i in 0..<n where now[i] > before[i] { mask[i] = 1 }
                }
                let trail = behind.widened(radius: settings.particleTrailMargin).feathered(radius: settings.featherRadius).mask
                let outline = residual.widened(radius: settings.particleOutlineMargin).feathered(radius: settings.featherRadius).mask
                var unwidened = confidence
                unwidened.withUnsafeMutableBufferPointer { unwidened in
                confidence.withUnsafeMutableBufferPointer { confidence in
                    for i in 0..<n {
                        unwidened[i] *= feathered[i]
                        confidence[i] *= min(trail[i], outline[i])
                    }
                }}
                confined = unwidened
            } else {
                confidence.withUnsafeMutableBufferPointer { confidence in
                    for i in 0..<n { confidence[i] *= feathered[i] }
                }
            }
        }
        var contrastWeight: [Float] = []
        if settings.contrastRadius > 0 {
            var weight = confined ?? confidence
            if particles && settings.particleClosing > 0 {
                weight = FlowConfidence(width: w, height: h, mask: weight).closed(radius: settings.particleClosing).mask
            }
            contrastWeight = [Float].uninitialized(n)
            BoxBlur.apply(weight, into: &contrastWeight, width: w, radius: settings.contrastRadius, workspace: &blurSpace)
            let slope = settings.contrastConfinement
            contrastWeight.withUnsafeMutableBufferPointer { weight in
                for i in 0..<n { weight[i] = min(max(1 - (1 - weight[i]) * slope, 0), 1) }
            }
        }
        return TemporalLink(flow: backward, confidence: confidence, brightness: brightness,
                            contrastWeight: contrastWeight, isCut: isCut, particles: particles, difference: difference,
                            meanConfidence: meanConfidence)
    }
}

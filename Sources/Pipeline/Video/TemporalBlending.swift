import MediaIO
import OpticalFlow

/// How the video job keeps strokes still from frame to frame (flicker-free output).
///
/// Each output frame is the network's picture blended with the previous *output*
/// carried along the input's motion (Ruder et al. 2016's short-term consistency,
/// done as a post-process instead of an optimisation):
///
///     out_t = stylized_t + c · s · (warp(out_{t−1}) + Δ − stylized_t)
///
/// `s` is `stability`; `c` the confidence in the flow: 0 on occlusions and motion
/// boundaries (forward–backward consistency), feathered, and lowered where frame t−1
/// carried along the flow still does not look like frame t (the flow is wrong there and
/// the history would leave a ghost trail), and — in the video job — lowered where the
/// network's own pictures already agree along the flow (nothing flickers there, and history
/// would only wash the strokes; see `inputChangeWeight`); and `Δ` the local (blurred) luminance change of
/// the *input* between t−1 and t along the flow, so that a fade or a light switching on
/// is followed instead of frozen. When the flow cannot explain frame t from frame t−1
/// (a scene cut), the history is dropped and out_t = stylized_t.
///
/// The defaults were tuned with `Benchmarks/flicker.sh` (warping error and detail on the
/// sample clip and OpenCV's clips) and the sprite clip of `TemporalBlendingTests`.
public struct TemporalSettings: Sendable, Equatable {
    /// 0 = every frame on its own (flickers), 1 = carry the previous output wherever the
    /// flow is trusted (steadiest; new detail then only enters where motion uncovers it).
    public var stability: Float = TemporalSettings.defaultStability
    /// DIS preset for the flows (computed on the network-size gray frames, in the workers).
    /// `.fast` (with variational refinement) gives about twice as many consistent pixels as
    /// `.ultrafast` on noisy input, for a cost that is small next to the network's.
    public var flow: DISSettings = .fast
    /// Radius, in network pixels, over which the confidence fades out next to unreliable pixels.
    public var featherRadius = 2
    /// Also distrust pixels on motion boundaries (Ruder et al.'s second test, with the
    /// absolute term below). DIS's ¼-resolution flow smears a moving object's motion over
    /// the background around it; the smear is a band of steep flow gradient that the
    /// occlusion test misses, and history carried there leaves a trail.
    public var motionBoundaries = true
    /// |∇u|² + |∇v|² allowed beyond 0.01·|w|² before a pixel is on a motion boundary (Ruder et
    /// al. use 0.002 with a sharper flow; on DIS's that flags most of a textured frame).
    public var motionBoundaryTolerance: Float = 0.03
    /// Squared pixels the forward and backward flows may disagree by before a pixel counts
    /// as occluded (Ruder et al. use 0.5 with a finer flow than DIS's fast presets give).
    public var occlusionTolerance: Float = 1.0
    /// Radius of the box blur of the luminance change Δ (removes input noise, keeps fades and light changes).
    public var brightnessRadius = 4
    /// Scene cut when the mean absolute difference (0…255) between warped frame t−1 and
    /// frame t, after removing their mean brightness change, exceeds this…
    public var cutDifference: Float = 24
    /// …or when fewer than this fraction of the pixels have a consistent flow.
    public var cutConfidence: Float = 0.1

    /// Where frame t−1 moved along the flow still does not look like frame t (after the
    /// brightness change), the flow is wrong there — typically background just uncovered by a
    /// moving object, which the coarse flow blurs over and the consistency test misses — and
    /// carrying the history would leave a ghost trail. The residual is the size of the
    /// luminance and colour-difference (Cb, Cr) differences, each box-blurred over
    /// `residualRadius` while still signed (zero-mean noise averages away, a misplaced edge
    /// does not); the confidence falls linearly from 1 to 0 as it goes from `residualLow` to
    /// `residualHigh` (0…255 units). Lower values remove more trail and less flicker.
    public var residualLow: Float = 10
    public var residualHigh: Float = 30
    public var residualRadius = 1

    /// Radius, in network pixels, of the window over which the blend keeps the local contrast
    /// of the strokes (see `TemporalBlender`; 0 = plain blend), and the most it may amplify.
    /// 6 (a 13×13 window, about one brush stroke at network size) kept the style loss closest to
    /// per-frame output on the handheld test clip (+0.9%, against +6.9% with 3 and +3.4% with 10,
    /// at the same ~72% of the flicker removed).
    public var contrastRadius = 6
    public var maxContrastGain: Float = 2
    /// The gain is applied in full only where the whole window is trusted: it falls to 1 as the
    /// share of untrusted flow in the window (1 − its mean confidence) goes from 0 to 1/this.
    /// Next to a moving object the window straddles the history's and the new frame's edges,
    /// which disagree; restoring their variance sharpened a halo that changed every frame
    /// (measured on a static camera with walkers, vtest: 47% of the flicker removed with the
    /// gain everywhere, 65% with this at 4, style loss −3.1% → −1.5% against per-frame).
    public var contrastConfinement: Float = 4

    /// Carry less history where the network's own picture is already steady: the history's
    /// weight is scaled by f + (1 − f)·max(e_s − k·e_i, 0) / (e_s + 1), where e_s is the change
    /// of the network's picture along the flow (frame t against frame t−1's, carried), e_i the
    /// input's (both Σ of squared R, G, B differences, blurred over `changeRadius`), k this
    /// factor and f `steadyShare`. Where the network redraws nothing the blend would only swap
    /// its strokes for resampled, averaged ones. Measured with Starry Night (120 frames):
    /// without this test (stability 0.8) style loss +12% on the sample clip and +11% on
    /// OpenCV's tree clip, whose output was then steadier than its input (184% of the gap
    /// closed); with k 0.2, f 0 (stability 0.85) +6.6% and +2.1%, but Great Wave's tree clip
    /// then kept only 46% of its flicker removed; f 0.3 gives 83% there, and +8.4% / +3.7%.
    /// nil turns the test off (the live modes: it needs the previous network picture carried,
    /// one more warp in the sequential stage).
    public var inputChangeWeight: Float? = 0.2
    public var steadyShare: Float = 0.3
    public var changeRadius = 4

    public static let defaultStability: Float = 0.85
    /// Live video's default: with the plain blend of `live(…)`, more history would smear the strokes.
    public static let liveDefaultStability: Float = 0.7

    /// The cheaper set-up of the live modes, which must hold 30 fps at 640×480 on two cores
    /// (Benchmarks/camera.sh, realtime Starry Night: .fast flows and the contrast-preserving
    /// blend gave 26.7 fps with 10% of the frames dropped; this gives 30 fps with none):
    /// `.ultrafast` flows (no variational refinement) and the plain blend, whose 18 box blurs
    /// per frame would sit in the one sequential stage.
    public static func live(stability: Float = liveDefaultStability, frameWidth: Int, height: Int) -> TemporalSettings {
        var settings = TemporalSettings(stability: stability, frameWidth: frameWidth, height: height)
        let finestScale = settings.flow.finestScale   // kept ~160 px across for this size
        settings.flow = .ultrafast
        settings.flow.finestScale = min(settings.flow.finestScale, finestScale)
        settings.contrastRadius = 0
        settings.inputChangeWeight = nil
        return settings
    }

    public init(stability: Float = TemporalSettings.defaultStability) {
        self.stability = stability
    }

    /// Settings for frames of this (network) size: the flow's finest level is kept at least
    /// ~160 pixels across. DIS `fast` stops at ¼ resolution — a 160-pixel grid of 8-pixel
    /// patches at 640 — and on smaller frames that grid is so coarse that most motion
    /// boundaries are smeared and the checks then refuse to carry much at all.
    public init(stability: Float = TemporalSettings.defaultStability, frameWidth: Int, height: Int) {
        self.init(stability: stability)
        var halvings = 0   // ≥ 640 → 2, 320…639 → 1, < 320 → 0
        while max(frameWidth, height) >= 320 << halvings { halvings += 1 }
        flow.finestScale = min(flow.finestScale, halvings)
    }
}

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
    /// How much the input changed along the flow: Σ over R, G, B of (in_t − warp(in_{t−1}))²,
    /// blurred over `changeRadius` (0…255 scale). Empty unless `inputChangeWeight` is set.
    public let inputChange: [Float]
    /// Share of the contrast gain allowed at each pixel, 0…1 (see `contrastConfinement`).
    /// Empty when the blend keeps no contrast.
    public let contrastWeight: [Float]
    /// True when frame t does not continue frame t−1 (a cut): start the history afresh.
    public let isCut: Bool
    /// Mean absolute difference after the brightness correction, and mean confidence (for diagnostics).
    public let difference: Float
    public let meanConfidence: Float
}

enum Temporal {
    /// Rec. 601 luma of planar RGB 0…255.
    static func gray(planar rgb: UnsafePointer<Float>, width: Int, height: Int) -> GrayImage {
        let n = width * height
        var pixels = [Float](repeating: 0, count: n)
        pixels.withUnsafeMutableBufferPointer { g in
            for i in 0..<n { g[i] = BT601.luma(rgb[i], rgb[n + i], rgb[2 * n + i]) }
        }
        return GrayImage(width: width, height: height, pixels: pixels)
    }

    /// Flows both ways between the frames t−1 and t, and everything derived from them.
    static func link(previous pm: MotionFrame, current cm: MotionFrame, settings: TemporalSettings) -> TemporalLink {
        let a = pm.flow, b = cm.flow
        let w = b.width, h = b.height, n = w * h
        let current = cm.planes   // Y, Cb, Cr planes of frame t
        let forward = OpticalFlow.dis(from: a, to: b, settings: settings.flow)     // t−1 → t, on t−1's grid
        let backward = OpticalFlow.dis(from: b, to: a, settings: settings.flow)    // t → t−1, on t's grid
        // Occlusions (the flows disagree, or point outside the frame) and motion boundaries
        // decide what can be carried.
        var thresholds = Consistency.Thresholds.ruder2016
        thresholds.occlusionAbsolute = settings.occlusionTolerance
        thresholds.boundaryAbsolute = settings.motionBoundaryTolerance
        let masks = Consistency.masks(flow: backward, reverse: forward, thresholds: thresholds)
        let hard = Consistency.confidence(masks, includeMotionBoundaries: settings.motionBoundaries)
        let soft = hard.feathered(radius: settings.featherRadius)

        // Input change along the flow, measured where the flow is trusted.
        // Frame t−1's Y, Cb, Cr carried to frame t along the flow, in one pass.
        let (warped, _) = Warp.backward(planar: pm.planes, channels: 3, width: w, height: h, flow: backward)
        var diff = [Float](repeating: 0, count: n)
        var weighted = [Float](repeating: 0, count: n)
        var sum = 0.0, weight = 0.0
        for i in 0..<n {
            let d = current[i] - warped[i]
            diff[i] = d
            let m = hard.mask[i]
            weighted[i] = m * d
            sum += Double(m * d)
            weight += Double(m)
        }
        let meanConfidence = Float(weight / Double(max(n, 1)))
        // Cut test over all pixels (a cut also makes the flow unreliable, so don't trust the mask alone).
        var meanDiff = 0.0
        for d in diff { meanDiff += Double(d) }
        meanDiff /= Double(max(n, 1))
        var spread = 0.0
        for d in diff { spread += Double(abs(d - Float(meanDiff))) }
        let difference = Float(spread / Double(max(n, 1)))
        let isCut = difference > settings.cutDifference || meanConfidence < settings.cutConfidence

        // Δ = blur(M·d) / blur(M): the local brightness change, from reliable pixels only;
        // where none are near, the global mean change.
        let global = weight > 0 ? Float(sum / weight) : Float(meanDiff)
        let r = settings.brightnessRadius
        var brightness = BoxBlur.apply(weighted, width: w, height: h, radius: r)
        let support = BoxBlur.apply(hard.mask, width: w, height: h, radius: r)
        for i in 0..<n {
            brightness[i] = support[i] > 0.05 ? brightness[i] / support[i] : global
        }
        var confidence = soft.mask
        if settings.residualHigh > settings.residualLow {
            // Blur each signed residual, then take their size: zero-mean noise averages away,
            // while a misplaced edge or object (same sign over a patch) stays.
            var luma = diff
            for i in 0..<n { luma[i] = diff[i] - brightness[i] }
            luma = BoxBlur.apply(luma, width: w, height: h, radius: settings.residualRadius)
            var cb = [Float](repeating: 0, count: n), cr = cb
            for i in 0..<n {
                cb[i] = current[n + i] - warped[n + i]
                cr[i] = current[2 * n + i] - warped[2 * n + i]
            }
            cb = BoxBlur.apply(cb, width: w, height: h, radius: settings.residualRadius)
            cr = BoxBlur.apply(cr, width: w, height: h, radius: settings.residualRadius)
            let high = settings.residualHigh, scale = 1 / (settings.residualHigh - settings.residualLow)
            for i in 0..<n {
                let residual = (luma[i] * luma[i] + cb[i] * cb[i] + cr[i] * cr[i]).squareRoot()
                confidence[i] *= min(max((high - residual) * scale, 0), 1)
            }
        }
        var inputChange: [Float] = []
        if settings.inputChangeWeight != nil {
            inputChange = [Float](repeating: 0, count: n)
            for i in 0..<n {
                let d = BT601.rgb(diff[i], current[n + i] - warped[n + i], current[2 * n + i] - warped[2 * n + i])
                inputChange[i] = d.r * d.r + d.g * d.g + d.b * d.b
            }
            inputChange = BoxBlur.apply(inputChange, width: w, height: h, radius: settings.changeRadius)
        }
        var contrastWeight: [Float] = []
        if settings.contrastRadius > 0 {
            contrastWeight = BoxBlur.apply(confidence, width: w, height: h, radius: settings.contrastRadius)
            let slope = settings.contrastConfinement
            for i in 0..<n { contrastWeight[i] = min(max(1 - (1 - contrastWeight[i]) * slope, 0), 1) }
        }
        return TemporalLink(flow: backward, confidence: confidence, brightness: brightness, inputChange: inputChange,
                            contrastWeight: contrastWeight, isCut: isCut, difference: difference,
                            meanConfidence: meanConfidence)
    }
}

/// The sequential half: holds the previous output and blends it into each new frame.
/// Frames must be given in order. Not thread-safe (lives on the sequential stage's thread).
///
/// A plain blend `mix(stylized, carried, a)` of two pictures whose strokes do not line up
/// (a network that redraws its strokes every frame) averages the strokes away: repeated every
/// frame, the carried texture fades towards a smooth wash (measured on a handheld clip with
/// the Starry Night preset: mean gradient −30%, style loss +32%). So the blend keeps the
/// local contrast: around each pixel it measures the variance of the stylized frame, of the
/// carried history and of their blend, and scales the blend's deviation from its local mean
/// so its variance is the same mix of the two variances, a·var(carried) + (1−a)·var(stylized),
/// instead of the smaller variance of the mix (the variance-preserving blend of texture
/// synthesis). Where the two agree the gain is 1 and nothing changes; it never lowers contrast.
public final class TemporalBlender {
    public let stability: Float
    /// Radius of the window for the local variances (0: plain blend), and the largest gain.
    public let contrastRadius: Int
    public let maxContrastGain: Float
    /// See `TemporalSettings.inputChangeWeight`; nil: the history's weight is `stability` × confidence.
    public let inputChangeWeight: Float?
    public let steadyShare: Float
    public let changeRadius: Int
    private var history: [Float] = []
    private var warped: [Float] = []
    private var historySize = (0, 0)
    /// The history's weight at each pixel of the current frame.
    private var weight: [Float] = []
    /// The previous frame's network picture (before blending), and it carried along the flow.
    private var previousStylized: [Float] = [], carriedStylized: [Float] = [], carriedValid: [Float] = []
    // Scratch for the contrast-preserving blend, one plane each, kept between frames.
    private var meanA: [Float] = [], varianceA: [Float] = [], meanB: [Float] = [], varianceB: [Float] = []
    private var blurWorkspace: [Float] = []
    /// Frames whose history was reset (first frame, cuts, size changes).
    public private(set) var resets = 0

    public init(settings: TemporalSettings) {
        self.stability = min(max(settings.stability, 0), 1)
        self.contrastRadius = max(settings.contrastRadius, 0)
        self.maxContrastGain = max(settings.maxContrastGain, 1)
        self.inputChangeWeight = settings.inputChangeWeight.map { max($0, 0) }
        self.steadyShare = min(max(settings.steadyShare, 0), 1)
        self.changeRadius = max(settings.changeRadius, 0)
    }

    /// Blends `pixels` (planar RGB 0…255, width×height) with the carried history in place,
    /// and keeps the result as the new history.
    public func blend(_ pixels: inout [Float], width: Int, height: Int, link: TemporalLink?) {
        let n = width * height
        guard let link, !link.isCut, historySize == (width, height), history.count == 3 * n,
              link.flow.width == width, link.flow.height == height, stability > 0 else {
            resets += 1
            Self.copy(pixels, into: &history)
            if inputChangeWeight != nil { Self.copy(pixels, into: &previousStylized) }
            historySize = (width, height)
            return
        }
        // Catmull-Rom, not bilinear: the history is warped again every frame, and bilinear
        // resampling at sub-pixel offsets blurs it a little more each time (on a panning
        // shot the carried strokes soften visibly; measured: mean gradient −13% vs −5.5%).
        // Only where the history is used (confidence > 0); elsewhere `warped` keeps finite
        // values from earlier frames, which the blend multiplies by 0.
        Warp.backwardCubic(planar: history, channels: 3, width: width, height: height, flow: link.flow,
                           reusing: &warped, needed: link.confidence)
        historyWeight(stylized: pixels, link: link, width: width, height: height)
        if contrastRadius > 0 && meanA.count != n {
            meanA = [Float](repeating: 0, count: n); varianceA = meanA; meanB = meanA; varianceB = meanA
        }
        let r = contrastRadius, maxGain = maxContrastGain
        warped.withUnsafeMutableBufferPointer { wp in
            pixels.withUnsafeMutableBufferPointer { px in
                weight.withUnsafeBufferPointer { ab in
                    link.brightness.withUnsafeBufferPointer { bb in
                        link.contrastWeight.withUnsafeBufferPointer { gw in
                            // Full gain everywhere when the link was made without the shares.
                            let gainShare = gw.count == n ? gw.baseAddress : nil
                            for c in 0..<3 {
                                let stylized = px.baseAddress! + c * n, carried = wp.baseAddress! + c * n
                                for i in 0..<n { carried[i] += bb[i] }
                                guard r > 0 else {
                                    for i in 0..<n {
                                        let v = min(max(stylized[i] + ab[i] * (carried[i] - stylized[i]), 0), 255)
                                        stylized[i] = v
                                        carried[i] = v
                                    }
                                    continue
                                }
                                blendKeepingContrast(stylized: stylized, carried: carried, weight: ab.baseAddress!,
                                                     gainShare: gainShare, width: width, height: height,
                                                     radius: r, maxGain: maxGain)
                            }
                        }
                    }
                }
            }
        }
        swap(&history, &warped)
    }

    /// Fills `weight` with the history's weight at each pixel: stability × confidence, scaled
    /// (with `inputChangeWeight`) by how much of the network's change along the flow the input's
    /// own change does not explain. Then keeps `stylized` for the next frame.
    private func historyWeight(stylized: [Float], link: TemporalLink, width: Int, height: Int) {
        let n = width * height, s = stability
        if weight.count != n { weight = [Float](repeating: 0, count: n) }
        defer { if inputChangeWeight != nil { Self.copy(stylized, into: &previousStylized) } }
        guard let k = inputChangeWeight, link.inputChange.count == n, previousStylized.count == 3 * n else {
            for i in 0..<n { weight[i] = link.confidence[i] * s }
            return
        }
        Warp.backward(planar: previousStylized, channels: 3, width: width, height: height, flow: link.flow,
                      reusing: &carriedStylized, valid: &carriedValid)
        weight.withUnsafeMutableBufferPointer { e in
            stylized.withUnsafeBufferPointer { now in
                carriedStylized.withUnsafeBufferPointer { before in
                    for i in 0..<n { e[i] = 0 }
                    for c in 0..<3 {
                        for i in c * n..<(c + 1) * n {
                            let d = now[i] - before[i]
                            e[i - c * n] += d * d
                        }
                    }
                    BoxBlur.apply(e.baseAddress!, into: e.baseAddress!, width: width, height: height,
                                  radius: changeRadius, workspace: &blurWorkspace)
                    let f = steadyShare
                    for i in 0..<n {
                        let unexplained = max(e[i] - k * link.inputChange[i], 0) / (e[i] + 1)
                        e[i] = link.confidence[i] * s * (f + (1 - f) * unexplained)
                    }
                }
            }
        }
    }

    /// Copies without allocating once `destination` has the right size.
    private static func copy(_ source: [Float], into destination: inout [Float]) {
        if destination.count != source.count { destination = [Float](repeating: 0, count: source.count) }
        destination.withUnsafeMutableBufferPointer { d in
            source.withUnsafeBufferPointer { s in d.baseAddress!.update(from: s.baseAddress!, count: s.count) }
        }
    }

    /// One plane: `stylized` and `carried` both receive the result. `weight`: the history's
    /// weight per pixel; `gainShare`: how much of the contrast gain each pixel may take (nil: all).
    private func blendKeepingContrast(stylized: UnsafeMutablePointer<Float>, carried: UnsafeMutablePointer<Float>,
                                      weight: UnsafePointer<Float>, gainShare: UnsafePointer<Float>?,
                                      width: Int, height: Int, radius r: Int, maxGain: Float) {
        let n = width * height
        meanA.withUnsafeMutableBufferPointer { ma in
        varianceA.withUnsafeMutableBufferPointer { va in
        meanB.withUnsafeMutableBufferPointer { mb in
        varianceB.withUnsafeMutableBufferPointer { vb in
            let (meanA, varianceA, meanB, varianceB) = (ma.baseAddress!, va.baseAddress!, mb.baseAddress!, vb.baseAddress!)
            BoxBlur.localMoments(stylized, mean: meanA, variance: varianceA, width: width, height: height, radius: r,
                                 workspace: &blurWorkspace)
            BoxBlur.localMoments(carried, mean: meanB, variance: varianceB, width: width, height: height, radius: r,
                                 workspace: &blurWorkspace)
            // The target variance (into varianceA) and the plain blend (into `stylized`).
            for i in 0..<n {
                let a = weight[i]
                varianceA[i] += a * (varianceB[i] - varianceA[i])
                stylized[i] += a * (carried[i] - stylized[i])
            }
            BoxBlur.localMoments(stylized, mean: meanB, variance: varianceB, width: width, height: height, radius: r,
                                 workspace: &blurWorkspace)
            for i in 0..<n {
                // +1: flat areas (variance ≈ 0) keep gain ≈ 1 instead of amplifying noise.
                let full = min(max(((varianceA[i] + 1) / (varianceB[i] + 1)).squareRoot(), 1), maxGain)
                let gain = 1 + (full - 1) * (gainShare?[i] ?? 1)
                let v = min(max(meanB[i] + gain * (stylized[i] - meanB[i]), 0), 255)
                stylized[i] = v
                carried[i] = v
            }
        }}}}
    }
}

import CKernels
import OpticalFlow

/// The sequential half: holds the previous output and blends it into each new frame.
/// Frames must be given in order. Not thread-safe (lives on the sequential stage's thread).
///
/// A plain blend `mix(stylized, carried, a)` of two pictures whose strokes do not line up
/// (a network that redraws its strokes every frame) averages the strokes away: repeated every
/// frame, the carried texture fades towards a smooth wash. So the blend keeps the
/// local contrast: around each pixel it measures the variance of the stylized frame, of the
/// carried history and of their blend, and scales the blend's deviation from its local mean
/// so its variance is the same mix of the two variances, a·var(carried) + (1−a)·var(stylized),
/// instead of the smaller variance of the mix (the variance-preserving blend of texture
/// synthesis). Where the two agree the gain is 1 and nothing changes; it never lowers contrast.
/// The finest detail gets the same treatment once more on its own (`fineRadius`): the
/// window's variance is mostly the coarser layout, which two brushings share, so one gain
/// for the whole window would leave the fine strokes, which they do not share, faint.
/// The history's share of that fine target is its energy as it was painted, measured before
/// the warp and carried along the flow: the resampling softens the finest strokes a little
/// every frame, and measured after it the loss would compound frame after frame.
/// Both gains scale a pixel's deviation only up to `deviationLimit` local standard deviations,
/// so that they regain the strokes' contrast and not the stray specks'.
public final class TemporalBlender {
    public let stability: Float
    /// Radius of the window for the local variances (0: plain blend), and the largest gain.
    public let contrastRadius: Int
    public let maxContrastGain: Float
    /// Standard deviations of its window a deviation may take the gain on (see `TemporalSettings.deviationLimit`).
    public let deviationLimit: Float
    /// Radius below which detail gets its own gain (0: none); see `TemporalSettings.fineRadius`.
    public let fineRadius: Int
    private var history: [Float] = []
    private var warped: [Float] = []
    private var historySize = (0, 0)
    /// The fine-band energy of `history` per channel (see `fineEnergy`), measured before its warp; and it warped.
    private var historyFine: [Float] = [], warpedFine: [Float] = [], warpedFineValid: [Float] = []
    // Scratch for the contrast-preserving blend, one plane each, kept between frames.
    private var meanA: [Float] = [], varianceA: [Float] = [], meanB: [Float] = [], varianceB: [Float] = []
    private var fineTarget: [Float] = [], fineVariance: [Float] = [], band: [Float] = []
    private var blurWorkspace: [Float] = []
    /// Frames whose history was reset (first frame, cuts, size changes).
    public private(set) var resets = 0

    public init(settings: TemporalSettings) {
        self.stability = min(max(settings.stability, 0), 1)
        self.contrastRadius = max(settings.contrastRadius, 0)
        self.maxContrastGain = max(settings.maxContrastGain, 1)
        self.deviationLimit = max(settings.deviationLimit, 1)
        self.fineRadius = max(settings.fineRadius, 0)
    }

    /// Blends `pixels` (planar RGB 0…255, width×height) with the carried history in place,
    /// and keeps the result as the new history.
    public func blend(_ pixels: inout [Float], width: Int, height: Int, link: TemporalLink?) {
        let n = width * height
        guard let link, !link.isCut, historySize == (width, height), history.count == 3 * n,
              link.flow.width == width, link.flow.height == height, stability > 0 else {
            resets += 1
            Self.copy(pixels, into: &history)
            historySize = (width, height)
            measureFineEnergy(of: pixels, width: width, height: height)
            return
        }
        // The sharp bicubic (see `Warp.backwardCubic`): the history is warped again every frame,
        // and a softer resampling at sub-pixel offsets blurs it a little more each time.
        // Only where the history is used (confidence > 0); elsewhere `warped` keeps finite
        // values from earlier frames, which the blend multiplies by 0.
        Warp.backwardCubic(planar: history, channels: 3, width: width, height: height, flow: link.flow,
                           reusing: &warped, needed: link.confidence)
        if contrastRadius > 0 && meanA.count != n {
            meanA = [Float](repeating: 0, count: n); varianceA = meanA; meanB = meanA; varianceB = meanA
        }
        if tracksFineEnergy {
            Warp.backward(planar: historyFine, channels: 3, width: width, height: height, flow: link.flow,
                          reusing: &warpedFine, valid: &warpedFineValid)
        }
        let r = contrastRadius, s = stability
        warped.withUnsafeMutableBufferPointer { wp in
            pixels.withUnsafeMutableBufferPointer { px in
                link.confidence.withUnsafeBufferPointer { cb in
                    link.brightness.withUnsafeBufferPointer { bb in
                        link.contrastWeight.withUnsafeBufferPointer { gw in
                            // Full gain everywhere when the link was made without the shares.
                            let gainShare = gw.count == n ? gw.baseAddress : nil
                            for c in 0..<3 {
                                let stylized = px.baseAddress! + c * n, carried = wp.baseAddress! + c * n
                                guard r > 0 else {
                                    for i in 0..<n {
                                        carried[i] += bb[i]
                                        let v = min(max(stylized[i] + s * cb[i] * (carried[i] - stylized[i]), 0), 255)
                                        stylized[i] = v
                                        carried[i] = v
                                    }
                                    continue
                                }
                                blendKeepingContrast(stylized: stylized, carried: carried, channel: c,
                                                     confidence: cb.baseAddress!, brightness: bb.baseAddress!,
                                                     gainShare: gainShare, width: width, height: height)
                            }
                        }
                    }
                }
            }
        }
        swap(&history, &warped)
    }

    private var tracksFineEnergy: Bool { contrastRadius > 0 && fineRadius > 0 }

    /// `historyFine` ← the fine-band energy of each of the three planes of `pixels`.
    private func measureFineEnergy(of pixels: [Float], width: Int, height: Int) {
        guard tracksFineEnergy else { return }
        let n = width * height
        if band.count != n { band = [Float](repeating: 0, count: n); fineTarget = band; fineVariance = band }
        if historyFine.count != 3 * n { historyFine = [Float](repeating: 0, count: 3 * n) }
        reserveWorkspace(width: width)
        pixels.withUnsafeBufferPointer { px in
            historyFine.withUnsafeMutableBufferPointer { hf in
                band.withUnsafeMutableBufferPointer { bd in
                    blurWorkspace.withUnsafeMutableBufferPointer { ws in
                        for c in 0..<3 {
                            stylize_fine_energy(Self.vectors, px.baseAddress! + c * n, hf.baseAddress! + c * n,
                                                bd.baseAddress!, Int32(width), Int32(height), Int32(fineRadius),
                                                Int32(contrastRadius), ws.baseAddress!)
                        }
                    }
                }
            }
        }
    }

    /// Grows the box blur's workspace to what rows of `width` need at both radii.
    private func reserveWorkspace(width: Int) {
        let needed = stylize_box_blur_workspace(Int32(width), Int32(max(contrastRadius, fineRadius)))
        if blurWorkspace.count < needed { blurWorkspace = [Float](repeating: 0, count: needed) }
    }

    /// The widest vector kernel this CPU runs, asked once.
    private static let vectors = stylize_vector_kernel_best()

    /// Copies without allocating once `destination` has the right size.
    private static func copy(_ source: [Float], into destination: inout [Float]) {
        if destination.count != source.count { destination = [Float](repeating: 0, count: source.count) }
        destination.withUnsafeMutableBufferPointer { d in
            source.withUnsafeBufferPointer { s in d.baseAddress!.update(from: s.baseAddress!, count: s.count) }
        }
    }

    /// One plane: `carried` gets the brightness change added, then `stylized` and `carried` both
    /// receive the result (the C kernel `stylize_contrast_blend_plane`). The history's weight at
    /// a pixel is `stability` × `confidence`; `gainShare`: how much of the contrast gain each
    /// pixel may take (nil: all). A gain brings a local variance to its target, between 1 and
    /// `maxContrastGain`, +1 on both so that flat areas (variance ≈ 0) keep gain ≈ 1 instead of
    /// amplifying noise.
    private func blendKeepingContrast(stylized: UnsafeMutablePointer<Float>, carried: UnsafeMutablePointer<Float>,
                                      channel: Int, confidence: UnsafePointer<Float>, brightness: UnsafePointer<Float>,
                                      gainShare: UnsafePointer<Float>?, width: Int, height: Int) {
        let n = width * height, fine = tracksFineEnergy
        reserveWorkspace(width: width)
        meanA.withUnsafeMutableBufferPointer { ma in
        varianceA.withUnsafeMutableBufferPointer { va in
        meanB.withUnsafeMutableBufferPointer { mb in
        varianceB.withUnsafeMutableBufferPointer { vb in
        fineTarget.withUnsafeMutableBufferPointer { ft in
        fineVariance.withUnsafeMutableBufferPointer { fv in
        band.withUnsafeMutableBufferPointer { bd in
        warpedFine.withUnsafeBufferPointer { wf in
        historyFine.withUnsafeMutableBufferPointer { hf in
        blurWorkspace.withUnsafeMutableBufferPointer { ws in
            var plane = stylize_contrast_blend(
                width: Int32(width), height: Int32(height), radius: Int32(contrastRadius),
                fine_radius: Int32(fine ? fineRadius : 0), stability: stability, max_gain: maxContrastGain,
                deviation_limit: deviationLimit,
                stylized: stylized, carried: carried, confidence: confidence, share: gainShare, brightness: brightness,
                carried_fine: fine ? wf.baseAddress! + channel * n : nil,
                history_fine: fine ? hf.baseAddress! + channel * n : nil,
                mean_a: ma.baseAddress!, variance_a: va.baseAddress!, mean_b: mb.baseAddress!, variance_b: vb.baseAddress!,
                fine_target: ft.baseAddress, fine_variance: fv.baseAddress, band: bd.baseAddress,
                workspace: ws.baseAddress!)
            stylize_contrast_blend_plane(Self.vectors, &plane)
        }}}}}}}}}}
    }
}

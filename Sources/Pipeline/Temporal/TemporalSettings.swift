import Foundation
import OpticalFlow

/// How the pipeline keeps strokes still from frame to frame (flicker-free output).
///
/// Each output frame is the network's picture blended with the previous *output*
/// carried along the input's motion (Ruder et al. 2016's short-term consistency,
/// done as a post-process instead of an optimisation):
///
///     out_t = stylized_t + c · s · (warp(out_{t−1}) + Δ − stylized_t)
///
/// `s` is `stability`; `c` the confidence in the flow: 0 on occlusions and motion
/// boundaries (the backward flow against its reverse), feathered, and lowered where frame t−1
/// carried along the flow still does not look like frame t (the flow is wrong there and
/// the history would leave a ghost trail); and `Δ` the local (blurred) luminance change of
/// the *input* between t−1 and t along the flow, so that a fade or a light switching on
/// is followed instead of frozen. When the flow cannot explain frame t from frame t−1
/// (a scene cut), the history is dropped and out_t = stylized_t.
///
/// How the defaults were chosen, with the measurements: docs/temporal.md.
public struct TemporalSettings: Sendable, Equatable {
    /// 0 = every frame on its own (flickers), 1 = carry the previous output wherever the
    /// flow is trusted (steadiest; new detail then only enters where motion uncovers it).
    public var stability: Float = TemporalSettings.defaultStability
    /// Frames after each one that also steady it (files only; 0, the default: only the frames
    /// before it, as live must). Each output frame waits until this many more have been blended
    /// forwards; then the blend runs again from the newest back (`TemporalLookahead`), carrying
    /// the output of the frame after along its own flow, so that a stroke is held by the frames on
    /// both sides. Not the default: it costs a second flow and a second blend a frame, and softens
    /// fine strokes on noisy handheld footage (docs/temporal.md, "The two-way blend").
    public var lookahead = 0
    /// DIS preset for the flow (computed on the network-size gray frames, in the workers).
    /// `.fast` (with variational refinement) gives about twice as many consistent pixels as
    /// `.ultrafast` on noisy input, for a cost that is small next to the network's.
    /// Pairs with particles in front (snow, rain, specks in water) are matched again with the trimmed
    /// patch distance, which the particles do not drag (`DISSettings.ParticleTest`).
    public var flow: DISSettings = {
        var flow = DISSettings.fast
        flow.trimmedDistance = DISSettings.TrimmedDistance(cut: 4, noiseScale: 2)
        flow.particleTest = DISSettings.ParticleTest(contrast: 30, noiseScale: 1, largest: 4, share: 0.045, levelSize: 240)
        return flow
    }()
    /// Radius, in network pixels, over which the confidence fades out next to unreliable pixels
    /// (those of the consistency test, and those of the residual test below).
    public var featherRadius = 2
    /// Also distrust pixels on motion boundaries (Ruder et al.'s second test, with the
    /// absolute term below). DIS's coarse (½- or ¼-resolution) flow smears a moving object's motion over
    /// the background around it; the smear is a band of steep flow gradient that the
    /// occlusion test misses, and history carried there leaves a trail.
    public var motionBoundaries = true
    /// |∇u|² + |∇v|² allowed beyond 0.01·|w|² before a pixel is on a motion boundary (Ruder et
    /// al. use 0.002 with a sharper flow; on DIS's that flags most of a textured frame).
    public var motionBoundaryTolerance: Float = 0.03
    /// Squared pixels the backward flow and its reverse may disagree by before a pixel counts
    /// as occluded (Ruder et al. use 0.5 with a finer flow than DIS's fast presets give).
    public var occlusionTolerance: Float = 1.0
    /// A place of frame t−1 on which more than this many pixels of frame t land along the backward
    /// flow (bilinear weights) is covered by one and uncovers another: the pixels landing there count
    /// as occluded whatever their motions (`FlowField.reversed(crowding:)`). DIS drags a moving
    /// thing's motion smoothly over what it uncovers, and such a smear lands without a clash.
    public var occlusionCrowding: Float = 2
    /// Pixels the dense flow moves otherwise than the camera, where the camera's motion explains
    /// the frames as well, go with the camera: a still one, or one moving the whole view as one
    /// (`CameraBackground`; nil: the dense flow everywhere).
    public var cameraBackground: CameraBackground? = CameraBackground()
    /// Radius of the box blur of the luminance change Δ (removes input noise, keeps fades and light changes).
    public var brightnessRadius = 4
    /// Scene cut when the mean absolute difference (0…255) between warped frame t−1 and
    /// frame t, after removing their mean brightness change, exceeds this…
    public var cutDifference: Float = 24
    /// …or when fewer than this fraction of the pixels have a consistent flow…
    public var cutConfidence: Float = 0.1
    /// …or when at least this share of the 16×16 blocks textured in both frames no longer
    /// correlate (`Temporal.BlockChange`): a cut between dark or alike shots changes the
    /// frame's mean difference little, while its blocks' content changes all over
    /// (docs/temporal.md, "Cuts that the difference misses")…
    public var cutDecorrelation: Float = 0.5
    /// …and the blocks' mean luma, the frame's layout, correlates under this between the two
    /// frames (or has none to compare). Murky water and drifting particles change every block's
    /// fine content from one frame to the next while where it is light and where dark stays; a
    /// cut changes that too (docs/temporal.md, "Murky water is not a cut").
    public var cutLayoutCorrelation: Float = 0.8

    /// Where frame t−1 moved along the flow still does not look like frame t (after the
    /// brightness change), the flow is wrong there — typically background just uncovered by a
    /// moving object, which the coarse flow blurs over and the consistency test misses — and
    /// carrying the history would leave a ghost trail. The residual is the size of the
    /// luminance and colour-difference (Cb, Cr) differences, each box-blurred over
    /// `residualRadius` while still signed (zero-mean noise averages away, a misplaced edge
    /// does not); the confidence falls linearly from 1 to 0 as it goes from `residualLow` to
    /// `residualHigh` (0…255 units). Lower values remove more trail and less flicker.
    public var residualLow: Float = 20
    public var residualHigh: Float = 60
    public var residualRadius = 1
    /// In pairs with particles in front (the flow's particle test found them), the residual test's
    /// distrust reaches this many pixels further, before it is feathered, around where a particle
    /// was in frame t−1. The network paints a halo a few pixels wide around each flake; carried
    /// from where the flake was, every flake would leave a dotted trail of halos behind it
    /// (docs/temporal.md, "Halo trails behind particles").
    /// The contrast gains' confinement does not count these margins: particles all over a frame
    /// would withhold them everywhere and let the strokes behind wash out.
    public var particleTrailMargin = 2
    /// …and this many around where a particle is in frame t: room for the dark outline the network
    /// paints round it, and no more, so that the background's strokes next to each flake are carried
    /// rather than painted afresh every frame (docs/temporal.md, "Around a flake, only its outline").
    public var particleOutlineMargin = 1
    /// In those pairs, the contrast gains' confinement overlooks untrusted spots narrower than
    /// 2·`particleClosing` + 1 pixels (`FlowConfidence.closed`): with hundreds of flakes, every
    /// window holds a few, and the gains would be withheld all over the frame while the carried
    /// background's strokes wash out. Regions of untrusted flow wider than that (a thing moving
    /// on its own) still withhold them.
    public var particleClosing = 4
    /// In those pairs, the band energies the history takes to the next frame leave out the specks
    /// (each pixel's square capped at `deviationLimit`² times its window's energy, as the detail
    /// floor measures the new frame): a flake's energy, carried along the background's motion to
    /// where the flake has gone, would raise the bands' targets there, and the gains would lift the
    /// background's strokes past what the network paints (docs/temporal.md, "The background's
    /// replacement draws motion boundaries of its own").
    public var particleEnergyCapped = true
    /// In those pairs, each pixel's own residual, unblurred, lowers the confidence too, from 1 to 0
    /// as it goes from `speckResidualLow` to `speckResidualHigh` (above what camera noise reaches
    /// in one pixel): blurred over 3×3, a speck of 2×2 pixels keeps 4/9 of its residual and would
    /// pass the test in part. Equal values: off.
    public var speckResidualLow: Float = 40
    public var speckResidualHigh: Float = 80

    /// Radius, in network pixels, of the window over which the blend keeps the local contrast
    /// of the strokes (see `TemporalBlender`; 0 = plain blend), and the range of its gains.
    /// 6: a 13×13 window, about one brush stroke at network size (docs/temporal.md).
    public var contrastRadius = 6
    public var maxContrastGain: Float = 2
    /// Below 1, a gain takes back what the history's resampling added to a band (the sharp cubic
    /// lifts strokes a few pixels across a little every time it moves them).
    public var minContrastGain: Float = 0.5
    /// A gain scales a pixel's deviation from its window's mean (and its band) only up to this
    /// many local standard deviations: it brings back the strokes' contrast, not sparse specks'.
    /// The network paints a few bright or coloured specks somewhere new in each frame; regained
    /// every frame, the history would keep every one of them (docs/temporal.md, "Specks").
    public var deviationLimit: Float = 2.5
    /// The detail is split into bands at these box-blur radii (rising; at most
    /// `TemporalBlender.maxBands`): band k is what the blur at the k-th radius removes beyond the one
    /// before; each band gets its own variance-keeping gain over the same window, and the coarse
    /// rest none. Averaging two brushings takes most of the finest strokes' contrast and little of
    /// the layout's, which they share; one gain for all would leave the fine strokes faint, or
    /// lift the layout past what either picture painted (docs/temporal.md, "One gain per band").
    public var bandRadii = [1, 3]
    /// A band's target is at least this share of the new frame's own energy in it, each pixel's
    /// square capped at `deviationLimit`² times that energy (a speck painted somewhere new does not
    /// raise it). Without it, where the history is carried frame after frame, the detail settles
    /// below what the network paints (gradient 0.92 of per-frame painting on a handheld pan); the
    /// floor brings back what the history lacks (docs/temporal.md, "A floor under the detail").
    public var detailFloor: Float = 0.65
    /// The gain is applied in full only where the whole window is trusted: it falls to 1 as the
    /// share of untrusted flow in the window (1 − its mean confidence) goes from 0 to 1/this.
    /// Next to a moving object the window straddles the history's and the new frame's edges,
    /// which disagree; restoring their variance would sharpen a halo that changes every frame.
    public var contrastConfinement: Float = 4

    public static let defaultStability: Float = 0.9
    /// What `stylize video --lookahead` is measured with (docs/temporal.md).
    public static let suggestedLookahead = 16
    /// Each frame held costs its picture and its reverse link at network size (about 32 bytes a pixel).
    public static let maxLookahead = 120

    /// Frames after which a fresh history has forgotten all but 5% of its first picture (each frame
    /// keeps `stability` of the one before): what a time range paints before its start. 29 at 0.9.
    public static func warmUpFrames(stability: Float) -> Int {
        guard stability > 0 else { return 0 }
        guard stability < 1 else { return 60 }
        return Int((log(0.05) / log(Double(stability))).rounded(.up))
    }

    /// The live modes' set-up, which must hold 30 fps at 640×480 on two cores: the files' blend,
    /// checks and flows, the flow's finest level at ½ of the network's size whatever that size,
    /// with two iterations of its variational refinement instead of five, a moving camera looked
    /// for only in pairs with particles (its fit on every other pair drops frames), and the
    /// trimmed patch distance for every pair: a pair the particle test passes would cost a second
    /// flow, which a live frame cannot afford, so the test only says which pairs show particles,
    /// for what such pairs get (`particleMargin`, `particleClosing`, the camera's background;
    /// docs/temporal.md, "Live", "Particles in front", "Halo trails behind particles", "The
    /// background goes with the camera", "Things moving on their own before a moving camera").
    public static func live(stability: Float = defaultStability) -> TemporalSettings {
        var settings = TemporalSettings(stability: stability)
        settings.flow.finestScale = 1
        settings.flow.variationalRefinementIterations = 2
        settings.flow.particleTest?.matchesAgain = false
        settings.cameraBackground?.fitsWithoutParticles = false
        return settings
    }

    public init(stability: Float = TemporalSettings.defaultStability) {
        self.stability = stability
    }

    /// Settings for frames of this (network) size: the flow's finest level at ½ of it (the full
    /// size below 320 pixels). DIS `fast` stops at ¼, and on a 640-pixel frame that is a
    /// 160-pixel grid of 8-pixel patches, so coarse that motion boundaries smear and the checks
    /// refuse to carry much (docs/temporal.md, "The flow grid at every size").
    public init(stability: Float = TemporalSettings.defaultStability, frameWidth: Int, height: Int) {
        self.init(stability: stability)
        flow.finestScale = max(frameWidth, height) >= 320 ? 1 : 0
    }
}

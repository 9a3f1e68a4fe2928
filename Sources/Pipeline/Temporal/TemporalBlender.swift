import CKernels
import OpticalFlow

/// The sequential half: holds the previous output and blends it into each new frame.
/// Frames must be given in order. Not thread-safe (lives on the sequential stage's thread).
///
/// A plain blend `mix(stylized, carried, a)` of two pictures whose strokes do not line up
/// (a network that redraws its strokes every frame) averages the strokes away: repeated every
/// frame, the carried texture fades towards a smooth wash. So the blend keeps the local
/// contrast, band by band: it splits each picture into bands of detail (`bandRadii`), and around
/// each pixel brings the blend's energy in each band to the same mix of the two pictures' own,
/// a·carried + (1−a)·stylized, instead of the smaller energy of the mix (the variance-preserving
/// blend of texture synthesis). Where the two agree the gains are 1 and nothing changes. One gain
/// per band because the brushings differ most in the finest strokes: averaging takes a different
/// share of each. The coarse rest beyond the last band is the layout, which the brushings share:
/// the plain blend keeps it (a gain there stayed near 1; docs/temporal.md). Without bands, one
/// gain brings the whole plane's local variance to its target.
/// The history's share of a band's target is its energy as it was painted, measured before the
/// warp and carried along the flow: the resampling softens the finest strokes and lifts those a
/// few pixels across a little every frame, and measured after it the change would compound
/// frame after frame; a gain below 1 takes such a lift back. A band's two energies are mixed as
/// amplitudes (√target = a·√carried + (1−a)·√stylized): strokes the new frame no longer paints —
/// the halo the network drew round something that has moved on — then fade as in a plain blend,
/// by `a` a frame, where mixed energies kept √a of them (a trail twice as long).
/// The gains scale a pixel's deviation only up to `deviationLimit` local standard deviations,
/// so that they regain the strokes' contrast and not the stray specks'. No band's target falls
/// below `detailFloor` of the new frame's own energy in it (its stray specks left out): without
/// it, where the history is carried frame after frame, the fine detail settles below what the
/// network paints.
public final class TemporalBlender {
    public let stability: Float
    /// Radius of the window for the local variances (0: plain blend), and the range of the gains.
    public let contrastRadius: Int
    public let minContrastGain: Float, maxContrastGain: Float
    /// Standard deviations of its window a deviation may take the gain on (see `TemporalSettings.deviationLimit`).
    public let deviationLimit: Float
    /// Share of the new frame's own band energy below which no band's target falls (see `TemporalSettings.detailFloor`).
    public let detailFloor: Float
    /// The radii that split the detail into bands, rising (see `TemporalSettings.bandRadii`).
    public let bandRadii: [Int]
    /// Whether the history's band energies leave out specks in pairs with particles (see `TemporalSettings.particleEnergyCapped`).
    public let particleEnergyCapped: Bool
    public static let maxBands = Int(STYLIZE_BLEND_MAX_BANDS)
    /// `bandRadii` as the C structs hold them.
    private let cRadii: (Int32, Int32, Int32, Int32)
    private var history: [Float] = []
    private var warped: [Float] = []
    private var historySize = (0, 0)
    /// The band energies of `history`, channel after channel, measured before its warp; and they warped.
    private var historyBands: [Float] = [], warpedBands: [Float] = []
    /// The blend's rows (also at a reset, for the band energies), kept between frames.
    private var blendMemory: [Float] = []
    /// Frames whose history was reset (first frame, cuts, size changes).
    public private(set) var resets = 0

    public init(settings: TemporalSettings) {
        self.stability = min(max(settings.stability, 0), 1)
        self.contrastRadius = max(settings.contrastRadius, 0)
        self.maxContrastGain = max(settings.maxContrastGain, 1)
        self.minContrastGain = min(max(settings.minContrastGain, 0), 1)
        self.deviationLimit = max(settings.deviationLimit, 1)
        self.detailFloor = min(max(settings.detailFloor, 0), 1)
        self.particleEnergyCapped = settings.particleEnergyCapped
        var radii: [Int] = []
        for radius in settings.bandRadii where radius > (radii.last ?? 0) && radii.count < Self.maxBands {
            radii.append(radius)
        }
        self.bandRadii = contrastRadius > 0 ? radii : []
        let padded = (bandRadii + [Int](repeating: 0, count: Self.maxBands - bandRadii.count)).map { Int32($0) }
        self.cRadii = (padded[0], padded[1], padded[2], padded[3])
    }

    /// Blends `pixels` (planar RGB 0…255, width×height) with the carried history in place,
    /// and keeps the result as the new history. False when the history started afresh instead
    /// (no link, a cut, another size).
    @discardableResult
    public func blend(_ pixels: inout [Float], width: Int, height: Int, link: TemporalLink?) -> Bool {
        let n = width * height
        guard let link, !link.isCut, historySize == (width, height), history.count == 3 * n,
              link.flow.width == width, link.flow.height == height, stability > 0 else {
            resets += 1
            Self.copy(pixels, into: &history)
            historySize = (width, height)
            measureBandEnergies(of: pixels, width: width, height: height)
            return false
        }
        // The sharp bicubic (see `Warp.backwardCubic`): the history is warped again every frame,
        // and a softer resampling at sub-pixel offsets blurs it a little more each time.
        // Only where the history is used (confidence > 0); elsewhere `warped` keeps finite
        // values from earlier frames, which the blend multiplies by 0.
        Warp.backwardCubic(planar: history, channels: 3, width: width, height: height, flow: link.flow,
                           reusing: &warped, needed: link.confidence)
        if !bandRadii.isEmpty {
            // At full size: every resampling spreads their edges into flat ground, where the gains
            // are steep, and the lifted noise comes back as the next history's energy (docs/temporal.md).
            Warp.backward(planar: historyBands, channels: 3 * bandRadii.count, width: width, height: height,
                          flow: link.flow, reusing: &warpedBands)
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
                                                     gainShare: gainShare, capsSpecks: link.particles && particleEnergyCapped,
                                                     width: width, height: height)
                            }
                        }
                    }
                }
            }
        }
        swap(&history, &warped)
        return true
    }

    /// `historyBands` ← the band energies of each of the three planes of `pixels`.
    private func measureBandEnergies(of pixels: [Float], width: Int, height: Int) {
        guard !bandRadii.isEmpty else { return }
        let n = width * height, count = bandRadii.count
        if historyBands.count != 3 * count * n { historyBands = [Float](repeating: 0, count: 3 * count * n) }
        reserveBlendMemory(width: width)
        pixels.withUnsafeBufferPointer { px in
            historyBands.withUnsafeMutableBufferPointer { hb in
                blendMemory.withUnsafeMutableBufferPointer { memory in
                    for c in 0..<3 {
                        var plane = stylize_band_energies(
                            width: Int32(width), height: Int32(height), radius: Int32(contrastRadius),
                            band_count: Int32(count), band_radii: cRadii, plane: px.baseAddress! + c * n,
                            energies: hb.baseAddress! + c * count * n, memory: memory.baseAddress!)
                        stylize_band_energies_plane(Self.vectors, &plane)
                    }
                }
            }
        }
    }

    /// Grows the blend's memory to what rows of this width need.
    private func reserveBlendMemory(width: Int) {
        let radii = [Int32](arrayLiteral: cRadii.0, cRadii.1, cRadii.2, cRadii.3)
        let needed = stylize_contrast_blend_memory(Int32(width), Int32(contrastRadius), Int32(bandRadii.count), radii)
        if blendMemory.count < needed { blendMemory = [Float](repeating: 0, count: needed) }
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
    /// a pixel is `stability` × `confidence`; `gainShare`: how much of the gains each pixel may
    /// take (nil: all); `capsSpecks`: the result's band energies, kept for the next frame, leave
    /// the specks out. A gain brings a band's energy (without bands, the plane's variance) to its target,
    /// within `minContrastGain` … `maxContrastGain`, +1 on both so that flat areas (energy ≈ 0)
    /// keep gain ≈ 1 instead of amplifying noise.
    private func blendKeepingContrast(stylized: UnsafeMutablePointer<Float>, carried: UnsafeMutablePointer<Float>,
                                      channel: Int, confidence: UnsafePointer<Float>, brightness: UnsafePointer<Float>,
                                      gainShare: UnsafePointer<Float>?, capsSpecks: Bool, width: Int, height: Int) {
        let n = width * height, count = bandRadii.count
        reserveBlendMemory(width: width)
        warpedBands.withUnsafeBufferPointer { wb in
        historyBands.withUnsafeMutableBufferPointer { hb in
        blendMemory.withUnsafeMutableBufferPointer { memory in
            var plane = stylize_contrast_blend(
                width: Int32(width), height: Int32(height), radius: Int32(contrastRadius), band_count: Int32(count),
                band_radii: cRadii, stability: stability, min_gain: minContrastGain, max_gain: maxContrastGain,
                deviation_limit: deviationLimit, detail_floor: detailFloor,
                history_speck_cap: capsSpecks ? deviationLimit * deviationLimit : 0, stylized: stylized, carried: carried, confidence: confidence,
                share: gainShare, brightness: brightness,
                carried_bands: count > 0 ? wb.baseAddress! + channel * count * n : nil,
                history_bands: count > 0 ? hb.baseAddress! + channel * count * n : nil, memory: memory.baseAddress!)
            stylize_contrast_blend_plane(Self.vectors, &plane)
        }}}
    }
}

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
public final class TemporalBlender {
    public let stability: Float
    /// Radius of the window for the local variances (0: plain blend), and the largest gain.
    public let contrastRadius: Int
    public let maxContrastGain: Float
    private var history: [Float] = []
    private var warped: [Float] = []
    private var historySize = (0, 0)
    // Scratch for the contrast-preserving blend, one plane each, kept between frames.
    private var meanA: [Float] = [], varianceA: [Float] = [], meanB: [Float] = [], varianceB: [Float] = []
    private var blurWorkspace: [Float] = []
    /// Frames whose history was reset (first frame, cuts, size changes).
    public private(set) var resets = 0

    public init(settings: TemporalSettings) {
        self.stability = min(max(settings.stability, 0), 1)
        self.contrastRadius = max(settings.contrastRadius, 0)
        self.maxContrastGain = max(settings.maxContrastGain, 1)
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
        let r = contrastRadius, maxGain = maxContrastGain, s = stability
        warped.withUnsafeMutableBufferPointer { wp in
            pixels.withUnsafeMutableBufferPointer { px in
                link.confidence.withUnsafeBufferPointer { cb in
                    link.brightness.withUnsafeBufferPointer { bb in
                        link.contrastWeight.withUnsafeBufferPointer { gw in
                            // Full gain everywhere when the link was made without the shares.
                            let gainShare = gw.count == n ? gw.baseAddress : nil
                            for c in 0..<3 {
                                let stylized = px.baseAddress! + c * n, carried = wp.baseAddress! + c * n
                                for i in 0..<n { carried[i] += bb[i] }
                                guard r > 0 else {
                                    for i in 0..<n {
                                        let v = min(max(stylized[i] + s * cb[i] * (carried[i] - stylized[i]), 0), 255)
                                        stylized[i] = v
                                        carried[i] = v
                                    }
                                    continue
                                }
                                blendKeepingContrast(stylized: stylized, carried: carried, confidence: cb.baseAddress!,
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

    /// Copies without allocating once `destination` has the right size.
    private static func copy(_ source: [Float], into destination: inout [Float]) {
        if destination.count != source.count { destination = [Float](repeating: 0, count: source.count) }
        destination.withUnsafeMutableBufferPointer { d in
            source.withUnsafeBufferPointer { s in d.baseAddress!.update(from: s.baseAddress!, count: s.count) }
        }
    }

    /// One plane: `stylized` and `carried` both receive the result. The history's weight at a
    /// pixel is `stability` × `confidence`; `gainShare`: how much of the contrast gain each pixel
    /// may take (nil: all).
    private func blendKeepingContrast(stylized: UnsafeMutablePointer<Float>, carried: UnsafeMutablePointer<Float>,
                                      confidence: UnsafePointer<Float>, gainShare: UnsafePointer<Float>?,
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
                let a = stability * confidence[i]
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

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
/// `s` is `stability`, `c` the feathered forward–backward confidence of the flow
/// (0 on occlusions and motion boundaries), and `Δ` the local (blurred) luminance
/// change of the *input* between t−1 and t along the flow, so that a fade or a light
/// switching on is followed instead of frozen. When the flow cannot explain frame t
/// from frame t−1 (a scene cut), the history is dropped and out_t = stylized_t.
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
    /// Also distrust pixels on motion boundaries (Ruder et al.'s second test).
    public var motionBoundaries = false
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

    public static let defaultStability: Float = 0.7

    public init(stability: Float = TemporalSettings.defaultStability) {
        self.stability = stability
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
            for i in 0..<n { g[i] = 0.299 * rgb[i] + 0.587 * rgb[n + i] + 0.114 * rgb[2 * n + i] }
        }
        return GrayImage(width: width, height: height, pixels: pixels)
    }

    /// Flows both ways between the frames t−1 and t, and everything derived from them.
    static func link(previous a: FlowFrame, current b: FlowFrame, settings: TemporalSettings) -> TemporalLink {
        let w = b.width, h = b.height, n = w * h
        let previous = a.image, current = b.image
        let forward = OpticalFlow.dis(from: a, to: b, settings: settings.flow)     // t−1 → t, on t−1's grid
        let backward = OpticalFlow.dis(from: b, to: a, settings: settings.flow)    // t → t−1, on t's grid
        // Occlusions (the flows disagree, or point outside the frame) decide what can be carried;
        // the motion-boundary test is left to the feathering, as DIS's patch flow is piecewise
        // smooth and its gradients flag most of a textured frame.
        var thresholds = Consistency.Thresholds.ruder2016
        thresholds.occlusionAbsolute = settings.occlusionTolerance
        let masks = Consistency.masks(flow: backward, reverse: forward, thresholds: thresholds)
        let hard = Consistency.confidence(masks, includeMotionBoundaries: settings.motionBoundaries)
        let soft = hard.feathered(radius: settings.featherRadius)

        // Input change along the flow, measured where the flow is trusted.
        let (warped, _) = Warp.backward(previous, flow: backward)
        var diff = [Float](repeating: 0, count: n)
        var weighted = [Float](repeating: 0, count: n)
        var sum = 0.0, weight = 0.0
        for i in 0..<n {
            let d = current.pixels[i] - warped.pixels[i]
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
        return TemporalLink(flow: backward, confidence: soft.mask, brightness: brightness, isCut: isCut,
                            difference: difference, meanConfidence: meanConfidence)
    }
}

/// The sequential half: holds the previous output and blends it into each new frame.
/// Frames must be given in order. Not thread-safe (lives on the sequential stage's thread).
public final class TemporalBlender {
    public let stability: Float
    private var history: [Float] = []
    private var warped: [Float] = []
    private var historySize = (0, 0)
    /// Frames whose history was reset (first frame, cuts, size changes).
    public private(set) var resets = 0

    public init(stability: Float) {
        self.stability = min(max(stability, 0), 1)
    }

    /// Blends `pixels` (planar RGB 0…255, width×height) with the carried history in place,
    /// and keeps the result as the new history.
    public func blend(_ pixels: inout [Float], width: Int, height: Int, link: TemporalLink?) {
        let n = width * height
        guard let link, !link.isCut, historySize == (width, height), history.count == 3 * n,
              link.flow.width == width, link.flow.height == height, stability > 0 else {
            resets += 1
            if history.count != pixels.count { history = [Float](repeating: 0, count: pixels.count) }
            history.withUnsafeMutableBufferPointer { h in
                pixels.withUnsafeBufferPointer { p in h.baseAddress!.update(from: p.baseAddress!, count: p.count) }
            }
            historySize = (width, height)
            return
        }
        // Catmull-Rom, not bilinear: the history is warped again every frame, and bilinear
        // resampling at sub-pixel offsets blurs it a little more each time (on a panning
        // shot the carried strokes soften visibly; measured: mean gradient −13% vs −5.5%).
        Warp.backwardCubic(planar: history, channels: 3, width: width, height: height, flow: link.flow,
                           reusing: &warped)
        let s = stability
        warped.withUnsafeMutableBufferPointer { wp in
            pixels.withUnsafeMutableBufferPointer { px in
                link.confidence.withUnsafeBufferPointer { cb in
                    link.brightness.withUnsafeBufferPointer { bb in
                        for c in 0..<3 {
                            let base = c * n
                            for i in 0..<n {
                                let styl = px[base + i]
                                let carried = wp[base + i] + bb[i]
                                var v = styl + cb[i] * s * (carried - styl)
                                v = min(max(v, 0), 255)
                                px[base + i] = v
                                wp[base + i] = v
                            }
                        }
                    }
                }
            }
        }
        swap(&history, &warped)
    }
}

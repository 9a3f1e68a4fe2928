import Foundation
import MediaIO
import OpticalFlow
import StyleEngine

/// What one live frame costs at a network size, measured on this machine before the run: all
/// of a frame's work — conversion to network size and the flow pyramid, the flow link, the
/// network, the temporal blend, the composition back to the frame's size — done by every
/// worker at once, as in the pipeline (they share caches and memory bandwidth, and on SMT
/// machines cores, so one frame alone runs far faster than it will in the run).
///
/// Measured rather than modelled: the share of a frame outside the network moves whenever the
/// network gets faster (a precision, a kernel) or the temporal set-up changes, and a fixed
/// ratio picked sizes that dropped frames once the engine sped up.
struct LiveFrameCost {
    /// Seconds one worker takes for a whole frame, with every worker busy.
    var frame: Double
    /// Of which the blend and the composition: the output thread's work, a stage that runs one
    /// frame at a time, so it alone must also fit one frame interval.
    var output: Double

    /// The share of the CPU the timed frames may fill (docs/temporal.md, "Live").
    static let headroom = 0.65

    /// Times frames of `size` for a source of `sourceWidth`×`sourceHeight`; `temporal` nil: without blending.
    static func measure(model: StyleModel, style: StyleSettings, size: NetworkSize, sourceWidth: Int, sourceHeight: Int,
                        workers: Int, temporal: TemporalSettings?) throws(PipelineError) -> LiveFrameCost {
        let frames: [VideoFrame]
        do throws(MediaError) {
            frames = try (0..<2).map { (shift) throws(MediaError) in
                try texturedFrame(width: sourceWidth, height: sourceHeight, shift: 2 * shift)
            }
        } catch { throw PipelineError(error) }
        let timings = Timings(count: workers)
        let threads = (0..<workers).map { index in
            Worker(name: "stylize.calibrate\(index)") {
                do throws(PipelineError) {
                    let cost = try frameSeconds(frames: frames, model: model, style: style, size: size, temporal: temporal)
                    timings.record(cost, at: index)
                } catch {
                    timings.fail(error)
                }
            }
        }
        threads.forEach { $0.join() }
        return try timings.mean()
    }

    /// The largest network size at which a frame fits the CPU the workers have per frame
    /// interval (N workers: N/fps seconds) and the output stage fits one interval, each within
    /// `headroom` of it: a frame that finds every worker busy is dropped, so the CPU must not
    /// run full, and a run costs more than the frames timed here (the source's decoding, the
    /// sinks' writing, frames handed between threads that share the cores). A frame's cost is
    /// measured at the full size and, when that does not fit, at half of it, and taken as fixed
    /// + per-pixel (the composition at the frame's size is the fixed part); the size is then
    /// solved for. `stability`: the live temporal set-up's, nil without temporal blending.
    static func sizeHoldingRate(model: StyleModel, style: StyleSettings, sourceWidth: Int, sourceHeight: Int,
                                frameRate: Double, workers: Int, stability: Float?) throws(PipelineError) -> NetworkSize {
        func size(longer: Int) -> NetworkSize {
            NetworkSize(fitting: sourceWidth, sourceHeight, maxSize: max(16, longer), multiple: 8)
        }
        func cost(_ size: NetworkSize) throws(PipelineError) -> LiveFrameCost {
            let settings = stability.map { TemporalSettings.live(stability: $0) }
            return try measure(model: model, style: style, size: size, sourceWidth: sourceWidth, sourceHeight: sourceHeight,
                               workers: workers, temporal: settings)
        }
        let longest = max(sourceWidth, sourceHeight)
        let full = size(longer: longest)
        let interval = 1 / frameRate
        let cpuBudget = headroom * Double(workers) * interval, outputBudget = headroom * interval
        let atFull = try cost(full)
        guard atFull.frame > cpuBudget || atFull.output > outputBudget else { return full }
        let half = size(longer: longest / 2)
        let atHalf = try cost(half)
        let (p1, p0) = (Double(full.width * full.height), Double(half.width * half.height))
        // Pixels at which the cost line through the two measurements meets its budget; in
        // proportion to the pixels when noise made the smaller frame the slower.
        func pixels(_ c1: Double, _ c0: Double, budget: Double) -> Double {
            guard c1 > c0, p1 > p0 else { return p1 * budget / c1 }
            let perPixel = (c1 - c0) / (p1 - p0)
            return (budget - (c0 - perPixel * p0)) / perPixel
        }
        let fitting = min(pixels(atFull.frame, atHalf.frame, budget: cpuBudget),
                          pixels(atFull.output, atHalf.output, budget: outputBudget), p1)
        let scale = (max(fitting, 0) / p1).squareRoot()
        return size(longer: Int(Double(longest) * scale))
    }

    /// One worker's time for the second of two frames 2 pixels apart (a link to follow, and from
    /// the warm-up on a history to blend with): the median of 4 runs after a warm-up, as single
    /// runs vary by ±20% here. The flow's and the checks' cost hardly depends on the picture.
    private static func frameSeconds(frames: [VideoFrame], model: StyleModel, style: StyleSettings, size: NetworkSize,
                                     temporal: TemporalSettings?) throws(PipelineError) -> LiveFrameCost {
        // Never a cut, which would skip the blend: the probe times a frame that carries its history.
        let temporal = temporal.map { settings in
            var settings = settings
            settings.cutDifference = .infinity
            settings.cutConfidence = 0
            settings.cutDecorrelation = .infinity
            return settings
        }
        let preparer = FramePreparer(size: size, flow: temporal?.flow)
        let stylizer = FrameStylizer(model: model, inputRange: style.preset.inputRange, size: size, precision: style.precision)
        let composer = FrameConverter()
        let blender = temporal.map { TemporalBlender(settings: $0) }
        let inputs = style.modelInputs(strength: style.strength)
        let first: PreparedFrame
        do throws(MediaError) { first = try preparer.prepare(frames[0]) } catch { throw PipelineError(error) }
        var frameTimes: [Double] = [], outputTimes: [Double] = []
        for run in 0..<5 {
            let start = monotonicSeconds()
            var prepared: PreparedFrame
            do throws(MediaError) { prepared = try preparer.prepare(frames[1]) } catch { throw PipelineError(error) }
            var link: TemporalLink? = nil
            if let temporal, let before = first.motion, let now = prepared.motion {
                link = Temporal.link(previous: before, current: now, settings: temporal)
            }
            var stylized = try stylizer.stylize(&prepared, link: link, modelInputs: inputs)
            let outputStart = monotonicSeconds()
            blender?.blend(&stylized.pixels, width: stylized.width, height: stylized.height, link: link)
            _ = try composer.compose(stylized, strength: 1, preserveColors: false)
            let end = monotonicSeconds()
            if run > 0 {
                frameTimes.append(end - start)
                outputTimes.append(end - outputStart)
            }
        }
        return LiveFrameCost(frame: median(frameTimes), output: median(outputTimes))
    }

    /// A 4:2:0 frame with texture at several scales, moved `shift` pixels right and down.
    private static func texturedFrame(width: Int, height: Int, shift: Int) throws(MediaError) -> VideoFrame {
        let cw = (width + 1) / 2, ch = (height + 1) / 2
        var bytes = [UInt8](repeating: 128, count: width * height + 2 * cw * ch)
        for y in 0..<height {
            for x in 0..<width {
                let (u, v) = (Double(x - shift), Double(y - shift))
                let value = 128 + 60 * sin(u * 0.043) * cos(v * 0.061) + 25 * sin((u + 2 * v) * 0.13) + 10 * cos(u * 0.37 - v * 0.23)
                bytes[y * width + x] = UInt8(min(max(value, 0), 255))
            }
        }
        let made: Result<VideoFrame, MediaError> = bytes.withUnsafeBytes { raw in
            Result { () throws(MediaError) in try VideoFrame(width: width, height: height, pixelFormatName: "yuv420p", pts: 0, bytes: raw) }
        }
        return try made.get()
    }
}

/// Costs measured by the calibration threads.
private final class Timings: @unchecked Sendable {
    private let lock = NSLock()
    private var costs: [LiveFrameCost?]
    private var failure: PipelineError? = nil
    init(count: Int) { costs = Array(repeating: nil, count: count) }
    func record(_ cost: LiveFrameCost, at index: Int) { lock.withLock { costs[index] = cost } }
    func fail(_ error: PipelineError) { lock.withLock { failure = failure ?? error } }
    /// The mean over the threads, or the first failure.
    func mean() throws(PipelineError) -> LiveFrameCost {
        let (costs, failure) = lock.withLock { (self.costs.compactMap { $0 }, self.failure) }
        if let failure { throw failure }
        guard !costs.isEmpty else { throw PipelineError(.engine, "timing a frame failed") }
        let n = Double(costs.count)
        return LiveFrameCost(frame: costs.map(\.frame).reduce(0, +) / n, output: costs.map(\.output).reduce(0, +) / n)
    }
}

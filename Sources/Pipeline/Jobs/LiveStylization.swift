import Foundation
import MediaIO
import OpticalFlow
import StyleEngine

/// How a live run is set up. The look can change while it runs (`LiveControls`).
public struct LiveOptions: Sendable {
    /// The styles the hotkeys cycle through; the run starts with the first.
    public var styles: [StyleSettings]
    /// Longer side of what the network sees; nil chooses it to hold the source's frame rate.
    public var maxSize: Int?
    /// Temporal blending at the start (the `t` hotkey toggles it).
    public var temporal = true
    public var stability: Float = TemporalSettings.liveDefaultStability
    /// CPU threads for stylizing: one worker per thread (frames in flight in parallel).
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Stop after this many frames out (benchmarks, tests); nil runs until the source ends or Ctrl-C.
    public var frameLimit: Int?

    public init(styles: [StyleSettings]) {
        self.styles = styles
    }

    /// The frame rates a viewer may ask a live feed for (a camera's, or a file played as one).
    /// Checked where the request comes in; a file source itself takes any positive rate.
    public static let frameRates: ClosedRange<Double> = 1...240

    /// Checks a frame rate asked for by a viewer.
    public static func checkFrameRate(_ rate: Double) throws(PipelineError) {
        try PipelineError.Setting.frameRate.check(rate, in: frameRates)
    }

    /// Every value checked once, before any work.
    func validate() throws(PipelineError) {
        guard !styles.isEmpty else { throw PipelineError(.style, "no style to show") }
        for style in styles { try style.validate() }
        try PipelineError.Setting.stability.check(stability, in: 0...1)
        if let maxSize { try PipelineError.Setting.maxSize.check(maxSize, atLeast: 16, unit: " pixels") }
        try PipelineError.Setting.threads.check(threads, atLeast: 1)
        if let frameLimit { try PipelineError.Setting.frameLimit.check(frameLimit, atLeast: 1) }
    }
}

/// What a live run did.
public struct LiveSummary: Sendable {
    public let stats: LiveStats
    public let networkSize: NetworkSize
    public let workers: Int
    public let elapsed: Double
}

/// `stylize camera` and `stylize preview`: a live source through the frame pipeline into live
/// sinks, keeping up with the source by dropping frames rather than falling behind (a frame
/// that finds every worker busy is dropped at once), with the look following the viewer's
/// hotkeys. The flow link of each frame is to the previous frame that was *kept*, so dropping
/// frames never breaks temporal blending.
public final class LiveStylization {
    public let options: LiveOptions
    public let networkSize: NetworkSize
    private let styles: [FramePipeline.Style]
    private let source: FrameSource

    /// Loads every style (so a bad one fails now, with one line) and chooses the network size.
    public init(source: FrameSource, options: LiveOptions) throws(PipelineError) {
        try options.validate()
        self.options = options
        self.source = source
        let models = try options.styles.map { (style) throws(PipelineError) in try style.loadModel() }
        styles = zip(options.styles, models).map { FramePipeline.Style(settings: $0, model: $1) }
        // One size suits every preset: 8 divides the realtime networks' and the quality networks' strides.
        if let maxSize = options.maxSize {
            networkSize = NetworkSize(fitting: source.width, source.height, maxSize: maxSize, multiple: 8)
        } else {
            networkSize = try Self.sizeHoldingRate(model: models[0], style: options.styles[0], source: source,
                                                   workers: options.threads, temporal: options.temporal)
        }
    }

    /// Runs until the source ends, `stop` is set, or `options.frameLimit` frames went out.
    /// `status` is called on this thread for each frame, before the sinks get it. Errors from
    /// the source (a camera unplugged) or a sink end the run with that error. The source and
    /// the sinks are closed when it returns.
    public func run(sinks: [FrameSink], controls: LiveControls, stop: StopSignal = StopSignal(),
                    status: (LiveStats, Look) -> Void = { _, _ in }) throws(PipelineError) -> LiveSummary {
        let temporal = TemporalSettings.live(stability: options.stability, frameWidth: networkSize.width, height: networkSize.height)
        let pipeline = FramePipeline(styles: styles, size: networkSize, threads: ThreadPlan(threads: options.threads, workers: options.threads),
                                     admission: .dropWhenBusy, temporal: temporal, frameLimit: options.frameLimit)
        let run = try pipeline.run(source: source, sinks: sinks, looks: controls, stop: stop) { p in status(p.stats, p.look) }
        return LiveSummary(stats: run.stats, networkSize: networkSize, workers: options.threads, elapsed: run.elapsed)
    }

    /// The largest network size at which a frame's whole cost fits the CPU the workers have
    /// per frame interval (N workers: N/fps seconds), with 10% to spare. The network is timed
    /// here (blank frame, after a warm-up); everything else a frame costs scales with the fp32
    /// network's time, measured with `Benchmarks/camera.sh` at 640×480 (perf: the fp32 network
    /// is ~40% of a frame's CPU with temporal blending — flows, warps, masks, conversions are the
    /// rest — and ~65% without, timed with two workers sharing the CPU), hence the rest at 2× and
    /// 0.5× of it. A faster precision shortens only the network's part, so it is timed too.
    static func sizeHoldingRate(model: StyleModel, style: StyleSettings, source: FrameSource,
                                workers: Int, temporal: Bool) throws(PipelineError) -> NetworkSize {
        let full = NetworkSize(fitting: source.width, source.height, maxSize: max(source.width, source.height), multiple: 8)
        let network = try networkSeconds(model: model, style: style, precision: style.precision, size: full, workers: workers)
        let fp32 = style.precision == .fp32 ? network
            : try networkSeconds(model: model, style: style, precision: .fp32, size: full, workers: workers)
        let perFrame = network + fp32 * (temporal ? 2.0 : 0.5)
        let budget = 0.9 * Double(workers) / (source.frameRate ?? 30)
        guard perFrame > budget else { return full }
        let scale = (budget / perFrame).squareRoot()
        let longer = max(16, Int(Double(max(full.width, full.height)) * scale))
        return NetworkSize(fitting: source.width, source.height, maxSize: longer, multiple: 8)
    }

    /// Seconds the network takes on a blank frame of `size` in `precision`, timed on every
    /// worker at once: they share caches and memory bandwidth (and, on SMT machines, cores), so
    /// one network alone runs far faster than it will in the pipeline.
    private static func networkSeconds(model: StyleModel, style: StyleSettings, precision: Precision, size: NetworkSize,
                                       workers: Int) throws(PipelineError) -> Double {
        let timings = NetworkTimings(count: workers)
        let input = [Float](repeating: 128 * style.preset.inputRange / 255, count: 3 * size.width * size.height)
        let threads = (0..<workers).map { index in
            Worker(name: "stylize.calibrate\(index)") {
                let session = StyleSession(model: model, threads: 1, precision: precision)
                // The median of 5 runs after a warm-up: single runs vary by ±20% here.
                var times: [Double] = []
                for run in 0..<6 {
                    let start = monotonicSeconds()
                    let ok = (try? input.withUnsafeBufferPointer { (b) throws(EngineError) in
                        try session.run(image: b.baseAddress!, channels: 3, height: size.height, width: size.width,
                                        extraInputs: style.modelInputs(strength: style.strength))
                    }) != nil
                    if !ok { timings.fail(); return }
                    if run > 0 { times.append(monotonicSeconds() - start) }
                }
                timings.record(median(times), at: index)
            }
        }
        threads.forEach { $0.join() }
        guard let seconds = timings.mean else { throw PipelineError(.engine, "the style network failed on a blank frame") }
        return seconds
    }
}

/// Network times measured by the calibration threads.
private final class NetworkTimings: @unchecked Sendable {
    private let lock = NSLock()
    private var seconds: [Double?]
    private var failed = false
    init(count: Int) { seconds = Array(repeating: nil, count: count) }
    func record(_ value: Double, at index: Int) { lock.withLock { seconds[index] = value } }
    func fail() { lock.withLock { failed = true } }
    var mean: Double? {
        lock.withLock {
            let values = seconds.compactMap { $0 }
            return failed || values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        }
    }
}

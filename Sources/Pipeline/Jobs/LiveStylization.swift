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
    public var stability: Float = TemporalSettings.defaultStability
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
            networkSize = try LiveFrameCost.sizeHoldingRate(model: models[0], style: options.styles[0],
                                                            sourceWidth: source.width, sourceHeight: source.height,
                                                            frameRate: source.frameRate ?? 30, workers: options.threads,
                                                            stability: options.temporal ? options.stability : nil)
        }
    }

    /// Runs until the source ends, `stop` is set, or `options.frameLimit` frames went out.
    /// `status` is called on this thread for each frame, before the sinks get it. Errors from
    /// the source (a camera unplugged) or a sink end the run with that error. The source and
    /// the sinks are closed when it returns.
    public func run(sinks: [FrameSink], controls: LiveControls, stop: StopSignal = StopSignal(),
                    status: (LiveStats, Look) -> Void = { _, _ in }) throws(PipelineError) -> LiveSummary {
        let temporal = TemporalSettings.live(stability: options.stability)
        let pipeline = FramePipeline(styles: styles, size: networkSize, threads: ThreadPlan(threads: options.threads, workers: options.threads),
                                     admission: .dropWhenBusy, temporal: temporal, frameLimit: options.frameLimit)
        let run = try pipeline.run(source: source, sinks: sinks, looks: controls, stop: stop) { p in status(p.stats, p.look) }
        return LiveSummary(stats: run.stats, networkSize: networkSize, workers: options.threads, elapsed: run.elapsed)
    }
}

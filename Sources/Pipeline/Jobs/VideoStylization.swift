import Foundation
import MediaIO
import StyleEngine

/// `stylize video`: a file through the frame pipeline into an encoded file, every frame
/// painted (workers wait, nothing is dropped), the audio carried alongside.
///
/// `init` does every check that needs no decoding (options, input opens, model loads,
/// output is writable) so bad input fails before any work, with one line.
public final class VideoStylization {
    public let options: VideoJobOptions
    public let networkSize: NetworkSize
    public let threads: ThreadPlan
    private let source: MediaFileSource
    private let style: FramePipeline.Style
    private let output: OutputFile

    public var info: MediaInfo { source.info }

    public init(options: VideoJobOptions) throws(PipelineError) {
        try options.validate()
        self.options = options
        source = try MediaFileSource(path: options.inputPath, range: options.range, warmUpFrames: options.chosenWarmUpFrames,
                                     coolDownFrames: options.chosenCoolDownFrames)
        let painted = NetworkSize(fitting: source.width, source.height, maxSize: options.maxSize)
        try VideoMemory.check(width: source.width, height: source.height, lookahead: options.chosenLookahead,
                              networkPixels: painted.width * painted.height,
                              input: options.inputPath == "-" ? "standard input" : options.inputPath, limit: options.memoryLimit)
        output = options.outputPath == "-" ? try OutputFile.standardOutput(container: options.streamFormat)
            : try OutputFile(path: options.outputPath, inputPath: options.inputPath, overwrite: options.overwrite)
        switch options.painter {
        case .network(let settings):
            style = FramePipeline.Style(settings: settings, model: try settings.loadModel())
            networkSize = NetworkSize(fitting: source.width, source.height, maxSize: options.maxSize,
                                      multiple: settings.preset.sizeMultiple)
            threads = ThreadPlan(threads: options.threads, workers: options.workers)
        case .optimization(let painting, let frames):
            style = FramePipeline.Style(painting: try painting.load(), settings: frames)
            networkSize = NetworkSize(fitting: source.width, source.height, maxSize: options.maxSize, multiple: 8)
            threads = ThreadPlan(threads: options.threads, workers: 1)   // each frame starts from the one before
        }
    }

    /// The range's length × the frame rate, when both are known.
    private var expectedFramesInRange: Int? {
        guard let range = options.range, let rate = info.video.frameRate?.doubleValue, rate > 0,
              let end = range.end ?? info.video.duration else { return nil }
        return max(0, Int(((min(end, info.video.duration ?? end) - range.start) * rate).rounded()))
    }

    /// What the job will do, a line each (input, style, sizes, temporal blending).
    public var details: [String] {
        let v = info.video
        let style: [String]
        switch options.painter {
        case .network(let settings):
            style = ["Style: \(settings.preset.name) (\(settings.preset.modelPath(for: settings.variant)))",
                     "Network size: \(networkSize); threads: \(threads); arithmetic: \(EngineInfo.describe(settings.precision))",
                     options.linksFrames ? "Temporal blending: stability \(options.stability) (optical flow: DIS fast, in the workers)"
                        : "Temporal blending: off"]
        case .optimization(let painting, let frames):
            style = ["Style: \(painting.stylePaths.joined(separator: ", ")), by optimization (\(frames.firstFrameIterations) "
                     + "L-BFGS iterations for a first frame, \(frames.iterations) for each after)",
                     "Painted size: \(networkSize); threads: \(threads)",
                     options.linksFrames ? "Temporal term: weight \(frames.temporalWeight) (optical flow: DIS fast)" : "Temporal term: off"]
        }
        return ["Input: \(options.inputPath) — \(v.codecName) \(v.width)×\(v.height) \(v.pixelFormatName)"
                + (v.frameCount.map { ", \($0) frames" } ?? "") + (info.audio.map { ", audio \($0.codecName)" } ?? ", no audio")]
            + style + (EngineInfo.blas.map { ["BLAS: \($0)"] } ?? [])
    }

    /// For an optimization, about how long it takes: seconds for a frame that starts afresh, for one
    /// that starts from the frame before, and for the whole job when the number of frames is known.
    public struct TimeEstimate: Sendable {
        public let firstFrame: Double
        public let laterFrame: Double
        public let total: Double?
    }

    /// The median of three loss evaluations timed at the painted size (with its margin), times each frame's
    /// iterations (L-BFGS takes about `evaluationsPerIteration` evaluations an iteration); nil
    /// for a network.
    public func estimatedTime() throws(PipelineError) -> TimeEstimate? {
        guard case .optimization(let painting, let frames) = options.painter else { return nil }
        let milliseconds = try OptimizationTiming(lossNetworkPath: painting.lossNetworkPath,
                                                  size: PictureSize(width: networkSize.width + 2 * FrameOptimizer.margin,
                                                                    height: networkSize.height + 2 * FrameOptimizer.margin),
                                                  threads: threads.threadsPerWorker).run(runs: 3)
        let perIteration = Self.evaluationsPerIteration * milliseconds / 1000
        let first = Double(frames.firstFrameIterations) * perIteration
        let later = options.linksFrames ? Double(frames.iterations) * perIteration : first
        let count = options.range == nil ? info.video.frameCount : expectedFramesInRange
        return TimeEstimate(firstFrame: first, laterFrame: later, total: count.map { first + Double(max(0, $0 - 1)) * later })
    }

    static let evaluationsPerIteration = 1.2

    /// Runs the job to the end, or until `stop` says otherwise. `progress` is called for every
    /// frame, on the calling thread. On success the output file is complete and in place; on
    /// any error it is absent. `preview`, when given, also receives every finished picture,
    /// after that picture's `progress` call; it must not keep the caller waiting.
    public func run(stop: StopSignal = StopSignal(), preview: FrameSink? = nil,
                    progress: (VideoJobProgress) -> Void = { _ in }) throws(PipelineError) -> VideoJobSummary {
        let encoder: EncoderSink
        do throws(PipelineError) { encoder = try EncoderSink(output: output, source: source, settings: options.encoder, stop: stop) } catch {
            preview?.close()   // the pipeline closes its sinks once it runs; before that, this does
            throw error
        }
        let temporal = options.linksFrames ? {
            var settings = TemporalSettings(stability: options.stability, frameWidth: networkSize.width, height: networkSize.height)
            settings.lookahead = options.chosenLookahead
            return settings
        }() : nil
        let pipeline = FramePipeline(styles: [style], size: networkSize, threads: threads, admission: .waitForWorker,
                                     temporal: temporal)
        let look = FixedLook(Look(style: 0, strength: options.style?.strength ?? 1, temporal: true))
        let total = options.range == nil ? info.video.frameCount : expectedFramesInRange
        let run = try pipeline.run(source: source, sinks: [encoder] + (preview.map { [$0] } ?? []), looks: look, stop: stop) { p in
            progress(VideoJobProgress(framesDone: p.stats.framesOut, framesTotal: total, elapsed: p.elapsed,
                                      outputBytes: encoder.bytesWritten))
        }
        return VideoJobSummary(framesWritten: run.stats.framesOut, framesExpected: total,
                               concealedFrames: source.concealedFrames, inputEndedEarly: source.endedEarly,
                               elapsed: run.elapsed, outputBytes: encoder.bytesWritten, outputPath: output.finalPath,
                               interrupted: stop.state == .finishing, networkSize: networkSize, threads: threads,
                               inputSize: PictureSize(width: info.video.width, height: info.video.height),
                               outputSize: encoder.pictureSize, temporalResets: run.temporalResets)
    }
}

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
        source = try MediaFileSource(path: options.inputPath, range: options.range, warmUpFrames: options.chosenWarmUpFrames)
        try VideoMemory.check(width: source.width, height: source.height,
                              input: options.inputPath == "-" ? "standard input" : options.inputPath, limit: options.memoryLimit)
        output = options.outputPath == "-" ? try OutputFile.standardOutput(container: options.streamFormat)
            : try OutputFile(path: options.outputPath, inputPath: options.inputPath, overwrite: options.overwrite)
        style = try options.style.load()
        networkSize = NetworkSize(fitting: source.width, source.height, maxSize: options.maxSize,
                                  multiple: options.style.preset.sizeMultiple)
        threads = ThreadPlan(threads: options.threads, workers: options.workers)
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
        return ["Input: \(options.inputPath) — \(v.codecName) \(v.width)×\(v.height) \(v.pixelFormatName)"
                + (v.frameCount.map { ", \($0) frames" } ?? "") + (info.audio.map { ", audio \($0.codecName)" } ?? ", no audio"),
                "Style: \(options.style.preset.name) (\(options.style.preset.modelPath(for: options.style.variant)))",
                "Network size: \(networkSize); threads: \(threads)",
                options.blendsFrames ? "Temporal blending: stability \(options.stability) (optical flow: DIS fast, in the workers)"
                    : "Temporal blending: off"] + (EngineInfo.blas.map { ["BLAS: \($0)"] } ?? [])
    }

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
        let temporal = options.blendsFrames
            ? TemporalSettings(stability: options.stability, frameWidth: networkSize.width, height: networkSize.height) : nil
        let pipeline = FramePipeline(styles: [style], size: networkSize, threads: threads, admission: .waitForWorker,
                                     temporal: temporal)
        let look = FixedLook(Look(style: 0, strength: options.style.strength, temporal: true))
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

import ArgumentParser
import Foundation
import Pipeline
import Terminal

struct VideoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "video",
        abstract: "Stylize a video file; audio, timing, size and colour metadata are kept.",
        discussion: """
        Reads anything FFmpeg reads (mp4, mkv, mov, avi, webm, mpg, ogv, gif, …). The output \
        container follows the extension of -o: .mp4/.mov/.mkv get H.264, .webm gets VP9. \
        Audio is copied when the container takes it, otherwise re-encoded (AAC, or Opus for .webm).

        Examples:
          stylize video                    # the bundled sample clip, default style
          stylize video in.mp4 -o out.mp4 --style starry-night
          stylize video in.mov -o out.webm --strength 0.7 --preserve-colors
          stylize video in.mkv -o out.mkv --style ~/models/mosaic.onnx --max-size 640
          ffmpeg -i in.mp4 -f matroska - | stylize video - -o - | ffplay -
          stylize video clip.mp4 -o painted.mp4 --style painting.jpg --max-size 320

        Strokes are kept steady across frames by default: each frame is blended with the \
        previous result moved along the video's optical flow (--stability sets how much; \
        --no-temporal turns it off). `stylize measure IN OUT` reports the flicker left.

        Any picture as --style paints by optimization (Ruder et al.): each frame is optimized \
        toward the picture's textures, starting from the previous result moved along the optical \
        flow and held near it where the motion is reliable (--temporal-weight). Minutes per \
        second of video: meant for short clips at a small --max-size; the time is estimated before \
        it starts. It needs the loss network once: scripts/fetch-loss-network.sh.

        Press Ctrl-C once to stop early and keep a valid, shorter file; twice to abort \
        and remove it. Exit status: 0 done, 1 error, 130 stopped by Ctrl-C.
        """
    )

    @Argument(help: ArgumentHelp("The video to stylize, or - for standard input (default: the bundled sample clip).", valueName: "input"))
    var input: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the result, or - for standard output (default: INPUT-STYLE.mp4 in the current folder).", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("The container written with -o -: mkv, webm, nut or ts (default: mkv). A file's follows its extension.", valueName: "format"))
    var format: String?

    @OptionGroup var look: LookOptions

    @Option(help: ArgumentHelp("Longest side, in pixels, that the network paints at; the output keeps the input size. Smaller is faster with bigger strokes.", valueName: "pixels"))
    var maxSize: Int = VideoJobOptions.defaultMaxSize

    @Option(help: ArgumentHelp("Quality on x264's 0–51 scale, lower is better and bigger (default: 18; mapped to VP9's scale for .webm).", valueName: "n"))
    var crf: Int?

    @Option(help: ArgumentHelp("Encoder speed/size trade-off (x264 names: ultrafast … medium … veryslow).", valueName: "name"))
    var encoderPreset: String = "medium"

    @Flag(help: "Keep an odd width or height exactly: H.264 is then written as 4:4:4, which browsers, phones and most players refuse (by default the last row or column is dropped and the file is 4:2:0).")
    var exactSize = false

    @Option(help: ArgumentHelp("CPU threads for stylizing (default: all cores).", valueName: "n"))
    var threads: Int?

    @Option(help: ArgumentHelp("Frames stylized in parallel (default: chosen from --threads).", valueName: "n"))
    var workers: Int?

    @Option(help: ArgumentHelp("""
        How steady strokes stay from frame to frame, 0–1 (default: \(TemporalSettings.defaultStability)). \
        Each frame keeps this share of the previous result, carried along the video's motion, \
        wherever that motion is reliable; occlusions, fast motion and scene cuts start fresh. \
        Lower lets more new detail through (livelier, more flicker); higher is calmer but can \
        smear on fast or complex motion. 0 is the same as --no-temporal.
        """, valueName: "0..1"))
    var stability: Float = TemporalSettings.defaultStability

    @Option(help: ArgumentHelp("""
        Frames after each one that also steady its strokes (default: 0, only the frames before, as \
        `stylize camera` must; at most \(TemporalSettings.maxLookahead)). With \(TemporalSettings.suggestedLookahead) \
        the blending also runs back from that many frames later, so a stroke is held by the frames on \
        both sides: about a ninth less flicker, for about a quarter more time and somewhat softer fine \
        strokes on noisy handheld footage.
        """, valueName: "frames"))
    var lookahead = 0

    @Flag(name: .customLong("no-temporal"), help: "Stylize every frame on its own (no optical flow, no blending; a little faster, flickers).")
    var noTemporal = false

    @Option(help: ArgumentHelp("Start of the part to stylize: seconds (12.5) or [h:]m:s (1:02.5); the output starts at zero.", valueName: "time"),
            transform: parseTime)
    var from: Double?

    @Option(help: ArgumentHelp("End of the part to stylize (not included), as --from.", valueName: "time"), transform: parseTime)
    var to: Double?

    @Option(help: ArgumentHelp("Frames painted before --from, not written, so the strokes are already steady at its first frame "
                               + "(default: enough for the temporal blending to settle, "
                               + "\(TemporalSettings.warmUpFrames(stability: TemporalSettings.defaultStability)) at the default stability; "
                               + "0 without blending).", valueName: "frames"))
    var warmUp: Int?

    @OptionGroup(title: "Optimization (--style PICTURE)") var optimization: OptimizationOptions

    @Option(help: ArgumentHelp("With a picture as --style: how strongly each frame holds to the previous result carried along "
                               + "the motion (default: \(FrameOptimizer.Settings().temporalWeight); 0: every frame on its own).", valueName: "w"))
    var temporalWeight: Float?

    @Flag(help: "Show the frames in this terminal as they are made (the progress goes under the picture).")
    var preview = false

    @OptionGroup var previewMode: PreviewModeOption

    @Flag(help: "Replace the output file if it exists.")
    var force = false

    @Flag(name: .shortAndLong, help: "Print no progress, only errors.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Print what was chosen: threads, network size, BLAS core.")
    var verbose = false

    @OptionGroup var statsEvery: StatsEveryOption

    func run() throws {
        guard let inputPath = input ?? Styles.sampleClip() else {
            throw exitWithError("no input given and the sample clip was not found; try: stylize video IN.mp4 -o OUT.mp4")
        }
        let job = try reporting { () throws(PipelineError) in try VideoStylization(options: try options(input: inputPath)) }
        if verbose { job.details.forEach(printToStderr) }
        if !quiet, let time = try reporting({ () throws(PipelineError) in try job.estimatedTime() }) {
            printToStderr("Painting by optimization at \(job.networkSize): about " + (time.total.map { ProgressBar.format(duration: $0) + " in all, " } ?? "")
                          + "\(ProgressBar.format(duration: time.laterFrame)) a frame (Ctrl-C stops early and keeps what is done).")
        }

        let stop = StopSignal()
        let interrupts = InterruptHandler(stop: stop) { [quiet] state in
            if !quiet { printToStderr(state == .finishing ? "\nStopping: finishing the frames in flight (Ctrl-C again to abort and discard)…" : "\nAborting.") }
        }
        defer { withExtendedLifetime(interrupts) {} }
        let terminal = preview ? try reporting { () throws(PipelineError) in try previewMode.sink() } : nil
        // With a preview, progress is the status line under the picture.
        let bar = ProgressBar(label: "Stylizing", style: quiet || terminal != nil ? .silent : nil)
        let interval = statsEvery.make()
        let summary = try reporting(cleanup: bar.finish) { () throws(PipelineError) in
            try job.run(stop: stop, preview: terminal) { p in
                bar.update(done: p.framesDone, total: p.framesTotal, elapsed: p.elapsed)
                interval?.update(framesDone: p.framesDone)
                terminal?.status = "Stylizing \(p.framesDone)" + (p.framesTotal.map { "/\($0)" } ?? "") + " frames, "
                    + "\(ProgressBar.format(rate: p.elapsed > 0 ? Double(p.framesDone) / p.elapsed : 0)) fps"
            }
        }
        bar.finish()
        if !quiet { printSummary(summary) }
        if verbose { printToStderr(summary.statsLine) }
        if summary.interrupted { throw ExitCode(130) }
    }

    /// The job these options describe.
    private func options(input: String) throws(PipelineError) -> VideoJobOptions {
        let painter: VideoJobOptions.Painter
        let name: String
        if look.paintings.isEmpty {
            if let flag = optimization.givenFlag ?? (temporalWeight != nil ? "--temporal-weight" : nil) {
                throw PipelineError(.options, "\(flag) is for painting by optimization, with a picture as --style")
            }
            let style = try look.settings()
            (painter, name) = (.network(style), style.preset.name)
        } else {
            if optimization.initFrom != nil || optimization.seed != nil {
                throw PipelineError(.options, "--init and --seed are for pictures; a video's first frame starts from itself")
            }
            var frames = FrameOptimizer.Settings()
            if let iterations = optimization.iterations { (frames.iterations, frames.firstFrameIterations) = (iterations, 3 * iterations) }
            if let temporalWeight { frames.temporalWeight = temporalWeight }
            let painting = try optimization.painting(look)
            (painter, name) = (.optimization(painting, frames), URL(fileURLWithPath: painting.stylePaths[0]).deletingPathExtension().lastPathComponent)
        }
        var options = VideoJobOptions(inputPath: input, outputPath: output ?? VideoJobOptions.defaultOutput(for: input, style: name),
                                      painter: painter)
        options.maxSize = maxSize
        if let crf { options.encoder.crf = crf }
        options.encoder.preset = encoderPreset
        options.encoder.keepOddSize = exactSize
        if let format {
            guard options.outputPath == "-" else { throw PipelineError(.options, "--format is for -o - (a file's container follows its extension)") }
            options.streamFormat = format
        }
        if let threads { options.threads = threads }
        options.workers = workers
        options.overwrite = force
        options.temporal = !noTemporal
        options.stability = stability
        options.lookahead = lookahead
        if from != nil || to != nil { options.range = TimeRange(start: from ?? 0, end: to) }
        options.warmUpFrames = warmUp
        return options
    }

    private func printSummary(_ s: VideoJobSummary) {
        var line = s.interrupted ? "Stopped early: wrote \(s.framesWritten)" : "Done: \(s.framesWritten)"
        if s.interrupted, let expected = s.framesExpected { line += " of \(expected)" }
        line += " frames in \(ProgressBar.format(duration: s.elapsed)) (\(ProgressBar.format(rate: s.framesPerSecond)) fps)"
        line += " → \(s.outputPath == "-" ? "standard output" : s.outputPath) (\(ProgressBar.format(bytes: s.outputBytes)))"
        printToStderr(line)
        if s.outputSize != s.inputSize {
            printToStderr("Note: written at \(s.outputSize) (the input is \(s.inputSize)): H.264 4:2:0, which every player takes, needs even sides; --exact-size keeps \(s.inputSize) as 4:4:4, which many players refuse.")
        }
        if let reason = s.inputEndedEarly {
            printToStderr("Note: the input ended early (\(reason)); everything before that point was stylized.")
        }
        if s.concealedFrames > 0 {
            printToStderr("Note: \(s.concealedFrames) corrupt frame\(s.concealedFrames == 1 ? " was" : "s were") concealed by repeating the previous picture.")
        }
    }
}

/// `--from`/`--to`: seconds or [h:]m:s.
private func parseTime(_ text: String) throws -> Double {
    guard let seconds = TimeRange.seconds(parsing: text) else {
        throw ValidationError("'\(text)' is not a time: give seconds (12.5) or [h:]m:s (1:02.5)")
    }
    return seconds
}

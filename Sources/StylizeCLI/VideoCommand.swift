import ArgumentParser
import Foundation
import MediaIO
import Pipeline
import PresetCatalog
import StyleEngine
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

        Strokes are kept steady across frames by default: each frame is blended with the \
        previous result moved along the video's optical flow (--stability sets how much; \
        --no-temporal turns it off). `stylize measure IN OUT` reports the flicker left.

        Press Ctrl-C once to stop early and keep a valid, shorter file; twice to abort \
        and remove it. Exit status: 0 done, 1 error, 130 stopped by Ctrl-C.
        """
    )

    @Argument(help: ArgumentHelp("The video to stylize (default: the bundled sample clip).", valueName: "input"))
    var input: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the result (default: INPUT-STYLE.mp4 in the current folder).", valueName: "file"))
    var output: String?

    @OptionGroup var look: LookOptions

    @Option(help: ArgumentHelp("Longest side, in pixels, that the network paints at; the output keeps the input size. Smaller is faster with bigger strokes.", valueName: "pixels"))
    var maxSize: Int = VideoJobOptions.defaultMaxSize

    @Option(help: ArgumentHelp("Quality on x264's 0–51 scale, lower is better and bigger (default: 18; mapped to VP9's scale for .webm).", valueName: "n"))
    var crf: Int?

    @Option(help: ArgumentHelp("Encoder speed/size trade-off (x264 names: ultrafast … medium … veryslow).", valueName: "name"))
    var encoderPreset: String = "medium"

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

    @Flag(name: .customLong("no-temporal"), help: "Stylize every frame on its own (no optical flow, no blending; a little faster, flickers).")
    var noTemporal = false

    @Flag(help: "Show the frames in this terminal as they are made (the progress goes under the picture).")
    var preview = false

    @OptionGroup var previewMode: PreviewModeOption

    @Flag(help: "Replace the output file if it exists.")
    var force = false

    @Flag(name: .shortAndLong, help: "Print no progress, only errors.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Print what was chosen: threads, network size, BLAS core.")
    var verbose = false

    func validate() throws {
        try look.validate()
        guard maxSize >= 16 else { throw ValidationError("--max-size must be at least 16") }
        if let crf, !(0...51).contains(crf) { throw ValidationError("--crf must be between 0 and 51") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        guard stability.isFinite, (0...1).contains(stability) else { throw ValidationError("--stability must be between 0 and 1") }
    }

    func run() throws {
        guard let inputPath = input ?? PresetCatalog.sampleClip() else {
            throw exitWithError("no input given and the sample clip was not found; try: stylize video IN.mp4 -o OUT.mp4")
        }
        let preset: Preset
        do throws(PresetError) { preset = try PresetCatalog().resolve(look.style) } catch { throw exitWithError(error) }

        var options = VideoJobOptions(inputPath: inputPath,
                                      outputPath: output ?? Self.defaultOutput(for: inputPath, style: preset.name),
                                      preset: preset)
        options.style = look.settings(preset: preset)
        options.maxSize = maxSize
        if let crf { options.encoder.crf = crf }
        options.encoder.preset = encoderPreset
        if let threads { options.threads = threads }
        options.workers = workers
        options.overwrite = force
        options.temporal = !noTemporal
        options.stability = stability

        let job: VideoStylization
        do throws(PipelineError) { job = try VideoStylization(options: options) } catch { throw exitWithError(error) }
        if verbose { printDetails(job) }

        let stop = StopSignal()
        let quiet = self.quiet
        let interrupts = InterruptHandler(stop: stop) { state in
            guard !quiet else { return }
            printToStderr(state == .finishing
                ? "\nStopping: finishing the frames in flight (Ctrl-C again to abort and discard)…"
                : "\nAborting.")
        }
        var terminal: TerminalPreviewOutput?
        if preview {
            guard let descriptor = previewTerminal() else { throw exitWithError("--preview needs a terminal on stdout or stderr") }
            terminal = TerminalPreviewOutput(mode: previewMode.resolved(terminal: descriptor), descriptor: descriptor)
        }
        // With a preview, progress is the status line under the picture.
        let bar = ProgressBar(label: "Stylizing", style: quiet || terminal != nil ? .silent : nil)
        let summary: VideoJobSummary
        do throws(PipelineError) {
            summary = try job.run(stop: stop, preview: terminal) { p in
                bar.update(done: p.framesDone, total: p.framesTotal, elapsed: p.elapsed)
                terminal?.status = "Stylizing \(p.framesDone)" + (p.framesTotal.map { "/\($0)" } ?? "") + " frames, "
                    + "\(ProgressBar.format(rate: p.elapsed > 0 ? Double(p.framesDone) / p.elapsed : 0)) fps"
            }
        } catch {
            terminal?.close()
            bar.finish()
            withExtendedLifetime(interrupts) {}
            throw exitWithError(error, code: error.stage == .aborted ? 130 : 1)
        }
        terminal?.close()
        bar.finish()
        withExtendedLifetime(interrupts) {}
        if !quiet { printSummary(summary) }
        if verbose {
            printToStderr("Stats: frames=\(summary.framesWritten) elapsed=\(String(format: "%.3f", summary.elapsed))"
                          + " fps=\(String(format: "%.3f", summary.framesPerSecond)) concealed=\(summary.concealedFrames)"
                          + (summary.temporalResets.map { " temporal-resets=\($0)" } ?? " temporal=off"))
        }
        if summary.interrupted { throw ExitCode(130) }
    }

    /// `clip.mov` + style `sketch` → `clip-sketch.mp4` (or the input's container when we encode it natively).
    static func defaultOutput(for input: String, style: String) -> String {
        let url = URL(fileURLWithPath: input)
        let ext = ["mp4", "mkv", "mov", "webm"].contains(url.pathExtension.lowercased()) ? url.pathExtension : "mp4"
        return url.deletingPathExtension().lastPathComponent + "-" + style + "." + ext
    }

    private func printDetails(_ job: VideoStylization) {
        let v = job.info.video
        printToStderr("Input: \(job.options.inputPath) — \(v.codecName) \(v.width)×\(v.height) \(v.pixelFormatName)"
                      + (v.frameCount.map { ", \($0) frames" } ?? "")
                      + (job.info.audio.map { ", audio \($0.codecName)" } ?? ", no audio"))
        printToStderr("Style: \(job.options.style.preset.name) (\(job.options.style.preset.modelPath(for: job.options.style.variant)))")
        printToStderr("Network size: \(job.networkSize); threads: \(job.threads)")
        printToStderr(job.options.temporal && job.options.stability > 0
                      ? "Temporal blending: stability \(job.options.stability) (optical flow: DIS fast, in the workers)"
                      : "Temporal blending: off")
        if let blas = try? BLAS.load() {
            let how = blas.coreTypeFromUser ? "set by OPENBLAS_CORETYPE"
                : (blas.requestedCore.map { "chosen by Stylize's CPU check, asked for \($0)" } ?? "OpenBLAS's own detection")
            printToStderr("BLAS: \(blas.library), core \(blas.corename) (\(how))")
        }
    }

    private func printSummary(_ s: VideoJobSummary) {
        var line = s.interrupted ? "Stopped early: wrote \(s.framesWritten)" : "Done: \(s.framesWritten)"
        if s.interrupted, let expected = s.framesExpected { line += " of \(expected)" }
        line += " frames in \(ProgressBar.format(duration: s.elapsed)) (\(ProgressBar.format(rate: s.framesPerSecond)) fps)"
        line += " → \(s.outputPath) (\(ProgressBar.format(bytes: s.outputBytes)))"
        printToStderr(line)
        if let reason = s.inputEndedEarly {
            printToStderr("Note: the input ended early (\(reason)); everything before that point was stylized.")
        }
        if s.concealedFrames > 0 {
            printToStderr("Note: \(s.concealedFrames) corrupt frame\(s.concealedFrames == 1 ? " was" : "s were") concealed by repeating the previous picture.")
        }
    }
}

import ArgumentParser
import Camera
import Foundation
import Pipeline
import PresetCatalog
import Terminal

struct CameraCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "camera",
        abstract: "Stylize a webcam live into a virtual camera that Zoom, Meet or OBS can pick.",
        discussion: """
        Captures from a V4L2 webcam, paints every frame with the realtime network of a style, \
        keeps strokes steady with temporal blending, and writes the result to a v4l2loopback \
        virtual camera (or, with --output -, a YUV4MPEG2 stream on stdout). When the CPU cannot \
        keep up, frames are dropped, never queued: the picture is always the current one.

        One-time set-up of the virtual camera (Debian: apt install v4l2loopback-dkms):
          sudo modprobe v4l2loopback exclusive_caps=1 card_label="Stylize"

        Examples:
          stylize camera                                  # /dev/video0 → the first loopback device
          stylize camera --style great-wave --size 1280x720
          stylize camera --input SampleClips/city-night.mp4 --loop --output - | ffplay -
          stylize camera --output - --frames 300 | ffmpeg -i - -c:v libx264 webcam.mp4

        Keys (when run in a terminal): n / p next or previous style, + / - strength, \
        t temporal blending on/off, space show the camera as it is, q quit.
        """
    )

    @Option(help: ArgumentHelp("The webcam to capture from.", valueName: "device"))
    var device = "/dev/video0"

    @Option(help: ArgumentHelp("Use a video file or URL (anything FFmpeg opens) as the camera, played at its own rate "
                               + "(or --fps). For demos and machines without a camera.", valueName: "file|url"))
    var input: String?

    @Flag(help: "With --input: start over at the end instead of stopping.")
    var loop = false

    @Option(name: .shortAndLong, help: ArgumentHelp("The v4l2loopback device to write to, or - for a YUV4MPEG2 stream on "
                                                    + "stdout (default: the first loopback device found).", valueName: "device|-"))
    var output: String?

    @Option(help: ArgumentHelp("Pixel format for the virtual camera: yuyv (accepted by browsers, Zoom and OBS) or i420.",
                               valueName: "format"))
    var format: LoopbackOutput.Format = .yuyv

    @Option(help: ArgumentHelp("Picture size, WIDTHxHEIGHT.", valueName: "size"))
    var size = "640x480"

    @Option(help: ArgumentHelp("Frame rate to capture and send at (default: 30 for a camera; the file's own rate "
                               + "for --input).", valueName: "fps"))
    var fps: Int?

    @OptionGroup var look: LookOptions

    @Option(help: ArgumentHelp("How steady strokes stay from frame to frame, 0–1.", valueName: "0…1"))
    var stability: Float = TemporalSettings.liveDefaultStability

    @Flag(name: .customLong("no-temporal"), help: "Start with temporal blending off (the t key toggles it).")
    var noTemporal = false

    @Option(help: ArgumentHelp("Longest side the network paints at (default: chosen at start to hold the frame rate).",
                               valueName: "pixels"))
    var maxSize: Int?

    @Option(help: ArgumentHelp("CPU threads for stylizing (default: all cores).", valueName: "n"))
    var threads: Int?

    @Option(help: ArgumentHelp("Stop after this many frames (default: run until q, Ctrl-C or the end of --input).", valueName: "n"))
    var frames: Int?

    @Flag(help: "Also show the stylized picture in this terminal (on stderr's terminal when stdout carries the video).")
    var preview = false

    @OptionGroup var previewMode: PreviewModeOption

    @Flag(name: .shortAndLong, help: "Print only errors and the final summary.")
    var quiet = false

    func validate() throws {
        try look.validate()
        guard parsedSize != nil else { throw ValidationError("--size must look like 640x480 (even numbers, at least 32×32)") }
        if let fps, !(1...240).contains(fps) { throw ValidationError("--fps must be between 1 and 240") }
        guard stability.isFinite, (0...1).contains(stability) else { throw ValidationError("--stability must be between 0 and 1") }
        if let maxSize, maxSize < 16 { throw ValidationError("--max-size must be at least 16") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let frames, frames < 1 { throw ValidationError("--frames must be at least 1") }
        if loop && input == nil { throw ValidationError("--loop needs --input") }
    }

    var parsedSize: (width: Int, height: Int)? {
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts[0] >= 32, parts[1] >= 32, parts[0] <= 7680, parts[1] <= 4320,
              parts[0] % 2 == 0, parts[1] % 2 == 0 else { return nil }
        return (parts[0], parts[1])
    }

    func run() throws {
        let (width, height) = parsedSize!
        let styles: [StyleSettings]
        do throws(PresetError) { styles = try look.liveStyles(defaultVariant: .realtime) } catch { throw exitWithError(error) }
        let first = styles[0]

        var options = LiveOptions(styles: styles)
        options.maxSize = maxSize
        options.temporal = !noTemporal
        options.stability = stability
        if let threads { options.threads = threads }
        options.frameLimit = frames

        let source: LiveSource
        let live: LiveStylization
        var outputs: [LiveOutput] = []
        var outputName = ""
        do throws(PipelineError) {
            if let input {
                source = try FileLiveSource(path: input, width: width, height: height, frameRate: fps.map(Double.init), loop: loop)
            } else {
                source = try CameraLiveSource(path: device, width: width, height: height, frameRate: fps ?? 30)
            }
            live = try LiveStylization(source: source, options: options)
            let made = try makeOutput(width: width, height: height, frameRate: source.frameRate)
            outputs.append(made.output)
            outputName = made.name
        } catch { throw exitWithError(error) }

        if !quiet {
            printToStderr("Live: \(source.name) \(width)×\(height) at \(ProgressBar.format(rate: source.frameRate)) fps → \(outputName)"
                          + "; style \(first.preset.name) (\(first.variant.rawValue)), network \(live.networkSize), "
                          + "\(options.threads) worker\(options.threads == 1 ? "" : "s")")
        }

        var terminal: TerminalPreviewOutput?
        if preview {
            guard let descriptor = previewTerminal() else {
                outputs.forEach { $0.close() }
                throw exitWithError("--preview needs a terminal on stdout or stderr")
            }
            terminal = TerminalPreviewOutput(mode: previewMode.resolved(terminal: descriptor), descriptor: descriptor)
            outputs.append(terminal!)
        }

        let stop = StopSignal()
        let interrupts = InterruptHandler(stop: stop) { _ in stop.finish() }
        let controls = LiveControls(styleCount: styles.count, strength: look.strength, temporal: !noTemporal)
        let hotkeys = HotkeyListener(controls: controls, stop: stop)
        // With a preview the status goes under the picture; otherwise on stderr's last line.
        let status = LiveStatusLine(enabled: !quiet && terminal == nil, styles: styles.map(\.preset.name))
        let summary: LiveSummary
        do throws(PipelineError) {
            summary = try live.run(outputs: outputs, controls: controls, stop: stop) { stats, state in
                status.update(stats, state)
                terminal?.status = status.text(stats, state)
            }
        } catch {
            hotkeys.close()
            status.finish()
            withExtendedLifetime(interrupts) {}
            throw exitWithError(error)
        }
        hotkeys.close()
        status.finish()
        withExtendedLifetime(interrupts) {}
        let s = summary.stats
        printToStderr("Done: \(s.framesOut) frames out of \(s.framesIn) captured (\(s.dropped) dropped) in "
                      + "\(ProgressBar.format(duration: summary.elapsed)); \(String(format: "%.1f", s.meanFPS)) fps; "
                      + "latency p50 \(Int((s.latency(percentile: 0.5) * 1000).rounded())) ms, "
                      + "p95 \(Int((s.latency(percentile: 0.95) * 1000).rounded())) ms")
    }

    private func makeOutput(width: Int, height: Int, frameRate: Double) throws(PipelineError) -> (output: LiveOutput, name: String) {
        if output == "-" {
            // A reader that goes away (ffplay closed) must be an error we report, not a SIGPIPE death.
            signal(SIGPIPE, SIG_IGN)
            let rate = Int(frameRate.rounded())
            return (SinkOutput(Y4MWriter(fileDescriptor: STDOUT_FILENO, width: width, height: height, frameRate: (rate, 1))),
                    "stdout (YUV4MPEG2)")
        }
        guard let path = output ?? LoopbackOutput.findDevice() else {
            throw PipelineError(.output, "no virtual camera found; create one with "
                                + "`sudo modprobe v4l2loopback exclusive_caps=1 card_label=\"Stylize\"` "
                                + "(or use --output - to write a YUV4MPEG2 stream to stdout)")
        }
        do throws(CameraError) {
            return (SinkOutput(try LoopbackOutput(path: path, width: width, height: height, framesPerSecond: Int(frameRate.rounded()), format: format)),
                    "\(path) (\(format.rawValue))")
        } catch { throw PipelineError(error) }
    }
}

extension LoopbackOutput.Format: ExpressibleByArgument {}

import ArgumentParser
import Foundation
import Pipeline
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
    var format: VirtualCameraFormat = .yuyv

    @Option(help: ArgumentHelp("Picture size, WIDTHxHEIGHT.", valueName: "size"))
    var size = "640x480"

    @Option(help: ArgumentHelp("Frame rate to capture and send at (default: 30 for a camera; the file's own rate "
                               + "for --input).", valueName: "fps"))
    var fps: Int?

    @OptionGroup var look: LookOptions

    @Option(help: ArgumentHelp("How steady strokes stay from frame to frame, 0–1.", valueName: "0…1"))
    var stability: Float = TemporalSettings.defaultStability

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

    @OptionGroup var statsEvery: StatsEveryOption

    func validate() throws {
        if loop && input == nil { throw ValidationError("--loop needs --input") }
    }

    func run() throws {
        let (live, source, sink) = try reporting { () throws(PipelineError) in
            guard let size = PictureSize(parsing: self.size) else { throw PipelineError.invalid(.pictureSize, "must look like 640x480") }
            let live = try size.checkedForLive()
            if let fps { try LiveOptions.checkFrameRate(Double(fps)) }
            let source: FrameSource = if let input {
                try FileAsCameraSource(path: input, width: live.width, height: live.height, frameRate: fps.map(Double.init), loop: loop)
            } else {
                try CameraSource(path: device, width: live.width, height: live.height, frameRate: fps ?? 30)
            }
            let destination: LiveDestination = output == "-" ? .standardOutput : .virtualCamera(path: output, format: format)
            return (try LiveStylization(source: source, options: try options()), source,
                    try DeviceSink.open(destination, width: live.width, height: live.height, frameRate: source.frameRate ?? 30))
        }
        let styles = live.options.styles
        if !quiet {
            printToStderr("Live: \(source.name) \(source.width)×\(source.height) at \(ProgressBar.format(rate: source.frameRate ?? 30)) fps"
                          + " → \(sink.name); style \(styles[0].name) (\(styles[0].variant.rawValue)), network \(live.networkSize) "
                          + "in \(styles[0].precision.rawValue), "
                          + "\(live.options.threads) worker\(live.options.threads == 1 ? "" : "s")")
        }
        let terminal = preview ? try reporting { () throws(PipelineError) in try previewMode.sink() } : nil
        let stop = StopSignal()
        let interrupts = InterruptHandler(stop: stop) { _ in stop.finish() }
        let controls = LiveControls(styleCount: styles.count, strength: styles[0].strength, temporal: !noTemporal)
        let hotkeys = HotkeyListener(controls: controls, stop: stop)
        // With a preview the status goes under the picture; otherwise on stderr's last line.
        let status = LiveStatusLine(enabled: !quiet && terminal == nil, styles: styles.map(\.name))
        let interval = statsEvery.make()
        defer { withExtendedLifetime(interrupts) {} }
        let summary = try reporting(cleanup: { hotkeys.close(); status.finish() }) { () throws(PipelineError) in
            try live.run(sinks: [sink.sink] + (terminal.map { [$0] } ?? []), controls: controls, stop: stop) { stats, look in
                status.update(stats, look)
                terminal?.status = status.text(stats, look)
                interval?.update(stats)
            }
        }
        hotkeys.close()
        status.finish()
        printToStderr("Done: " + status.summary(summary))
    }

    /// The live run these options describe: the chosen style first, then the others the n/p keys cycle through.
    private func options() throws(PipelineError) -> LiveOptions {
        var options = LiveOptions(styles: Styles.cycle(startingWith: try look.settings(defaultVariant: .realtime)))
        options.maxSize = maxSize
        options.temporal = !noTemporal
        options.stability = stability
        if let threads { options.threads = threads }
        options.frameLimit = frames
        return options
    }
}

extension VirtualCameraFormat: ExpressibleByArgument {}

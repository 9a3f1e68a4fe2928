import ArgumentParser
import Foundation
import Pipeline
import Terminal

struct PreviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Play a stylized video, or show a stylized picture, right in the terminal.",
        discussion: """
        A quick look before a long render: the video plays at its own speed with the realtime \
        network (frames the CPU or the terminal cannot keep up with are skipped); a picture is \
        painted with the quality network and stays up until you press q.

        Drawing uses the best the terminal offers: the kitty graphics protocol (kitty, WezTerm, \
        Ghostty), sixel (foot, mlterm, and xterm-like terminals that say so when asked), or \
        coloured half-blocks (truecolor, else 256 colours); --preview-mode picks one. The picture \
        is fitted to the window and follows resizes.

        Examples:
          stylize preview                        # the bundled sample clip, default style
          stylize preview holiday.mp4 --style great-wave --loop
          stylize preview photo.jpg --style great-wave --preview-mode truecolor

        Keys: n / p next or previous style, + / - strength, t temporal blending, space original, q quit.
        """
    )

    @Argument(help: ArgumentHelp("A video or a picture (default: the bundled sample clip).", valueName: "input"))
    var input: String?

    @OptionGroup var look: LookOptions
    @OptionGroup var previewMode: PreviewModeOption

    @Flag(help: "Start the video over at the end.")
    var loop = false

    @Option(help: ArgumentHelp("Longest side the network paints at (default: chosen to keep up with the video).",
                               valueName: "pixels"))
    var maxSize: Int?

    func run() throws {
        guard let inputPath = input ?? Styles.sampleClip() else {
            throw exitWithError("no input given and the sample clip was not found; try: stylize preview IN.mp4")
        }
        let (plan, live, terminal) = try reporting { () throws(PipelineError) in
            let terminal = try previewMode.sink()
            let plan = try PreviewPlan(path: inputPath)
            var options = LiveOptions(styles: Styles.cycle(startingWith: try look.settings(defaultVariant: plan.variant)))
            options.maxSize = maxSize ?? plan.maxSize
            let source = try FileAsCameraSource(path: inputPath, width: plan.width, height: plan.height, loop: loop && !plan.isStill)
            return (plan, try LiveStylization(source: source, options: options), terminal)
        }
        let stop = StopSignal()
        let interrupts = InterruptHandler(stop: stop) { _ in stop.finish() }
        let controls = LiveControls(styleCount: live.options.styles.count, strength: live.options.styles[0].strength, temporal: true)
        let hotkeys = HotkeyListener(controls: controls, stop: stop)
        let status = LiveStatusLine(enabled: false, styles: live.options.styles.map(\.name))
        defer { withExtendedLifetime(interrupts) {} }
        // A still's picture stays up after the run, until a key.
        terminal.keepsPictureOnClose = plan.isStill
        if plan.isStill { terminal.status = "\(live.options.styles[0].preset.title) — q to close" }
        let closeAll = { hotkeys.close(); terminal.closePicture() }
        _ = try reporting(cleanup: closeAll) { () throws(PipelineError) in
            try live.run(sinks: [terminal], controls: controls, stop: stop) { stats, look in
                if !plan.isStill { terminal.status = status.text(stats, look) }
            }
        }
        if plan.isStill { hotkeys.waitForQuit(stop) }
        closeAll()
    }
}

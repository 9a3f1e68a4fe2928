import ArgumentParser
import Foundation
import MediaIO
import Pipeline
import PresetCatalog
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

    func validate() throws {
        try look.validate()
        if let maxSize, maxSize < 16 { throw ValidationError("--max-size must be at least 16") }
    }

    func run() throws {
        guard let inputPath = input ?? PresetCatalog.sampleClip() else {
            throw exitWithError("no input given and the sample clip was not found; try: stylize preview IN.mp4")
        }
        guard let descriptor = previewTerminal() else {
            throw exitWithError("preview draws in a terminal, and neither stdout nor stderr is one")
        }
        // A still is anything with a single picture (containers rarely say: decode up to two).
        let info: MediaInfo
        let isStill: Bool
        do throws(MediaError) {
            let reader = try MediaReader(path: inputPath)
            info = reader.info
            let first = try reader.nextVideoFrame()
            let second = try reader.nextVideoFrame()
            isStill = first != nil && second == nil
        } catch { throw exitWithError(error) }
        let styles: [StyleSettings]
        do throws(PresetError) { styles = try look.liveStyles(defaultVariant: isStill ? .quality : .realtime) } catch {
            throw exitWithError(error)
        }
        let first = styles[0]

        // The terminal shows far fewer pixels than a video has: 640 across is plenty.
        let scale = min(1, 640 / Double(max(info.video.width, info.video.height)))
        let width = max(2, Int(Double(info.video.width) * scale) / 2 * 2)
        let height = max(2, Int(Double(info.video.height) * scale) / 2 * 2)
        var options = LiveOptions(styles: styles)
        options.maxSize = maxSize ?? (isStill ? max(width, height) : nil)
        let live: LiveStylization
        do throws(PipelineError) {
            let source = try FileLiveSource(path: inputPath, width: width, height: height, loop: loop && !isStill)
            live = try LiveStylization(source: source, options: options)
        } catch { throw exitWithError(error) }

        let terminal = TerminalPreviewOutput(mode: previewMode.resolved(terminal: descriptor), descriptor: descriptor)
        let stop = StopSignal()
        let interrupts = InterruptHandler(stop: stop) { _ in stop.finish() }
        let controls = LiveControls(styleCount: styles.count, strength: look.strength, temporal: true)
        let hotkeys = HotkeyListener(controls: controls, stop: stop)
        let status = LiveStatusLine(enabled: false, styles: styles.map(\.preset.name))
        defer { withExtendedLifetime(interrupts) {} }
        do throws(PipelineError) {
            // The preview stays open after a still is drawn (the output is closed by `run`, so it
            // is wrapped to keep the terminal picture up until a key).
            let keepOpen = KeepOpenOutput(terminal)
            if isStill { terminal.status = "\(first.preset.title) — q to close" }
            _ = try live.run(outputs: [keepOpen], controls: controls, stop: stop) { stats, state in
                if !isStill { terminal.status = status.text(stats, state) }
            }
            if isStill && stop.state == .running && hotkeys.isActive {
                while stop.state == .running { Thread.sleep(forTimeInterval: 0.05) }
            }
        } catch {
            hotkeys.close()
            terminal.close()
            throw exitWithError(error)
        }
        hotkeys.close()
        terminal.close()
    }
}

/// Passes frames on but leaves closing to its owner (a still's preview stays up after the run).
private final class KeepOpenOutput: LiveOutput {
    let wrapped: LiveOutput
    init(_ wrapped: LiveOutput) { self.wrapped = wrapped }
    func write(_ frame: VideoFrame) throws(PipelineError) { try wrapped.write(frame) }
    func close() {}
}

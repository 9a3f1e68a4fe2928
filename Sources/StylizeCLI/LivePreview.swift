import ArgumentParser
import Foundation
import MediaIO
import Pipeline
import Terminal

extension PreviewMode: ExpressibleByArgument {}

/// `--preview-mode`, shared by every command that can show frames in the terminal.
struct PreviewModeOption: ParsableArguments {
    @Option(help: ArgumentHelp("How to draw in the terminal: kitty (graphics protocol), sixel, truecolor or ansi256 "
                               + "(half-blocks ▀). Default: detected from the terminal.", valueName: "mode"))
    var previewMode: PreviewMode?

    /// The mode asked for, else the one the environment says the terminal supports — for an
    /// xterm-like terminal, asked of the terminal itself (DA1 on `terminal`, the reply on stdin).
    func resolved(terminal: Int32) -> PreviewMode {
        previewMode ?? PreviewMode.detect(environment: ProcessInfo.processInfo.environment) {
            TerminalQuery.supportsSixel(input: STDIN_FILENO, output: terminal)
        }
    }
}

/// The terminal to draw on: stdout when it is one (`stylize preview`), else stderr
/// (`stylize camera --output - --preview`, where stdout carries the video).
func previewTerminal() -> Int32? {
    if isatty(STDOUT_FILENO) != 0 { return STDOUT_FILENO }
    if isatty(STDERR_FILENO) != 0 { return STDERR_FILENO }
    return nil
}

/// Shows each live frame in the terminal (never slowing the pipeline: the preview skips
/// frames the terminal cannot keep up with), with a status line under the picture.
final class TerminalPreviewOutput: LiveOutput {
    let preview: TerminalPreview
    private let converter = FrameConverter()
    /// Set by the status callback, drawn with the next frame.
    var status: String?
    /// Frames are converted no larger than this (the terminal shows far fewer pixels).
    private let maxWidth = 640

    init(mode: PreviewMode, descriptor: Int32) {
        preview = TerminalPreview(mode: mode, output: descriptor)
    }

    func write(_ frame: VideoFrame) throws(PipelineError) {
        let width = min(frame.width, maxWidth)
        let height = max(1, frame.height * width / frame.width)
        let rgb: [UInt8]
        do throws(MediaError) { rgb = try converter.packedRGB(from: frame, width: width, height: height) } catch {
            throw PipelineError(.output, "preview: \(error.message)")
        }
        preview.show(RGBImage(width: width, height: height, pixels: rgb), status: status)
    }

    func close() { preview.close() }
}

/// Hotkeys on a thread of their own, while stdin is a terminal: n/p style, +/- strength,
/// t temporal blending, space bypass, q quit.
final class HotkeyListener: @unchecked Sendable {
    private let reader = KeyReader()
    private let done = NSCondition()
    private var stopping = false
    private var finished = false

    var isActive: Bool { reader.isActive }

    init(controls: LiveControls, stop: StopSignal) {
        guard reader.isActive else { finished = true; return }
        let thread = Thread { [self] in
            while stop.state == .running && !isStopping {
                guard let key = reader.poll(timeout: 0.1) else { continue }
                switch key.character {
                case "n", "N": controls.nextStyle()
                case "p", "P": controls.previousStyle()
                case "+", "=": controls.strengthUp()
                case "-", "_": controls.strengthDown()
                case "t", "T": controls.toggleTemporal()
                case " ": controls.toggleBypass()
                case "q", "Q": stop.finish()
                default: break
                }
            }
            done.lock(); finished = true; done.broadcast(); done.unlock()
        }
        thread.name = "stylize.keys"
        thread.start()
    }

    private var isStopping: Bool { done.lock(); defer { done.unlock() }; return stopping }

    /// Stops listening and gives the terminal its settings back.
    func close() {
        done.lock()
        stopping = true
        while !finished { done.wait() }
        done.unlock()
        reader.restore()
    }
}

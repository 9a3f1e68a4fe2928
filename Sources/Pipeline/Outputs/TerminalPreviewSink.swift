import Foundation
import MediaIO
import Terminal

/// Shows each picture in the terminal (never slowing the pipeline: the preview skips frames
/// the terminal cannot keep up with), with a status line under it.
public final class TerminalPreviewSink: FrameSink, @unchecked Sendable {
    public let preview: TerminalPreview
    private let converter = FrameConverter()
    /// Drawn under the next picture; set from the pipeline's progress callback.
    public var status: String?
    /// When set, `close()` leaves the picture up (a still stays until the viewer quits).
    public var keepsPictureOnClose = false
    /// Frames are converted no larger than this (the terminal shows far fewer pixels).
    private let maxWidth = 640

    public init(mode: PreviewMode, descriptor: Int32) {
        preview = TerminalPreview(mode: mode, output: descriptor)
    }

    /// The terminal to draw on: stdout when it is one, else stderr (when stdout carries the
    /// video stream); nil when neither is a terminal.
    public static var terminalDescriptor: Int32? {
        if isatty(STDOUT_FILENO) != 0 { return STDOUT_FILENO }
        if isatty(STDERR_FILENO) != 0 { return STDERR_FILENO }
        return nil
    }

    /// `mode` when asked for, else what the environment says the terminal supports — for an
    /// xterm-like terminal, asked of the terminal itself (DA1 on `descriptor`, the reply on stdin).
    public static func resolvedMode(_ mode: PreviewMode?, descriptor: Int32) -> PreviewMode {
        mode ?? PreviewMode.detect(environment: ProcessInfo.processInfo.environment) {
            TerminalQuery.supportsSixel(input: STDIN_FILENO, output: descriptor)
        }
    }

    public func write(_ frame: VideoFrame) throws(PipelineError) {
        let width = min(frame.width, maxWidth)
        let height = max(1, frame.height * width / frame.width)
        let rgb: [UInt8]
        do throws(MediaError) { rgb = try converter.packedRGB(from: frame, width: width, height: height) } catch {
            throw PipelineError(.output, "preview: \(error.message)")
        }
        preview.show(RGBImage(width: width, height: height, pixels: rgb), status: status)
    }

    public func close() {
        if !keepsPictureOnClose { preview.close() }
    }

    /// Closes the preview for good (after `keepsPictureOnClose`).
    public func closePicture() { preview.close() }
}

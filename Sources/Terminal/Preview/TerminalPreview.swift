import Foundation
import Glibc

/// Shows frames in the terminal while the pipeline keeps running.
///
/// `show` only drops the frame into a one-frame slot (the newest replaces any
/// frame not yet drawn) and returns; one drawing thread encodes and writes.
/// A terminal slower than the video therefore skips frames instead of
/// slowing the pipeline down. Each frame is fitted to the terminal size read
/// at that moment, so resizes are picked up at the next frame.
///
/// The preview draws on the alternate screen with the cursor hidden; `close()`
/// (also wanted on SIGINT) returns to the normal screen and shows the cursor.
/// Anything else written to the same terminal meanwhile (a progress bar)
/// lands on the picture: pass such text as the frame's `status` instead.
///
/// A terminal or pipe that goes away ends drawing with `writeFailure` set;
/// the process must ignore SIGPIPE for that (otherwise the signal ends it first).
public final class TerminalPreview: @unchecked Sendable {
    public typealias SizeProvider = @Sendable () -> TerminalSize?

    public let mode: PreviewMode
    private let output: Int32
    private let sizeProvider: SizeProvider
    private let sixelEncoder = SixelEncoder()
    private static let kittyImageID: UInt32 = 0x5354   // "ST": any fixed id; frames replace each other

    // Shared with the drawing thread, guarded by `condition`.
    private let condition = NSCondition()
    private var pending: Frame?
    private var closing = false
    private var drawingFinished = false
    private var shownCount = 0
    private var drawnCount = 0
    private var failure: WriteFailure?

    // Drawing thread only (and `close` once that thread has finished).
    private var screenPrepared = false
    private var lastSize: TerminalSize?

    private struct Frame {
        var image: RGBImage
        var status: String?
    }

    /// `sizeProvider` defaults to asking the output terminal (TIOCGWINSZ);
    /// when it returns nil (not a terminal), 80×24 is assumed.
    public init(mode: PreviewMode, output fileDescriptor: Int32 = STDOUT_FILENO, sizeProvider: SizeProvider? = nil) {
        self.mode = mode
        self.output = fileDescriptor
        self.sizeProvider = sizeProvider ?? { TerminalSize.current(fileDescriptor: fileDescriptor) }
        let thread = Thread { [self] in drawLoop() }
        thread.name = "TerminalPreview"
        thread.start()
    }

    // The drawing thread holds the preview until `close()`: without it, no
    // deinit runs and the terminal stays on the alternate screen.

    /// Queues `image` to be drawn, replacing any frame still waiting. Never blocks on the terminal.
    public func show(_ image: RGBImage, status: String? = nil) {
        condition.lock()
        defer { condition.unlock() }
        guard !closing else { return }
        pending = Frame(image: image, status: status)
        shownCount += 1
        condition.signal()
    }

    /// Frames passed to `show` so far.
    public var framesShown: Int { condition.lock(); defer { condition.unlock() }; return shownCount }
    /// Frames actually written to the terminal.
    public var framesDrawn: Int { condition.lock(); defer { condition.unlock() }; return drawnCount }
    /// Set when writing failed (the terminal or pipe went away); drawing has stopped.
    public var writeFailure: WriteFailure? { condition.lock(); defer { condition.unlock() }; return failure }

    /// Draws the frame still waiting, if any, then restores the terminal.
    /// Blocks until done; safe to call more than once.
    public func close() {
        condition.lock()
        let alreadyClosing = closing
        closing = true
        condition.broadcast()
        while !drawingFinished { condition.wait() }
        condition.unlock()
        guard !alreadyClosing, screenPrepared else { return }
        var epilogue: [UInt8] = []
        if mode == .kitty { epilogue += KittyEncoder.delete(imageID: Self.kittyImageID) }
        epilogue.appendASCII("\u{1B}[0m\u{1B}[?1049l\u{1B}[?25h")
        _ = FileDescriptorWriter.writeAll(epilogue, to: output)
    }

    private func drawLoop() {
        while true {
            condition.lock()
            while pending == nil && !closing { condition.wait() }
            let frame = pending
            pending = nil
            let stopped = failure != nil
            condition.unlock()
            guard let frame else { break }   // closing, nothing left to draw
            if stopped { continue }
            let result = FileDescriptorWriter.writeAll(render(frame), to: output)
            condition.lock()
            switch result {
            case .success: drawnCount += 1
            case .failure(let reason): failure = reason
            }
            condition.unlock()
        }
        condition.lock()
        drawingFinished = true
        condition.broadcast()
        condition.unlock()
    }

    /// All bytes for one frame: screen preparation when needed, the image, the status line.
    private func render(_ frame: Frame) -> [UInt8] {
        let size = sizeProvider() ?? TerminalSize(columns: 80, rows: 24)
        let image = frame.image
        let cells = size.fit(imageWidth: image.width, imageHeight: image.height)
        var out: [UInt8] = []
        if !screenPrepared {
            out.appendASCII("\u{1B}[?1049h\u{1B}[?25l\u{1B}[2J")   // alternate screen, hide cursor, clear
            screenPrepared = true
        } else if size != lastSize {
            // The old frame may stick out past the new one, or be wrapped by the terminal: start clean.
            if mode == .kitty { out += KittyEncoder.delete(imageID: Self.kittyImageID) }
            out.appendASCII("\u{1B}[0m\u{1B}[2J")
        }
        lastSize = size
        guard cells.columns > 0, cells.rows > 0 else { return out }

        switch mode {
        case .truecolor, .ansi256:
            let fitted = image.resized(width: cells.columns, height: cells.rows * 2)
            out += HalfBlockEncoder.encode(fitted, colors: mode == .truecolor ? .truecolor : .ansi256)
        case .kitty:
            out += KittyEncoder.encode(pixelFitted(image, into: cells, of: size),
                                       columns: cells.columns, rows: cells.rows, imageID: Self.kittyImageID)
        case .sixel:
            out += sixelEncoder.encode(pixelFitted(image, into: cells, of: size))
        }

        if let status = frame.status {
            out.appendCursorPosition(row: min(size.rows, cells.rows + 1), column: 1)
            out.appendASCII("\u{1B}[0m\u{1B}[2K")
            out += Array(String(status.prefix(max(0, size.columns - 1))).utf8)
        }
        return out
    }

    /// The image at the pixel size of `cells` (never enlarged: the terminal
    /// scales kitty images itself, and a sixel larger than its cells would scroll).
    private func pixelFitted(_ image: RGBImage, into cells: CellRectangle, of size: TerminalSize) -> RGBImage {
        let cell = size.cellPixelSize
        let scale = min(1, Double(cells.columns) * cell.width / Double(image.width),
                        Double(cells.rows) * cell.height / Double(image.height))
        let width = max(1, Int(Double(image.width) * scale))
        let height = max(1, Int(Double(image.height) * scale))
        return image.resized(width: width, height: height)
    }
}

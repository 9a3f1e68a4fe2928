import Foundation

/// Progress on stderr: a redrawn bar with count, rate and ETA when stderr is
/// a terminal; otherwise (logs, CI) one plain line each `step` percent, so
/// logs stay readable.
public final class ProgressBar {
    public enum Style: Sendable { case bar, lines, silent }

    private let style: Style
    private let label: String
    private let step: Int
    private var lastPercentPrinted = -1
    private var drawn = false
    private let output: FileHandle
    private var lastDraw = 0.0

    public init(label: String, style: Style? = nil, step: Int = 10, output: FileHandle = .standardError) {
        self.label = label
        self.output = output
        self.step = max(1, step)
        self.style = style ?? (isatty(output.fileDescriptor) != 0 ? .bar : .lines)
    }

    /// `total` may be nil (the container didn't say); the bar then shows count and rate only.
    /// `note` follows the rate (an optimization's loss, say).
    public func update(done: Int, total: Int?, elapsed: Double, unit: String = "frames", rateUnit: String = "fps",
                       note: String? = nil) {
        let note = note.map { ", \($0)" } ?? ""
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        switch style {
        case .silent:
            return
        case .lines:
            guard let total, total > 0 else { return }
            let percent = min(100, done * 100 / total)
            guard percent / step > lastPercentPrinted / step || lastPercentPrinted < 0 else { return }
            lastPercentPrinted = percent
            write("\(label): \(percent)% (\(done)/\(total) \(unit), \(Self.format(rate: rate)) \(rateUnit)\(note))\n")
        case .bar:
            // Redraw at most 10 times a second (and always the last frame): terminals are slow.
            guard elapsed - lastDraw >= 0.1 || (total.map { done >= $0 } ?? false) else { return }
            lastDraw = elapsed
            let width = Self.terminalColumns(output.fileDescriptor)
            var tail = "\(done)"
            if let total { tail += "/\(total)" }
            tail += " \(unit)  \(Self.format(rate: rate)) \(rateUnit)\(note)"
            if let total, rate > 0, done < total {
                tail += "  ETA \(Self.format(duration: Double(total - done) / rate))"
            }
            var line = "\(label) "
            if let total, total > 0 {
                let barWidth = max(10, min(40, width - line.count - tail.count - 4))
                let filled = min(barWidth, barWidth * done / total)
                line += "[" + String(repeating: "█", count: filled) + String(repeating: "·", count: barWidth - filled) + "] "
            }
            line += tail
            write("\r" + String(line.prefix(max(1, width - 1))) + "\u{1B}[K")
            drawn = true
        }
    }

    /// Ends the bar's line so the next message starts clean.
    public func finish() {
        if drawn { write("\n"); drawn = false }
    }

    private func write(_ text: String) { output.write(Data(text.utf8)) }

    static func terminalColumns(_ fd: Int32) -> Int {
        var size = winsize()
        if ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }

    public static func format(rate: Double) -> String {
        rate >= 10 ? String(format: "%.0f", rate) : String(format: "%.1f", rate)
    }

    public static func format(duration seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    public static func format(bytes: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(bytes), unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}

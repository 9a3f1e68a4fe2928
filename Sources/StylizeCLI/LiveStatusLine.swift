import Foundation
import Pipeline
import Terminal

/// The live mode's one-line status on stderr (redrawn in place, 4 times a second, only
/// when stderr is a terminal): style, fps, latency, drops and the hotkey state.
final class LiveStatusLine {
    private let enabled: Bool
    private let styles: [String]
    private var lastDraw = 0.0
    private var drawn = false

    init(enabled: Bool, styles: [String]) {
        self.enabled = enabled && isatty(STDERR_FILENO) != 0
        self.styles = styles
    }

    func update(_ stats: LiveStats, _ state: Look) {
        guard enabled else { return }
        let now = monotonicSeconds()
        guard now - lastDraw >= 0.25 else { return }
        lastDraw = now
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + text(stats, state)).utf8))
        drawn = true
    }

    func text(_ stats: LiveStats, _ state: Look) -> String {
        let look = state.bypass ? "bypass" : "\(styles[state.style]) \(Int((state.strength * 100).rounded()))%"
        return "\(look) · \(String(format: "%.1f", stats.currentFPS)) fps · latency \(Int((stats.lastLatency * 1000).rounded())) ms"
            + " · dropped \(stats.dropped) · temporal \(state.temporal ? "on" : "off")"
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
        drawn = false
    }

    /// The closing line: frames, drops, rate and latency.
    func summary(_ summary: LiveSummary) -> String {
        let s = summary.stats
        return "\(s.framesOut) frames out of \(s.framesIn) captured (\(s.dropped) dropped) in "
            + "\(ProgressBar.format(duration: summary.elapsed)); \(String(format: "%.1f", s.meanFPS)) fps; "
            + "latency p50 \(Int((s.latency(percentile: 0.5) * 1000).rounded())) ms, "
            + "p95 \(Int((s.latency(percentile: 0.95) * 1000).rounded())) ms"
    }
}

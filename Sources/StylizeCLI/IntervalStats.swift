import ArgumentParser
import Foundation
import Pipeline

/// `--stats-every SECONDS`, shared by `video` and `camera`.
struct StatsEveryOption: ParsableArguments {
    @Option(help: ArgumentHelp("Every this many seconds, print a line of figures for the last interval on stderr (frames and fps; live: also drops and latency p50/p95), for monitoring long runs.", valueName: "seconds"))
    var statsEvery: Double?

    func validate() throws {
        if let statsEvery, !(statsEvery > 0) { throw ValidationError("--stats-every needs a number of seconds above 0") }
    }

    func make() -> IntervalStats? { statsEvery.map { IntervalStats(every: $0) } }
}

/// One machine-readable line per interval on stderr, the figures of that interval only (a long
/// run's drift shows; the final summary has the totals):
/// `Stats: t=… frames=… fps=…`, and for the live path ` dropped=… p50-ms=… p95-ms=…` after `frames`.
final class IntervalStats {
    private let every: Double
    private let start = monotonicSeconds()
    private var lastTime: Double
    private var lastFrames = 0
    private var lastLive: LiveStats?

    init(every: Double) {
        self.every = every
        lastTime = start
    }

    /// The live path: frames shown, drops and latency in the interval.
    func update(_ stats: LiveStats) {
        guard let now = due() else { return }   // the percentiles scan the histogram: once an interval, not every frame
        let p50 = stats.latency(percentile: 0.5, since: lastLive) * 1000, p95 = stats.latency(percentile: 0.95, since: lastLive) * 1000
        emit(now, frames: stats.framesOut, extra: String(format: " dropped=%d", stats.dropped - (lastLive?.dropped ?? 0)),
             tail: String(format: " p50-ms=%.1f p95-ms=%.1f", p50, p95))
        lastLive = stats
    }

    /// The file path: frames written in the interval.
    func update(framesDone: Int) {
        guard let now = due() else { return }
        emit(now, frames: framesDone, extra: "", tail: "")
    }

    private func due() -> Double? {
        let now = monotonicSeconds()
        return now - lastTime >= every ? now : nil
    }

    private func emit(_ now: Double, frames total: Int, extra: String, tail: String) {
        let frames = total - lastFrames
        printToStderr(String(format: "Stats: t=%.1f frames=%d", now - start, frames) + extra
                      + String(format: " fps=%.2f", Double(frames) / (now - lastTime)) + tail)
        lastFrames = total
        lastTime = now
    }
}

/// Frame rate and capture-to-output latency of a live run: a rolling view for the status
/// line and the totals for the summary. Used from the output thread only.
public struct LiveStats: Sendable {
    public private(set) var framesIn = 0
    public private(set) var framesOut = 0
    /// Frames never shown: skipped by the source or refused because the workers were busy.
    public private(set) var dropped = 0
    /// Latencies counted in 1 ms bins (the last one takes everything from 10 s up): percentiles
    /// to the millisecond in fixed memory, however long the camera runs.
    private var latencyBins = [Int32](repeating: 0, count: LiveStats.latencyBinCount)
    private static let latencyBinCount = 10_000
    private var latestLatency = 0.0
    private var recentOutputs: [Double] = []   // output times within the last second
    private var firstOutput: Double?
    private var lastOutput: Double?

    public init() {}

    /// The capture side's running totals: frames the source produced, skipped and refused.
    mutating func record(capturedFrames: Int, skipped: Int, refused: Int) {
        framesIn = capturedFrames
        dropped = skipped + refused
    }

    mutating func output(captured: Double, at now: Double) {
        framesOut += 1
        latestLatency = now - captured
        let bin = Int((max(latestLatency, 0) * 1000).rounded(.down))
        latencyBins[min(bin, Self.latencyBinCount - 1)] += 1
        if firstOutput == nil { firstOutput = now }
        lastOutput = now
        recentOutputs.append(now)
        while let first = recentOutputs.first, now - first > 1 { recentOutputs.removeFirst() }
    }

    /// Frames out per second over the last second.
    public var currentFPS: Double {
        guard let first = recentOutputs.first, let last = recentOutputs.last, last > first else { return 0 }
        return Double(recentOutputs.count - 1) / (last - first)
    }

    /// Frames out per second from the first output to the last.
    public var meanFPS: Double {
        guard let first = firstOutput, let last = lastOutput, last > first, framesOut > 1 else { return 0 }
        return Double(framesOut - 1) / (last - first)
    }

    /// Latency (seconds) below which `fraction` of the frames came out, e.g. 0.5, 0.95, to the
    /// millisecond (the middle of its 1 ms bin).
    public func latency(percentile fraction: Double) -> Double {
        latency(percentile: fraction, since: nil)
    }

    /// The same over the frames that came out after `earlier` (an earlier copy of these stats):
    /// a window's percentile, for watching a long run drift.
    public func latency(percentile fraction: Double, since earlier: LiveStats?) -> Double {
        let frames = framesOut - (earlier?.framesOut ?? 0)
        guard frames > 0 else { return 0 }
        let rank = min(frames, max(1, Int((fraction * Double(frames)).rounded(.up))))
        var seen = 0
        for (bin, count) in latencyBins.enumerated() {
            seen += Int(count) - Int(earlier?.latencyBins[bin] ?? 0)
            if seen >= rank { return (Double(bin) + 0.5) / 1000 }
        }
        return Double(Self.latencyBinCount) / 1000
    }

    /// The latest frame's latency.
    public var lastLatency: Double { latestLatency }
}

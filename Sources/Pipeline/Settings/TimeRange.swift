/// A part of a video by time, in seconds from its start: from `start` up to, not including, `end`
/// (nil: to the end).
public struct TimeRange: Sendable, Equatable {
    public var start: Double
    public var end: Double?

    public init(start: Double = 0, end: Double? = nil) {
        self.start = start
        self.end = end
    }

    func validate() throws(PipelineError) {
        guard start.isFinite, start >= 0 else { throw PipelineError.invalid(.rangeStart, "must be a time from 0 on (got \(start))") }
        if let end, !(end.isFinite && end > start) {
            throw PipelineError.invalid(.rangeEnd, "must be later than the start (\(Self.format(start)) s; got \(end))")
        }
    }

    /// "12.5", "0.033367": seconds as plans and messages write them (µs, trailing zeros dropped).
    public static func format(_ seconds: Double) -> String {
        var text = String(format: "%.6f", seconds)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}

extension TimeRange {
    /// Seconds from "90", "1:30", "0:01:30.5"; nil when the text is none of these.
    public static func seconds(parsing text: String) -> Double? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count) else { return nil }
        var total = 0.0
        for (index, part) in parts.enumerated() {
            let last = index == parts.count - 1
            guard !part.isEmpty, part.allSatisfy({ $0.isNumber || (last && $0 == ".") }), let value = Double(part) else { return nil }
            if index > 0 && value >= 60 { return nil }
            total = total * 60 + value
        }
        return total.isFinite ? total : nil
    }
}

import Foundation

/// A video cut by time into segments that can be painted on different machines and joined without
/// a seam: each starts on a keyframe (so it can be decoded on its own and copied back without
/// re-encoding), at a scene cut where one is near (the temporal blending restarts there anyway),
/// and is painted with warm-up frames before it elsewhere. Written and read as JSON.
public struct SegmentPlan: Codable, Sendable, Equatable {
    public struct Segment: Codable, Sendable, Equatable {
        public var index: Int
        /// Seconds from the input's start: the first frame's time (a keyframe's), and the next
        /// segment's start (nil for the last one: to the end).
        public var from: Double
        public var to: Double?
        /// Its frames, and the index of its first one in the whole video.
        public var frames: Int
        public var firstFrame: Int
        /// What is at its start: "start", "scene cut" or "keyframe".
        public var seam: String
        /// Frames to paint before `from`: 0 at the start and at a scene cut; nil: the video job's
        /// default (enough for the temporal history to settle).
        public var warmUp: Int?
        /// The painted segment's file, relative to the plan's folder.
        public var output: String
        /// CPU threads a machine should give it.
        public var cpus: Int

        public init(index: Int, from: Double, to: Double?, frames: Int, firstFrame: Int, seam: String, warmUp: Int?,
                    output: String, cpus: Int) {
            (self.index, self.from, self.to, self.frames, self.firstFrame) = (index, from, to, frames, firstFrame)
            (self.seam, self.warmUp, self.output, self.cpus) = (seam, warmUp, output, cpus)
        }
    }

    public static let formatName = "stylize-plan/1"
    public var format = SegmentPlan.formatName
    /// The input as given to `plan`, and its size in bytes (the join checks it is the same file).
    public var input: String
    public var inputBytes: Int64
    public var frames: Int
    /// Seconds, up to the end of the last frame.
    public var duration: Double
    public var segments: [Segment]

    public init(input: String, inputBytes: Int64, frames: Int, duration: Double, segments: [Segment]) {
        (self.input, self.inputBytes, self.frames, self.duration, self.segments) = (input, inputBytes, frames, duration, segments)
    }

    /// The plan's JSON, keys sorted, one segment per line (diffs and logs stay readable).
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    /// Reads and checks a plan file: every field present and consistent, or one line naming what is wrong.
    public static func read(path: String) throws(PipelineError) -> SegmentPlan {
        let name = (path as NSString).lastPathComponent
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PipelineError(.input, "\(path): no such plan file")
        }
        guard data.count <= 16 << 20 else { throw PipelineError(.input, "\(name): too large for a plan (\(data.count) bytes)") }
        let plan: SegmentPlan
        do { plan = try JSONDecoder().decode(SegmentPlan.self, from: data) } catch {
            throw PipelineError(.input, "\(name): not a segment plan (\(Self.describe(error)))")
        }
        try plan.check(name: name)
        return plan
    }

    func check(name: String) throws(PipelineError) {
        func bad(_ why: String) -> PipelineError { PipelineError(.input, "\(name): \(why)") }
        guard format == Self.formatName else { throw bad("format \"\(format)\", expected \"\(Self.formatName)\"") }
        guard !segments.isEmpty, segments.count <= 100_000 else { throw bad("\(segments.count) segments") }
        var nextFrame = 0
        for (k, segment) in segments.enumerated() {
            guard segment.index == k else { throw bad("segment \(k) says it is segment \(segment.index)") }
            guard segment.frames >= 1, segment.firstFrame == nextFrame else { throw bad("segment \(k)'s frames do not follow segment \(k - 1)'s") }
            guard segment.from.isFinite, segment.from >= 0, k == 0 || segment.from > segments[k - 1].from else {
                throw bad("segment \(k) does not start after segment \(k - 1)")
            }
            let isLast = k == segments.count - 1
            guard isLast ? segment.to == nil : segment.to == segments[k + 1].from else {
                throw bad("segment \(k) does not end where segment \(k + 1) starts")
            }
            guard !segment.output.isEmpty, !segment.output.hasPrefix("/"), !segment.output.split(separator: "/").contains("..") else {
                throw bad("segment \(k)'s output \"\(segment.output)\" must be a path inside the plan's folder")
            }
            if let warmUp = segment.warmUp, warmUp < 0 { throw bad("segment \(k) has \(warmUp) warm-up frames") }
            guard segment.cpus >= 1 else { throw bad("segment \(k) asks for \(segment.cpus) CPUs") }
            nextFrame += segment.frames
        }
        guard nextFrame == frames else { throw bad("the segments have \(nextFrame) frames, the plan says \(frames)") }
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "\"\(key.stringValue)\" is missing"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "\(context.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type"
        case DecodingError.dataCorrupted: "not valid JSON"
        default: "\(error)"
        }
    }
}

import Foundation
import MediaIO

/// How to cut a video into segments.
public struct SegmentPlanOptions: Sendable {
    /// How many segments (at most: a short video or one with few keyframes gets fewer)…
    public var segments: Int?
    /// …or about how long each is, in seconds.
    public var segmentSeconds: Double?
    /// CPU threads each segment asks a machine for.
    public var cpus = 2
    /// Look for scene cuts near each boundary (decodes a group of pictures per candidate).
    public var sceneCuts = true

    public init(segments: Int? = nil, segmentSeconds: Double? = nil) {
        self.segments = segments
        self.segmentSeconds = segmentSeconds
    }

    func validate() throws(PipelineError) {
        guard (segments == nil) != (segmentSeconds == nil) else {
            throw PipelineError(.options, "give either a number of segments or a segment length")
        }
        if let segments { try PipelineError.Setting.segments.check(segments, atLeast: 1) }
        if let segmentSeconds, !(segmentSeconds.isFinite && segmentSeconds > 0) {
            throw PipelineError.invalid(.segmentSeconds, "must be a number of seconds above 0")
        }
        try PipelineError.Setting.threads.check(cpus, atLeast: 1)
    }
}

/// Makes a `SegmentPlan` from the video's packets (read, not decoded) and, near each boundary,
/// a scene-cut test on the decoded keyframe and the picture before it.
public enum SegmentPlanner {
    /// Keyframes within this share of a segment's length from an even split are candidates.
    static let window = 0.25
    /// At most this many candidates per boundary get the (decoding) scene-cut test, nearest first.
    static let cutCandidates = 6

    public static func plan(inputPath: String, options: SegmentPlanOptions) throws(PipelineError) -> SegmentPlan {
        try options.validate()
        let reader: MediaReader
        do throws(MediaError) { reader = try MediaReader(path: inputPath) } catch { throw PipelineError(error) }
        guard inputPath != "-" else { throw PipelineError(.input, "standard input: a plan needs a file (give its name)") }
        let name = (inputPath as NSString).lastPathComponent
        let info = reader.info.video
        let tb = info.timeBase.doubleValue
        let frameTicks = Int64((1 / (info.frameRate?.doubleValue ?? 25) / tb).rounded())

        // Every frame's time and whether it is a keyframe, in presentation order.
        var frames: [(pts: Int64, key: Bool)] = []
        var end: Int64 = 0
        do throws(MediaError) {
            while let packet = try reader.nextPacket(.video) {
                guard let pts = packet.pts ?? packet.dts else {
                    throw MediaError(.inputUnreadable, "\(name): its video has frames without timestamps; remux it first "
                                     + "(ffmpeg -i IN -c copy OUT.mkv)")
                }
                frames.append((pts, packet.isKeyframe))
                end = max(end, pts + (packet.duration > 0 ? packet.duration : frameTicks))
            }
        } catch { throw PipelineError(error) }
        frames.sort { $0.pts < $1.pts }
        guard let first = frames.first else { throw PipelineError(.input, "\(name): no video frame to plan") }

        let total = Double(end - first.pts) * tb
        let wanted = options.segments ?? max(1, Int((total / options.segmentSeconds!).rounded()))
        let keyframes = frames.indices.filter { frames[$0].key && $0 > 0 }
        let probe = options.sceneCuts ? SceneCutProbe(path: inputPath, size: (info.width, info.height)) : nil

        // Boundaries: frame indices where segments 1… start, increasing.
        var boundaries: [(frame: Int, cut: Bool)] = []
        let length = total / Double(wanted)
        for k in 1..<max(wanted, 1) {
            let target = Double(first.pts) * tb + Double(k) * length
            let after = boundaries.last?.frame ?? 0
            let usable = keyframes.filter { $0 > after }
            guard !usable.isEmpty else { break }
            let byDistance = usable.sorted { abs(Double(frames[$0].pts) * tb - target) < abs(Double(frames[$1].pts) * tb - target) }
            var chosen = (frame: byDistance[0], cut: false)
            if let probe {
                let near = byDistance.prefix(cutCandidates).filter { abs(Double(frames[$0].pts) * tb - target) <= window * length }
                for candidate in near where try probe.isCut(at: frames[candidate].pts, previous: frames[candidate - 1].pts) {
                    chosen = (candidate, true)
                    break
                }
            }
            boundaries.append(chosen)
        }
        // Fewer keyframes than segments can pick one boundary twice: keep each once, in order.
        var starts: [(frame: Int, cut: Bool)] = [(0, false)]
        for boundary in boundaries.sorted(by: { $0.frame < $1.frame }) where boundary.frame > starts.last!.frame {
            starts.append(boundary)
        }

        let bytes = fileSize(atPath: inputPath) ?? 0
        var segments: [SegmentPlan.Segment] = []
        for (k, start) in starts.enumerated() {
            let next = k + 1 < starts.count ? starts[k + 1].frame : frames.count
            segments.append(SegmentPlan.Segment(
                index: k, from: Double(frames[start.frame].pts) * tb, to: k + 1 < starts.count ? Double(frames[next].pts) * tb : nil,
                frames: next - start.frame, firstFrame: start.frame,
                seam: k == 0 ? "start" : start.cut ? "scene cut" : "keyframe", warmUp: k == 0 || start.cut ? 0 : nil,
                output: String(format: "segment-%03d.mp4", k), cpus: options.cpus))
        }
        return SegmentPlan(input: URL(fileURLWithPath: inputPath).standardizedFileURL.path, inputBytes: bytes, frames: frames.count, duration: total, segments: segments)
    }
}

/// Whether a keyframe starts a new scene: the temporal blending's own cut test (`TemporalLink.isCut`)
/// between it and the picture before it, at a small size.
private final class SceneCutProbe {
    private let path: String
    private let size: NetworkSize
    private let settings: TemporalSettings
    private var reader: MediaReader?

    init(path: String, size: (width: Int, height: Int)) {
        self.path = path
        self.size = NetworkSize(fitting: size.width, size.height, maxSize: 192)
        settings = TemporalSettings(frameWidth: self.size.width, height: self.size.height)
    }

    func isCut(at pts: Int64, previous previousPTS: Int64) throws(PipelineError) -> Bool {
        do throws(MediaError) {
            if reader == nil { reader = try MediaReader(path: path) }
            let reader = reader!
            // Just before the picture before it: decoding starts at the keyframe before that.
            try reader.seek(toSeconds: Double(previousPTS) * reader.info.video.timeBase.doubleValue * (1 - 1e-9) - 1e-6)
            var before: VideoFrame?
            while let frame = try reader.nextVideoFrame() {
                if frame.pts >= pts {
                    guard frame.pts == pts, let before else { return false }
                    let preparer = FramePreparer(size: size, flow: settings.flow)
                    guard let a = try preparer.prepare(before).motion, let b = try preparer.prepare(frame).motion else { return false }
                    return Temporal.link(previous: a, current: b, settings: settings).isCut
                }
                before = frame
            }
            return false
        } catch { throw PipelineError(error) }
    }
}

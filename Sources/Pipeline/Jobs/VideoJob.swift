import Foundation
import MediaIO
import PresetCatalog
import StyleEngine

/// What to do with one video file. Defaults are what a user gets without flags.
public struct VideoJobOptions: Sendable {
    /// A file, or "-" for standard input.
    public var inputPath: String
    /// A file, or "-" for standard output (written in `streamFormat`).
    public var outputPath: String
    /// The container written to standard output: mkv (default), webm, nut or ts (`OutputFile.streamableFormats`).
    public var streamFormat = "mkv"
    /// How frames are painted.
    public var painter: Painter
    /// Longer side, in pixels, of what the network sees. The output keeps the input's size.
    public var maxSize = VideoJobOptions.defaultMaxSize
    public var encoder = EncoderSettings()
    /// CPU threads for stylizing, split into workers × threads per worker by `ThreadPlan`.
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Overrides the automatic split when set.
    public var workers: Int?
    public var overwrite = false
    /// Temporal blending: carry the previous output along the input's motion so strokes
    /// stay put instead of flickering (see `TemporalSettings`). Off = every frame on its own.
    public var temporal = true
    /// 0…1: how much of the carried previous output each frame keeps where the motion is trusted.
    public var stability: Float = TemporalSettings.defaultStability
    /// Frames after each one that also steady it (`TemporalSettings.lookahead`); 0: only those before.
    public var lookahead = 0
    /// Only this part of the input (`--from`/`--to`); the output starts at zero.
    public var range: TimeRange?
    /// Frames painted before the range starts so that the temporal history is steady at its first
    /// frame, not written. nil: enough for the history to settle (`TemporalSettings.warmUpFrames`)
    /// when blending, none otherwise.
    public var warmUpFrames: Int?
    /// Bytes the job may take for its pictures (`VideoMemory`); a larger input is refused before
    /// any work. Default: this machine's memory.
    public var memoryLimit = StyleSession.physicalMemory

    /// 960 keeps 1080p practical (the network costs ~150 k multiply-adds per pixel)
    /// and keeps brush strokes the same size whatever the input resolution.
    public static let defaultMaxSize = 960

    public enum Painter: Sendable {
        /// A trained network, frames in parallel, the temporal blend on its results.
        case network(StyleSettings)
        /// Every frame optimized toward pictures, in order (Ruder et al.): minutes per second of video.
        case optimization(PaintingSettings, FrameOptimizer.Settings)
    }

    public init(inputPath: String, outputPath: String, painter: Painter) {
        self.inputPath = inputPath
        self.outputPath = outputPath
        self.painter = painter
    }

    public init(inputPath: String, outputPath: String, style: StyleSettings) {
        self.init(inputPath: inputPath, outputPath: outputPath, painter: .network(style))
    }

    /// The network's look; nil when frames are optimized.
    public var style: StyleSettings? {
        if case .network(let style) = painter { return style }
        return nil
    }

    /// `clip.mov` + style `sketch` → `clip-sketch.mp4` in the current folder (or the input's
    /// container when it is one the encoder writes natively).
    public static func defaultOutput(for input: String, style: String) -> String {
        if input == "-" { return "stdin-\(style).mp4" }
        let url = URL(fileURLWithPath: input)
        let ext = ["mp4", "mkv", "mov", "webm"].contains(url.pathExtension.lowercased()) ? url.pathExtension : "mp4"
        return url.deletingPathExtension().lastPathComponent + "-" + style + "." + ext
    }

    /// Whether frames are linked by optical flow: blended (a network's, with some stability), or
    /// held to the previous result (an optimization's temporal term).
    public var linksFrames: Bool {
        switch painter {
        case .network: return temporal && stability > 0
        case .optimization(_, let frames): return temporal && frames.temporalWeight > 0
        }
    }

    /// The warm-up frames this job paints before its range (none by default for an optimization:
    /// each would cost as much as a frame written).
    var chosenWarmUpFrames: Int {
        guard let range, range.start > 0 else { return 0 }
        if case .optimization = painter { return warmUpFrames ?? 0 }
        return warmUpFrames ?? (linksFrames ? TemporalSettings.warmUpFrames(stability: stability) : 0)
    }

    /// The frames this job paints after its range, for the frames before its end to look ahead to
    /// (so that a film painted in segments has no seam of lookahead where they join).
    var chosenCoolDownFrames: Int { range?.end == nil ? 0 : chosenLookahead }

    /// The lookahead of a network's blend (an optimization holds frames together itself).
    var chosenLookahead: Int {
        guard case .network = painter, linksFrames else { return 0 }
        return lookahead
    }

    /// Every value checked once, before any work.
    func validate() throws(PipelineError) {
        switch painter {
        case .network(let style): try style.validate()
        case .optimization(let painting, let frames): try painting.validate(); try frames.validate()
        }
        try PipelineError.Setting.stability.check(stability, in: 0...1)
        try PipelineError.Setting.lookahead.check(lookahead, in: 0...TemporalSettings.maxLookahead)
        try PipelineError.Setting.maxSize.check(maxSize, atLeast: 16, unit: " pixels")
        try PipelineError.Setting.quality.check(encoder.crf, in: 0...51)
        try PipelineError.Setting.threads.check(threads, atLeast: 1)
        if let workers { try PipelineError.Setting.workers.check(workers, atLeast: 1) }
        try range?.validate()
        if let warmUpFrames { try PipelineError.Setting.warmUp.check(warmUpFrames, atLeast: 0) }
    }
}

public struct VideoJobProgress: Sendable {
    public let framesDone: Int
    /// From the container; nil when it doesn't say.
    public let framesTotal: Int?
    public let elapsed: Double
    public let outputBytes: Int64
}

public struct VideoJobSummary: Sendable {
    public let framesWritten: Int
    public let framesExpected: Int?
    public let concealedFrames: Int
    /// Set when the input stopped on a read error (a truncated or damaged file)
    /// rather than at its end: everything before that point was written.
    public let inputEndedEarly: String?
    public let elapsed: Double
    public let outputBytes: Int64
    public let outputPath: String
    /// True when a stop request ended the job early with a valid, shorter file.
    public let interrupted: Bool
    public let networkSize: NetworkSize
    public let threads: ThreadPlan
    /// The input's picture size and the output's: one row or column less where H.264 4:2:0
    /// needed an even side (`EncoderSettings.keepOddSize`).
    public let inputSize: PictureSize
    public let outputSize: PictureSize
    /// With temporal blending: frames that started a fresh history (the first one and
    /// every scene cut detected); nil when temporal blending was off.
    public var temporalResets: Int? = nil

    public var framesPerSecond: Double { elapsed > 0 ? Double(framesWritten) / elapsed : 0 }

    /// One machine-readable line of the figures (benchmarks read it).
    public var statsLine: String {
        "Stats: frames=\(framesWritten) elapsed=\(String(format: "%.3f", elapsed)) fps=\(String(format: "%.3f", framesPerSecond))"
            + " concealed=\(concealedFrames)" + (temporalResets.map { " temporal-resets=\($0)" } ?? " temporal=off")
    }
}

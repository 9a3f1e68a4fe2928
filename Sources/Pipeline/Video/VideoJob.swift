import Foundation
import MediaIO
import PresetCatalog
import StyleEngine

/// What to do with one video file. Defaults are what a user gets without flags.
public struct VideoJobOptions: Sendable {
    public var inputPath: String
    public var outputPath: String
    public var style: StyleSettings
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

    /// 960 keeps 1080p practical (the network costs ~150 k multiply-adds per pixel)
    /// and keeps brush strokes the same size whatever the input resolution.
    public static let defaultMaxSize = 960

    public init(inputPath: String, outputPath: String, preset: Preset) {
        self.inputPath = inputPath
        self.outputPath = outputPath
        self.style = StyleSettings(preset: preset)
    }
}

/// How the CPU threads are shared between frame-level workers (each with its
/// own network session) and threads inside one frame (a session splitting its
/// convolutions). One worker per thread wins for throughput — frames share
/// nothing — so that is the default; fewer workers with more threads each
/// lower the latency of a single frame (see Benchmarks/pipeline.sh).
public struct ThreadPlan: Sendable, Equatable, CustomStringConvertible {
    public let workers: Int
    public let threadsPerWorker: Int

    public init(threads: Int, workers: Int? = nil) {
        let total = max(1, threads)
        let w = max(1, min(workers ?? total, total))
        self.workers = w
        self.threadsPerWorker = max(1, total / w)
    }

    public var description: String {
        "\(workers) worker\(workers == 1 ? "" : "s") × \(threadsPerWorker) thread\(threadsPerWorker == 1 ? "" : "s")"
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
    /// With temporal blending: frames that started a fresh history (the first one and
    /// every scene cut detected); nil when temporal blending was off.
    public var temporalResets: Int? = nil

    public var framesPerSecond: Double { elapsed > 0 ? Double(framesWritten) / elapsed : 0 }
}

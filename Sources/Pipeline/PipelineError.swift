import MediaIO
import PresetCatalog
import StyleEngine

/// Every way a job can fail, as one printable line. Front ends print `description`
/// (or, when `setting` names the value that was refused, their own name for it with
/// `requirement`) and exit non-zero; callers that embed the library can switch on `stage`.
public struct PipelineError: Error, CustomStringConvertible, Equatable {
    public enum Stage: Sendable, Equatable { case input, output, style, engine, encode, aborted, options }

    /// A value the caller chose: options errors name one, so a front end can name its own flag.
    public enum Setting: String, Sendable, CaseIterable {
        case stability, maxSize = "longest painted side", strength, threads, workers, quality = "encoder quality"
        case frameRate = "frame rate", pictureSize = "picture size", frameLimit = "frame limit"
        case rangeStart = "start of the time range", rangeEnd = "end of the time range", warmUp = "warm-up frames"
        case lookahead = "lookahead"
        case segments = "number of segments", segmentSeconds = "segment length", trainingSteps = "training steps"
        case iterations, styleWeight = "style weight", contentWeight = "content weight", styleScale = "style scale"
        case styleMix = "style mix", temporalWeight = "temporal weight", precision = "arithmetic precision"
        /// An existing output is only replaced when the caller allows it.
        case overwrite
        /// Where a live feed goes (no virtual camera: a stream on standard output is the alternative).
        case destination
    }

    public let stage: Stage
    public let message: String
    public let setting: Setting?
    /// With `setting`: what the value must be, e.g. "must be between 0 and 1 (got 2.0)".
    public let requirement: String?
    public var description: String { message }

    public init(_ stage: Stage, _ message: String, setting: Setting? = nil) {
        self.stage = stage
        self.message = message
        self.setting = setting
        requirement = nil
    }

    /// A refused value: "stability must be between 0 and 1 (got 2.0)".
    public static func invalid(_ setting: Setting, _ requirement: String) -> PipelineError {
        PipelineError(setting: setting, requirement: requirement)
    }

    private init(setting: Setting, requirement: String) {
        stage = .options
        self.setting = setting
        self.requirement = requirement
        message = "\(setting.rawValue) \(requirement)"
    }

    init(_ error: MediaError) {
        switch error.kind {
        case .inputNotFound, .inputUnreadable, .notMedia, .noVideoStream, .unsupportedCodec:
            self.init(.input, error.message)
        case .outputUnwritable, .diskFull:
            self.init(.output, error.message)
        case .encoderFailed, .muxFailed, .invalidArgument, .internalFailure:
            self.init(.encode, error.message)
        }
    }

    init(_ error: EngineError) { self.init(.engine, error.message) }
    init(_ error: PresetError) { self.init(.style, error.message) }
}

extension PipelineError.Setting {
    /// Checks `value` is in `range`; the error names the setting and what was given.
    func check<T: Comparable>(_ value: T, in range: ClosedRange<T>) throws(PipelineError) {
        guard range.contains(value) else { throw PipelineError.invalid(self, "must be between \(range.lowerBound) and \(range.upperBound) (got \(value))") }
    }

    func check<T: Comparable>(_ value: T, atLeast minimum: T, unit: String = "") throws(PipelineError) {
        guard value >= minimum else { throw PipelineError.invalid(self, "must be at least \(minimum)\(unit) (got \(value))") }
    }

    /// Also refuses NaN and infinities.
    func check<T: BinaryFloatingPoint>(_ value: T, in range: ClosedRange<T>) throws(PipelineError) {
        guard value.isFinite, range.contains(value) else {
            throw PipelineError.invalid(self, "must be between \(range.lowerBound.formatted) and \(range.upperBound.formatted) (got \(value.formatted))")
        }
    }
}

private extension BinaryFloatingPoint {
    /// 0 and 1 rather than 0.0 and 1.0.
    var formatted: String { isFinite && self == rounded() ? String(Int(self)) : "\(Double(self))" }
}

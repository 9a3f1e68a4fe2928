import MediaIO
import PresetCatalog
import StyleEngine

/// Every way a job can fail, as one printable line. The CLI prints
/// `description` and exits non-zero; callers that embed the library can
/// switch on `stage`.
public struct PipelineError: Error, CustomStringConvertible, Equatable {
    public enum Stage: Sendable, Equatable { case input, output, style, engine, encode, aborted, options }
    public let stage: Stage
    public let message: String
    public var description: String { message }

    public init(_ stage: Stage, _ message: String) {
        self.stage = stage
        self.message = message
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

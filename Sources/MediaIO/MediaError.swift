import CFFmpeg
import Foundation

/// What went wrong, as one human line (`message`) plus a kind the caller can branch on.
public struct MediaError: Error, CustomStringConvertible, Equatable {
    public enum Kind: Sendable {
        case inputNotFound, inputUnreadable, notMedia, noVideoStream, unsupportedCodec
        case outputUnwritable, diskFull, encoderFailed, muxFailed, invalidArgument, internalFailure
    }

    public let kind: Kind
    /// One line naming the file, e.g. "input.mp4: not a media file FFmpeg can read".
    public let message: String
    public var description: String { message }

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}

extension MediaError {
    /// An error while reading `path`. Errors that only say "this failed" take `fallback` as their kind.
    static func reading(_ path: String, _ error: FFError, fallback: Kind = .inputUnreadable) -> MediaError {
        switch FFCode.errno(error.code) {
        case ENOENT?: return MediaError(.inputNotFound, "\(path): file not found")
        case EACCES?, EPERM?: return MediaError(.inputUnreadable, "\(path): permission denied")
        case EISDIR?: return MediaError(.inputUnreadable, "\(path): is a folder, not a file")
        case ENOMEM?: return MediaError(.internalFailure, "\(path): out of memory")
        default: break
        }
        if error.code == FFCode.invalidData || error.code == FFCode.eof {
            return MediaError(.notMedia, "\(path): not a media file FFmpeg can read")
        }
        return MediaError(fallback, "\(path): \(error.operation) failed (\(error.text))")
    }

    /// An error while writing `path`: disk full and permission problems get their own kinds.
    static func writing(_ path: String, _ error: FFError, fallback: Kind) -> MediaError {
        switch FFCode.errno(error.code) {
        case ENOSPC?, EDQUOT?, EFBIG?: return MediaError(.diskFull, "\(path): disk full (\(error.text))")
        case ENOENT?, ENOTDIR?: return MediaError(.outputUnwritable, "\(path): output folder does not exist")
        case EACCES?, EPERM?, EROFS?: return MediaError(.outputUnwritable, "\(path): cannot write here (\(error.text))")
        case EISDIR?: return MediaError(.outputUnwritable, "\(path): is a folder, not a file")
        case ENOMEM?: return MediaError(.internalFailure, "\(path): out of memory")
        default: return MediaError(fallback, "\(path): \(error.operation) failed (\(error.text))")
        }
    }
}

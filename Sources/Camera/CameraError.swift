#if canImport(Glibc)
import Glibc
#endif

/// Why a camera, virtual camera or video stream could not be used.
/// `description` is one line a user can act on.
public enum CameraError: Error, Equatable, Sendable, CustomStringConvertible {
    /// ENOENT: nothing at that path.
    case notFound(path: String)
    /// EACCES.
    case permissionDenied(path: String)
    /// EBUSY: another program is streaming from (or writing to) it.
    case busy(path: String)
    /// ENODEV: the device went away.
    case unplugged(path: String)
    /// It exists but cannot capture video with streaming I/O (e.g. the
    /// metadata node uvcvideo creates next to each camera).
    case notACaptureDevice(path: String, card: String)
    /// It exists but is not a video output (not a v4l2loopback node).
    case notAnOutputDevice(path: String, card: String)
    /// None of the camera's formats is one we can convert.
    case noUsableFormat(path: String, offered: [String])
    /// A frame whose size differs from the one the sink was opened for.
    case frameSizeMismatch(expected: String, got: String)
    /// EPIPE: whoever read the stream went away.
    case outputClosed
    /// Any other failed call, with its errno.
    case systemError(path: String, operation: String, errno: Int32)

    /// The errno behind the error, when there was one.
    public var errno: Int32? {
        switch self {
        case .notFound: return ENOENT
        case .permissionDenied: return EACCES
        case .busy: return EBUSY
        case .unplugged: return ENODEV
        case .outputClosed: return EPIPE
        case .systemError(_, _, let code): return code
        case .notACaptureDevice, .notAnOutputDevice, .noUsableFormat, .frameSizeMismatch: return nil
        }
    }

    public var description: String {
        switch self {
        case .notFound(let path):
            return "no camera at \(path) (is it connected? `ls /dev/video*`)"
        case .permissionDenied(let path):
            return "no permission to open \(path) (add yourself to the `video` group)"
        case .busy(let path):
            return "\(path) is in use by another program"
        case .unplugged(let path):
            return "camera was unplugged (\(path))"
        case .notACaptureDevice(let path, let card):
            return "\(path) (\(card)) is not a video capture device; try another /dev/video* node"
        case .notAnOutputDevice(let path, let card):
            return "\(path) (\(card)) is not a virtual camera output; create one with "
                + "`sudo modprobe v4l2loopback exclusive_caps=1 card_label=\"Stylize\"`"
        case .noUsableFormat(let path, let offered):
            return "\(path) offers no format we can read (offers \(offered.joined(separator: ", ")); need YUYV, NV12 or RGB24)"
        case .frameSizeMismatch(let expected, let got):
            return "frame is \(got) but the output was opened for \(expected)"
        case .outputClosed:
            return "the program reading the video stream closed it"
        case .systemError(let path, let operation, let code):
            return "\(operation) on \(path) failed: \(SystemErrno(code))"
        }
    }

    /// Maps errno values with a meaning of their own to their cases.
    init(_ error: SystemErrno, path: String, operation: String) {
        switch error.code {
        case ENOENT: self = .notFound(path: path)
        case EACCES, EPERM: self = .permissionDenied(path: path)
        case EBUSY: self = .busy(path: path)
        case ENODEV, ENXIO: self = .unplugged(path: path)
        case EPIPE: self = .outputClosed
        default: self = .systemError(path: path, operation: operation, errno: error.code)
        }
    }
}

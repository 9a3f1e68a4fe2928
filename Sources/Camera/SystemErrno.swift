#if canImport(Glibc)
import Glibc
#endif

/// An errno value from a failed system call, carried as a value (thrown
/// with typed throws) instead of read from the thread-local `errno` later.
public struct SystemErrno: Error, Hashable, Sendable, CustomStringConvertible {
    public let code: Int32
    public init(_ code: Int32) { self.code = code }

    public static let noEntry = SystemErrno(ENOENT)
    public static let interrupted = SystemErrno(EINTR)
    public static let ioError = SystemErrno(EIO)
    public static let badFileDescriptor = SystemErrno(EBADF)
    public static let again = SystemErrno(EAGAIN)
    public static let permissionDenied = SystemErrno(EACCES)
    public static let busy = SystemErrno(EBUSY)
    public static let noDevice = SystemErrno(ENODEV)
    public static let invalidArgument = SystemErrno(EINVAL)
    public static let notATTY = SystemErrno(ENOTTY)
    public static let brokenPipe = SystemErrno(EPIPE)
    public static let noMemory = SystemErrno(ENOMEM)

    /// The C library's text, e.g. "Device or resource busy".
    public var description: String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }

    /// The current thread's errno, read right after a call returned -1.
    static var current: SystemErrno { SystemErrno(errno) }
}

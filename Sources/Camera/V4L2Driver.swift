import CV4L2
#if canImport(Glibc)
import Glibc
#endif

/// The single boundary every V4L2 device call goes through.
///
/// Modelled on swift-system's mocking driver: each member is a thin closure
/// over one system call, failures come back as `SystemErrno`. `.system` calls
/// libv4l2 (so its format emulation, e.g. RGB24 from MJPEG, applies) and
/// poll(2); tests plug in `FakeV4L2Kernel.driver` (Tests/CameraTestSupport),
/// which answers the same calls in memory.
///
/// The closures receive exactly what the kernel would: ioctl request codes
/// and pointers to the C structs from <linux/videodev2.h>.
public struct V4L2Driver: Sendable {
    public var open: @Sendable (_ path: String, _ flags: Int32) throws(SystemErrno) -> Int32
    public var close: @Sendable (_ fd: Int32) throws(SystemErrno) -> Void
    public var ioctl: @Sendable (_ fd: Int32, _ request: UInt, _ argument: UnsafeMutableRawPointer) throws(SystemErrno) -> Int32
    public var mmap: @Sendable (_ length: Int, _ protection: Int32, _ flags: Int32, _ fd: Int32, _ offset: Int64) throws(SystemErrno) -> UnsafeMutableRawPointer
    public var munmap: @Sendable (_ address: UnsafeMutableRawPointer, _ length: Int) throws(SystemErrno) -> Void
    /// Returns the revents bits; 0 means the timeout passed.
    public var poll: @Sendable (_ fd: Int32, _ events: Int16, _ timeoutMilliseconds: Int32) throws(SystemErrno) -> Int16
    public var read: @Sendable (_ fd: Int32, _ into: UnsafeMutableRawBufferPointer) throws(SystemErrno) -> Int
    public var write: @Sendable (_ fd: Int32, _ from: UnsafeRawBufferPointer) throws(SystemErrno) -> Int

    public init(
        open: @escaping @Sendable (String, Int32) throws(SystemErrno) -> Int32,
        close: @escaping @Sendable (Int32) throws(SystemErrno) -> Void,
        ioctl: @escaping @Sendable (Int32, UInt, UnsafeMutableRawPointer) throws(SystemErrno) -> Int32,
        mmap: @escaping @Sendable (Int, Int32, Int32, Int32, Int64) throws(SystemErrno) -> UnsafeMutableRawPointer,
        munmap: @escaping @Sendable (UnsafeMutableRawPointer, Int) throws(SystemErrno) -> Void,
        poll: @escaping @Sendable (Int32, Int16, Int32) throws(SystemErrno) -> Int16,
        read: @escaping @Sendable (Int32, UnsafeMutableRawBufferPointer) throws(SystemErrno) -> Int,
        write: @escaping @Sendable (Int32, UnsafeRawBufferPointer) throws(SystemErrno) -> Int
    ) {
        self.open = open
        self.close = close
        self.ioctl = ioctl
        self.mmap = mmap
        self.munmap = munmap
        self.poll = poll
        self.read = read
        self.write = write
    }
}

extension V4L2Driver {
    /// The real devices, through libv4l2.
    public static let system = V4L2Driver(
        open: { path, flags throws(SystemErrno) in
            let fd = stylize_v4l2_open(path, flags)
            guard fd >= 0 else { throw .current }
            return fd
        },
        close: { fd throws(SystemErrno) in
            guard v4l2_close(fd) == 0 else { throw .current }
        },
        ioctl: { fd, request, argument throws(SystemErrno) in
            // Drivers may be interrupted by signals; the call is safe to repeat.
            while true {
                let result = stylize_v4l2_ioctl(fd, request, argument)
                if result != -1 { return result }
                if errno != EINTR { throw .current }
            }
        },
        mmap: { length, protection, flags, fd, offset throws(SystemErrno) in
            let address = v4l2_mmap(nil, length, protection, flags, fd, offset)
            guard let address, address != MAP_FAILED else { throw .current }
            return address
        },
        munmap: { address, length throws(SystemErrno) in
            guard v4l2_munmap(address, length) == 0 else { throw .current }
        },
        poll: { fd, events, timeout throws(SystemErrno) in
            var entry = pollfd(fd: fd, events: events, revents: 0)
            while true {
                let ready = Glibc.poll(&entry, 1, timeout)
                if ready > 0 { return entry.revents }
                if ready == 0 { return 0 }
                if errno != EINTR { throw .current }
            }
        },
        read: { fd, buffer throws(SystemErrno) in
            let count = v4l2_read(fd, buffer.baseAddress, buffer.count)
            guard count >= 0 else { throw .current }
            return count
        },
        write: { fd, buffer throws(SystemErrno) in
            let count = v4l2_write(fd, buffer.baseAddress, buffer.count)
            guard count >= 0 else { throw .current }
            return count
        }
    )
}

import Glibc

/// Why bytes could not be written: reported, never thrown past the preview.
public enum WriteFailure: Error, Equatable, Sendable {
    /// The reader went away (EPIPE) or the descriptor is closed.
    case closed
    /// Any other errno.
    case failed(errno: Int32)
}

/// Writes whole buffers to a file descriptor: a terminal takes big frames in
/// pieces, and a non-blocking descriptor answers EAGAIN when its buffer is
/// full, so both partial writes and EAGAIN (wait until writable) and EINTR
/// (try again) are handled here once.
public enum FileDescriptorWriter {
    public static func writeAll(_ bytes: [UInt8], to fileDescriptor: Int32) -> Result<Void, WriteFailure> {
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return .success(()) }
            var offset = 0
            while offset < buffer.count {
                let written = write(fileDescriptor, base + offset, buffer.count - offset)
                if written > 0 { offset += written; continue }
                if written == 0 { continue }
                switch errno {
                case EINTR:
                    continue
                case EAGAIN, EWOULDBLOCK:
                    var ready = pollfd(fd: fileDescriptor, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&ready, 1, 1000)
                    if ready.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 { return .failure(.closed) }
                case EPIPE, EBADF:
                    return .failure(.closed)
                case let code:
                    return .failure(.failed(errno: code))
                }
            }
            return .success(())
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Writes a YUV4MPEG2 stream (what `ffmpeg -i -`, `mpv -` and x264 read):
/// one header line, then per frame "FRAME\n" and the I420 planes.
///
/// The caller must ignore SIGPIPE (`signal(SIGPIPE, SIG_IGN)`) before
/// writing to a pipe: otherwise a reader that exits kills the process before
/// write(2) can return EPIPE, which this type turns into `.outputClosed`.
public final class Y4MWriter: VideoSink {
    public let width: Int
    public let height: Int
    public let frameRate: (numerator: Int, denominator: Int)

    /// Writes all of a buffer to a descriptor; replaceable in tests to
    /// produce short writes and EINTR.
    typealias WriteFunction = (Int32, UnsafeRawBufferPointer) throws(SystemErrno) -> Int

    private let fileDescriptor: Int32
    private let closesDescriptor: Bool
    private let writeFunction: WriteFunction
    private var headerWritten = false
    private var isOpen = true
    private var frame: [UInt8]
    private static let frameMarker = Array("FRAME\n".utf8)

    /// - Parameters:
    ///   - fileDescriptor: where to write, e.g. `STDOUT_FILENO` for `--output -`.
    ///   - closesDescriptor: whether `close()` closes it (not for stdout).
    public convenience init(fileDescriptor: Int32, width: Int, height: Int,
                            frameRate: (numerator: Int, denominator: Int) = (30, 1), closesDescriptor: Bool = false) {
        self.init(fileDescriptor: fileDescriptor, width: width, height: height, frameRate: frameRate,
                  closesDescriptor: closesDescriptor, write: Y4MWriter.systemWrite)
    }

    init(fileDescriptor: Int32, width: Int, height: Int, frameRate: (numerator: Int, denominator: Int),
         closesDescriptor: Bool, write: @escaping WriteFunction) {
        self.fileDescriptor = fileDescriptor
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.closesDescriptor = closesDescriptor
        writeFunction = write
        // "FRAME\n" and the planes in one buffer: one write per frame.
        frame = Self.frameMarker
            + [UInt8](repeating: 0, count: PixelFormat.yuv420.packedLayout(width: width, height: height)!.frameSize)
    }

    deinit { close() }

    /// "YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg": progressive, square
    /// pixels, 4:2:0 with centred chroma.
    public var header: String {
        "YUV4MPEG2 W\(width) H\(height) F\(frameRate.numerator):\(frameRate.denominator) Ip A1:1 C420jpeg\n"
    }

    /// Copies the planes' rows after "FRAME\n" and writes the frame.
    public func write(_ picture: I420Planes) throws(CameraError) {
        guard isOpen else { throw CameraError.systemError(path: "fd \(fileDescriptor)", operation: "writing after close", errno: EBADF) }
        try picture.requireSize(width: width, height: height)
        frame.withUnsafeMutableBufferPointer { PixelRepacking.packI420(picture, into: $0.baseAddress! + Self.frameMarker.count) }
        try writeFrame()
    }

    private func writeFrame() throws(CameraError) {
        if !headerWritten {
            try writeAll(Array(header.utf8))
            headerWritten = true
        }
        try writeAll(frame)
    }

    public func close() {
        guard isOpen else { return }
        isOpen = false
        if closesDescriptor { _ = Glibc.close(fileDescriptor) }
    }

    /// Pipes take at most their buffer size per write, and signals interrupt:
    /// keep writing until every byte is out.
    private func writeAll(_ bytes: [UInt8]) throws(CameraError) {
        let (fd, write) = (fileDescriptor, writeFunction)
        let outcome: Result<Void, CameraError> = bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                do throws(SystemErrno) {
                    let written = try write(fd, UnsafeRawBufferPointer(rebasing: buffer[offset...]))
                    if written == 0 {
                        return .failure(.systemError(path: "fd \(fd)", operation: "writing the video stream", errno: EIO))
                    }
                    offset += written
                } catch {
                    if error == .interrupted { continue }
                    return .failure(CameraError(error, path: "fd \(fd)", operation: "writing the video stream"))
                }
            }
            return .success(())
        }
        try outcome.get()
    }

    static func systemWrite(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws(SystemErrno) -> Int {
        let written = Glibc.write(fd, buffer.baseAddress, buffer.count)
        guard written >= 0 else { throw SystemErrno.current }
        return written
    }
}

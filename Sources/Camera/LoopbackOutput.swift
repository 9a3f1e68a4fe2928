import CV4L2
#if canImport(Glibc)
import Glibc
#endif

/// A v4l2loopback virtual camera we write frames into; video-call apps then
/// see it as a webcam.
///
/// Frames go in with write(2), one whole image (sizeimage bytes) per call,
/// the simplest I/O v4l2loopback offers and all a 30 fps stream needs.
public final class LoopbackOutput: VideoSink {
    /// What we send to the loopback device.
    public enum Format: String, Sendable, CaseIterable {
        /// Packed 4:2:2: understood by every consumer (browsers included).
        case yuyv
        /// Planar 4:2:0: smaller, fine for most consumers.
        case i420

        var pixelFormat: PixelFormat { self == .yuyv ? .yuyv : .yuv420 }
    }

    public let path: String
    public let format: Format
    /// The size the device accepted; frames must have it.
    public let width: Int
    public let height: Int
    /// Bytes per frame, as the driver reported it.
    public let frameBytes: Int
    public let framesPerSecond: Double?

    private let handle: V4L2Handle
    private var converted: [UInt8]
    private var isOpen = true

    public init(path: String, width: Int, height: Int, framesPerSecond: Int = 30, format: Format = .yuyv,
                driver: V4L2Driver = .system) throws(CameraError) {
        func fail(_ operation: String) -> (SystemErrno) -> CameraError {
            { CameraError($0, path: path, operation: operation) }
        }
        /// Missing or not V4L2 at all: say how to make a loopback node.
        func explained(_ error: CameraError) -> CameraError {
            switch error {
            case .notFound: return .notAnOutputDevice(path: path, card: "no such device")
            case .notACaptureDevice(_, let card): return .notAnOutputDevice(path: path, card: card)
            default: return error
            }
        }
        let handle: V4L2Handle
        do throws(CameraError) { handle = try CaptureDevice.openNode(path, flags: O_RDWR, driver: driver) } catch {
            throw explained(error)
        }
        do throws(CameraError) {
            let capabilities: DeviceCapabilities
            do throws(CameraError) { capabilities = try CaptureDevice.queryCapabilities(handle, path: path) } catch {
                throw explained(error)
            }
            // exclusive_caps=1: once another program writes to the node, it
            // presents itself as a capture device to everyone else.
            if capabilities.driverName == "v4l2 loopback", !capabilities.has(V4L2_CAP_VIDEO_OUTPUT),
               capabilities.has(V4L2_CAP_VIDEO_CAPTURE) {
                throw CameraError.busy(path: path)
            }
            guard capabilities.has(V4L2_CAP_VIDEO_OUTPUT), capabilities.has(V4L2_CAP_READWRITE) else {
                throw CameraError.notAnOutputDevice(path: path, card: capabilities.cardName)
            }
            let granted = try mapError(fail("setting the output format")) {
                try handle.setFormat(type: outputBufferType, pixelFormat: format.pixelFormat, width: width, height: height)
            }
            guard granted.pixelformat == format.pixelFormat.rawValue else {
                throw CameraError.noUsableFormat(path: path, offered: [PixelFormat(rawValue: granted.pixelformat).description])
            }
            self.width = Int(granted.width)
            self.height = Int(granted.height)
            let packed = format.pixelFormat.packedLayout(width: self.width, height: self.height)!
            // We write tightly packed rows; a driver asking for padding would
            // read our frames skewed, so refuse it up front.
            guard granted.bytesperline == 0 || Int(granted.bytesperline) == packed.bytesPerLine else {
                throw CameraError.systemError(path: path, operation: "output row padding \(granted.bytesperline)", errno: EINVAL)
            }
            frameBytes = Int(granted.sizeimage) > 0 ? Int(granted.sizeimage) : packed.frameSize
            self.framesPerSecond = try mapError(fail("setting the frame rate")) {
                try handle.setFrameRate(type: outputBufferType, framesPerSecond: framesPerSecond)
            }
        } catch {
            handle.close()
            throw error
        }
        self.path = path
        self.format = format
        self.handle = handle
        converted = [UInt8](repeating: 0, count: frameBytes)
    }

    deinit { close() }

    /// Repacks the picture into the device's format (I420 → YUYV: chroma rows doubled; I420:
    /// the planes' rows packed) and sends it.
    public func write(_ picture: I420Planes) throws(CameraError) {
        guard isOpen else { throw CameraError.systemError(path: path, operation: "writing after close", errno: EBADF) }
        try picture.requireSize(width: width, height: height)
        let format = self.format
        converted.withUnsafeMutableBufferPointer { destination in
            switch format {
            case .yuyv: PixelRepacking.i420ToYUYV(picture, into: destination.baseAddress!)
            case .i420: PixelRepacking.packI420(picture, into: destination.baseAddress!)
            }
        }
        try send()
    }

    /// Writes `converted`, the frame in the device's format.
    private func send() throws(CameraError) {
        let (driver, fd, path) = (handle.driver, handle.fd, self.path)
        // One write per frame: v4l2loopback takes a frame per write() call, so
        // a short write cannot be completed by a second one.
        let outcome: Result<Int, CameraError> = converted.withUnsafeBytes { bytes in
            while true {
                do throws(SystemErrno) { return .success(try driver.write(fd, bytes)) } catch {
                    if error == .interrupted { continue }
                    return .failure(CameraError(error, path: path, operation: "writing a frame"))
                }
            }
        }
        let written = try outcome.get()
        guard written == frameBytes else {
            throw CameraError.systemError(path: path, operation: "writing a frame (\(written) of \(frameBytes) bytes taken)", errno: EIO)
        }
    }

    public func close() {
        guard isOpen else { return }
        isOpen = false
        handle.close()
    }

    /// The first v4l2loopback node among `candidates` that takes output now (a loopback
    /// another program already writes to presents itself as a capture device and is
    /// skipped). nil when there is none: the caller says how to create one.
    public static func findDevice(driver: V4L2Driver = .system,
                                  candidates: [String] = (0..<64).map { "/dev/video\($0)" }) -> String? {
        for path in candidates {
            guard let handle = try? V4L2Handle.open(path, flags: O_RDWR, driver: driver) else { continue }
            defer { handle.close() }
            guard let capabilities = try? handle.queryCapabilities() else { continue }
            if capabilities.driverName == "v4l2 loopback", capabilities.has(V4L2_CAP_VIDEO_OUTPUT) { return path }
        }
        return nil
    }
}

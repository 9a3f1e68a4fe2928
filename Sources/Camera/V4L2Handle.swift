import CV4L2
#if canImport(Glibc)
import Glibc
#endif

/// What VIDIOC_QUERYCAP reported.
struct DeviceCapabilities {
    let driverName: String
    let cardName: String
    /// The capabilities of this node (device_caps when the driver fills it).
    let node: UInt32

    func has(_ flag: Int32) -> Bool { node & UInt32(bitPattern: flag) != 0 }
    func has(_ flag: UInt32) -> Bool { node & flag != 0 }
}

/// One entry of VIDIOC_ENUM_FMT.
struct FormatDescription {
    let pixelFormat: PixelFormat
    let name: String
    /// libv4l2 converts this format from another one in user space.
    let isEmulated: Bool
    let isCompressed: Bool
}

struct FrameSize: Hashable {
    let width: Int
    let height: Int
}

/// A buffer VIDIOC_DQBUF handed back.
struct DequeuedBuffer {
    let index: Int
    let bytesUsed: Int
    let sequence: UInt32
    let timestampSeconds: Double
    let isError: Bool
}

/// An open V4L2 node and the typed ioctls we use on it.
///
/// This is where the C structs are built and read; callers above deal in
/// Swift values and `SystemErrno`.
struct V4L2Handle {
    let driver: V4L2Driver
    let fd: Int32

    static func open(_ path: String, flags: Int32, driver: V4L2Driver) throws(SystemErrno) -> V4L2Handle {
        V4L2Handle(driver: driver, fd: try driver.open(path, flags))
    }

    func close() {
        // Nothing useful can be done if close fails; the descriptor is gone either way.
        try? driver.close(fd)
    }

    /// Issues one ioctl on `value`, which must be the struct the request expects.
    @discardableResult
    func ioctl<Argument>(_ request: UInt, _ value: inout Argument) throws(SystemErrno) -> Int32 {
        let driver = self.driver, fd = self.fd
        let outcome: Result<Int32, SystemErrno> = withUnsafeMutablePointer(to: &value) { pointer in
            do throws(SystemErrno) { return .success(try driver.ioctl(fd, request, UnsafeMutableRawPointer(pointer))) }
            catch { return .failure(error) }
        }
        return try outcome.get()
    }

    // MARK: Queries

    func queryCapabilities() throws(SystemErrno) -> DeviceCapabilities {
        var capability = v4l2_capability()
        try ioctl(STYLIZE_VIDIOC_QUERYCAP, &capability)
        let hasDeviceCaps = capability.capabilities & UInt32(V4L2_CAP_DEVICE_CAPS) != 0
        return DeviceCapabilities(
            driverName: cString(capability.driver),
            cardName: cString(capability.card),
            node: hasDeviceCaps ? capability.device_caps : capability.capabilities)
    }

    func enumerateFormats(type: UInt32) throws(SystemErrno) -> [FormatDescription] {
        var formats: [FormatDescription] = []
        // EINVAL marks the end of the list; no driver offers anywhere near 256.
        for index in 0..<256 {
            var description = v4l2_fmtdesc()
            description.index = UInt32(index)
            description.type = type
            do throws(SystemErrno) { try ioctl(STYLIZE_VIDIOC_ENUM_FMT, &description) } catch {
                if error == .invalidArgument { break }
                throw error
            }
            formats.append(FormatDescription(
                pixelFormat: PixelFormat(rawValue: description.pixelformat),
                name: cString(description.description),
                isEmulated: description.flags & UInt32(V4L2_FMT_FLAG_EMULATED) != 0,
                isCompressed: description.flags & UInt32(V4L2_FMT_FLAG_COMPRESSED) != 0))
        }
        return formats
    }

    /// Discrete sizes as listed; a stepwise range as its smallest and largest
    /// size (enough to pick the nearest, since S_FMT adjusts within the range).
    func enumerateFrameSizes(_ pixelFormat: PixelFormat) throws(SystemErrno) -> [FrameSize] {
        var sizes: [FrameSize] = []
        for index in 0..<256 {
            var size = v4l2_frmsizeenum()
            size.index = UInt32(index)
            size.pixel_format = pixelFormat.rawValue
            do throws(SystemErrno) { try ioctl(STYLIZE_VIDIOC_ENUM_FRAMESIZES, &size) } catch {
                if error == .invalidArgument || error == .notATTY { break }
                throw error
            }
            if size.type == UInt32(V4L2_FRMSIZE_TYPE_DISCRETE.rawValue) {
                sizes.append(FrameSize(width: Int(size.discrete.width), height: Int(size.discrete.height)))
            } else {
                sizes.append(FrameSize(width: Int(size.stepwise.min_width), height: Int(size.stepwise.min_height)))
                sizes.append(FrameSize(width: Int(size.stepwise.max_width), height: Int(size.stepwise.max_height)))
                break
            }
        }
        return sizes
    }

    // MARK: Format and frame rate

    /// VIDIOC_S_FMT for a single-planar type; returns what the driver chose.
    func setFormat(type: UInt32, pixelFormat: PixelFormat, width: Int, height: Int) throws(SystemErrno) -> v4l2_pix_format {
        var format = v4l2_format()
        format.type = type
        format.fmt.pix.width = UInt32(width)
        format.fmt.pix.height = UInt32(height)
        format.fmt.pix.pixelformat = pixelFormat.rawValue
        format.fmt.pix.field = UInt32(V4L2_FIELD_NONE.rawValue)
        try ioctl(STYLIZE_VIDIOC_S_FMT, &format)
        return format.fmt.pix
    }

    /// Asks for `framesPerSecond` with VIDIOC_S_PARM and returns the rate the
    /// driver settled on, or nil when it does not support setting one.
    func setFrameRate(type: UInt32, framesPerSecond: Int) throws(SystemErrno) -> Double? {
        var parameters = v4l2_streamparm()
        parameters.type = type
        let isCapture = type == UInt32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
        let fraction = v4l2_fract(numerator: 1, denominator: UInt32(max(1, framesPerSecond)))
        if isCapture { parameters.parm.capture.timeperframe = fraction } else { parameters.parm.output.timeperframe = fraction }
        do throws(SystemErrno) { try ioctl(STYLIZE_VIDIOC_S_PARM, &parameters) } catch {
            if error == .invalidArgument || error == .notATTY { return nil }
            throw error
        }
        let actual = isCapture ? parameters.parm.capture.timeperframe : parameters.parm.output.timeperframe
        guard actual.numerator > 0, actual.denominator > 0 else { return nil }
        return Double(actual.denominator) / Double(actual.numerator)
    }

    // MARK: Streaming I/O

    /// VIDIOC_REQBUFS for memory-mapped buffers; returns how many the driver allocated.
    func requestBuffers(type: UInt32, count: Int) throws(SystemErrno) -> Int {
        var request = v4l2_requestbuffers()
        request.type = type
        request.memory = UInt32(V4L2_MEMORY_MMAP.rawValue)
        request.count = UInt32(count)
        try ioctl(STYLIZE_VIDIOC_REQBUFS, &request)
        return Int(request.count)
    }

    /// VIDIOC_QUERYBUF: where to mmap buffer `index` and how long it is.
    func queryBuffer(type: UInt32, index: Int) throws(SystemErrno) -> (offset: Int64, length: Int) {
        var buffer = v4l2_buffer()
        buffer.type = type
        buffer.memory = UInt32(V4L2_MEMORY_MMAP.rawValue)
        buffer.index = UInt32(index)
        try ioctl(STYLIZE_VIDIOC_QUERYBUF, &buffer)
        return (Int64(buffer.m.offset), Int(buffer.length))
    }

    func queueBuffer(type: UInt32, index: Int) throws(SystemErrno) {
        var buffer = v4l2_buffer()
        buffer.type = type
        buffer.memory = UInt32(V4L2_MEMORY_MMAP.rawValue)
        buffer.index = UInt32(index)
        try ioctl(STYLIZE_VIDIOC_QBUF, &buffer)
    }

    /// VIDIOC_DQBUF on a non-blocking descriptor: nil when no buffer is ready.
    func dequeueBuffer(type: UInt32) throws(SystemErrno) -> DequeuedBuffer? {
        var buffer = v4l2_buffer()
        buffer.type = type
        buffer.memory = UInt32(V4L2_MEMORY_MMAP.rawValue)
        do throws(SystemErrno) { try ioctl(STYLIZE_VIDIOC_DQBUF, &buffer) } catch {
            if error == .again { return nil }
            throw error
        }
        return DequeuedBuffer(
            index: Int(buffer.index),
            bytesUsed: Int(buffer.bytesused),
            sequence: buffer.sequence,
            timestampSeconds: Double(buffer.timestamp.tv_sec) + Double(buffer.timestamp.tv_usec) / 1_000_000,
            isError: buffer.flags & UInt32(V4L2_BUF_FLAG_ERROR) != 0)
    }

    func streamOn(type: UInt32) throws(SystemErrno) {
        var bufferType = Int32(bitPattern: type)
        try ioctl(STYLIZE_VIDIOC_STREAMON, &bufferType)
    }

    func streamOff(type: UInt32) throws(SystemErrno) {
        var bufferType = Int32(bitPattern: type)
        try ioctl(STYLIZE_VIDIOC_STREAMOFF, &bufferType)
    }
}

let captureBufferType = UInt32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
let outputBufferType = UInt32(V4L2_BUF_TYPE_VIDEO_OUTPUT.rawValue)

/// Reads a NUL-terminated C char array imported as a tuple.
func cString<Tuple>(_ tuple: Tuple) -> String {
    withUnsafeBytes(of: tuple) { bytes in
        let end = bytes.firstIndex(of: 0) ?? bytes.count
        return String(decoding: bytes[..<end], as: UTF8.self)
    }
}

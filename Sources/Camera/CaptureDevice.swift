import CV4L2
#if canImport(Glibc)
import Glibc
#endif

/// A webcam streaming through memory-mapped V4L2 buffers.
///
/// Opening negotiates a format (native YUYV or NV12 preferred since they
/// only need repacking into I420, else RGB24, which libv4l2 emulates from MJPEG), sets
/// the frame rate and starts streaming. `nextFrame(timeout:)` always returns
/// the newest frame: a live stylizer that falls behind should skip frames,
/// not fall further behind.
///
/// Not thread-safe: use it from one thread at a time.
public final class CaptureDevice {
    public let path: String
    public let cardName: String
    /// The format the camera sends (before our repacking to I420).
    public let pixelFormat: PixelFormat
    /// What frames are handed out in: I420 for YUYV and NV12 cameras, RGB24 for the others.
    public let layout: CapturedFrame.Layout
    public let width: Int
    public let height: Int
    /// The rate the driver settled on, nil when it cannot set one.
    public let framesPerSecond: Double?
    /// All frames lost since streaming started.
    public private(set) var droppedFrames = 0

    private let handle: V4L2Handle
    private let bytesPerLine: Int
    private var mappings: [(address: UnsafeMutableRawPointer, length: Int)] = []
    private var lastSequence: UInt32?
    /// Repacked into, frame after frame: unique again as soon as the caller
    /// lets go of the previous frame, so steady-state capture does not allocate.
    private var pixels: [UInt8]
    private var isOpen = true

    /// The bytes a complete frame occupies, row padding included.
    private var minimumFrameBytes: Int {
        pixelFormat == .nv12 ? bytesPerLine * height + bytesPerLine * ((height + 1) / 2) : bytesPerLine * height
    }

    /// The formats we can take, best first: YUV ones only need repacking.
    static let formatPreference: [PixelFormat] = [.yuyv, .nv12, .rgb24]

    public init(path: String = "/dev/video0", width: Int = 640, height: Int = 480, framesPerSecond: Int = 30,
                bufferCount: Int = 4, driver: V4L2Driver = .system) throws(CameraError) {
        let session = try Self.startStreaming(path: path, width: width, height: height, framesPerSecond: framesPerSecond,
                                              bufferCount: bufferCount, driver: driver)
        self.path = path
        handle = session.handle
        cardName = session.cardName
        pixelFormat = session.pixelFormat
        self.width = session.width
        self.height = session.height
        bytesPerLine = session.bytesPerLine
        self.framesPerSecond = session.framesPerSecond
        mappings = session.mappings
        layout = session.pixelFormat == .rgb24 ? .rgb24 : .i420
        let handedOut: PixelFormat = layout == .rgb24 ? .rgb24 : .yuv420
        pixels = [UInt8](repeating: 0, count: handedOut.packedLayout(width: session.width, height: session.height)!.frameSize)
    }

    /// Everything `startStreaming` set up, handed to the instance.
    private struct Session {
        var handle: V4L2Handle
        var cardName = ""
        var pixelFormat = PixelFormat.yuyv
        var width = 0, height = 0, bytesPerLine = 0
        var framesPerSecond: Double?
        var mappings: [(address: UnsafeMutableRawPointer, length: Int)] = []
        var buffersRequested = false

        /// Undoes a partial start after a failure.
        func tearDown() {
            try? handle.streamOff(type: captureBufferType)
            for mapping in mappings { try? handle.driver.munmap(mapping.address, mapping.length) }
            if buffersRequested { _ = try? handle.requestBuffers(type: captureBufferType, count: 0) }
            handle.close()
        }
    }

    /// Open → QUERYCAP → format → frame rate → buffers → STREAMON.
    private static func startStreaming(path: String, width: Int, height: Int, framesPerSecond: Int,
                                       bufferCount: Int, driver: V4L2Driver) throws(CameraError) -> Session {
        func fail(_ operation: String) -> (SystemErrno) -> CameraError {
            { CameraError($0, path: path, operation: operation) }
        }
        // Non-blocking: nextFrame waits in poll, with a timeout, never in DQBUF.
        var session = Session(handle: try openNode(path, flags: O_RDWR | O_NONBLOCK, driver: driver))
        let handle = session.handle
        do throws(CameraError) {
            let capabilities = try queryCapabilities(handle, path: path)
            guard capabilities.has(V4L2_CAP_VIDEO_CAPTURE), capabilities.has(V4L2_CAP_STREAMING) else {
                throw CameraError.notACaptureDevice(path: path, card: capabilities.cardName)
            }
            session.cardName = capabilities.cardName

            let chosen = try chooseFormat(handle: handle, path: path, width: width, height: height)
            let format = try mapError(fail("setting the format")) {
                try handle.setFormat(type: captureBufferType, pixelFormat: chosen.pixelFormat,
                                     width: chosen.size.width, height: chosen.size.height)
            }
            // A driver may substitute another format instead of failing.
            let granted = PixelFormat(rawValue: format.pixelformat)
            guard formatPreference.contains(granted) else {
                throw CameraError.noUsableFormat(path: path, offered: [granted.description])
            }
            session.pixelFormat = granted
            session.width = Int(format.width)
            session.height = Int(format.height)
            let packed = granted.packedLayout(width: session.width, height: session.height)!
            session.bytesPerLine = max(Int(format.bytesperline), packed.bytesPerLine)

            session.framesPerSecond = try mapError(fail("setting the frame rate")) {
                try handle.setFrameRate(type: captureBufferType, framesPerSecond: framesPerSecond)
            }

            let count = try mapError(fail("requesting buffers")) {
                try handle.requestBuffers(type: captureBufferType, count: bufferCount)
            }
            session.buffersRequested = true
            guard count >= 2 else {
                throw CameraError.systemError(path: path, operation: "requesting buffers (got \(count))", errno: ENOMEM)
            }
            for index in 0..<count {
                let (offset, length) = try mapError(fail("querying buffer \(index)")) {
                    try handle.queryBuffer(type: captureBufferType, index: index)
                }
                let address = try mapError(fail("mapping buffer \(index)")) {
                    try driver.mmap(length, PROT_READ | PROT_WRITE, MAP_SHARED, handle.fd, offset)
                }
                session.mappings.append((address, length))
                try mapError(fail("queueing buffer \(index)")) { try handle.queueBuffer(type: captureBufferType, index: index) }
            }
            try mapError(fail("starting the stream")) { try handle.streamOn(type: captureBufferType) }
            return session
        } catch {
            session.tearDown()
            throw error
        }
    }

    deinit { close() }

    /// Waits up to `timeout` seconds for a frame and returns the newest one,
    /// or nil when none arrived in time. A negative or infinite timeout waits
    /// until a frame arrives; 0 only looks. A frame the driver flagged as
    /// damaged (or delivered short) is skipped, counted as dropped, and nil
    /// is returned: call again.
    public func nextFrame(timeout: Double) throws(CameraError) -> CapturedFrame? {
        guard isOpen else { throw CameraError.systemError(path: path, operation: "reading a frame after close", errno: EBADF) }
        let fail = { (operation: String) in { (error: SystemErrno) in CameraError(error, path: self.path, operation: operation) } }
        let revents = try mapError(fail("waiting for a frame")) {
            try handle.driver.poll(handle.fd, Int16(POLLIN), Self.pollMilliseconds(timeout))
        }
        if revents == 0 { return nil }
        // POLLERR alone does not say why; DQBUF's errno does (ENODEV on unplug).

        // Latest frame wins: drain every ready buffer, keep the newest.
        var newest: DequeuedBuffer?
        var skipped = 0
        while let buffer = try mapError(fail("dequeuing a frame"), { try handle.dequeueBuffer(type: captureBufferType) }) {
            if let older = newest {
                try mapError(fail("requeueing a buffer")) { try handle.queueBuffer(type: captureBufferType, index: older.index) }
                skipped += 1
            }
            newest = buffer
        }
        if revents & Int16(POLLERR) != 0, newest == nil {
            throw CameraError.systemError(path: path, operation: "waiting for a frame", errno: EIO)
        }
        guard let buffer = newest else { return nil }   // woken, but the frame went elsewhere
        defer { try? handle.queueBuffer(type: captureBufferType, index: buffer.index) }

        // Drivers that restart or do not count sequences report no gap.
        var sequenceGap = 0
        if let last = lastSequence, buffer.sequence > last { sequenceGap = Int(buffer.sequence - last - 1) }
        lastSequence = buffer.sequence
        // Frames we skipped are part of the sequence gap when the driver counts
        // frames; drivers that do not count still report what we skipped.
        let dropped = max(skipped, sequenceGap)
        guard buffer.index < mappings.count, !buffer.isError, buffer.bytesUsed >= minimumFrameBytes else {
            // A damaged or short frame: skip it rather than show garbage.
            droppedFrames += dropped + 1
            return nil
        }
        droppedFrames += dropped

        let source = UnsafePointer(mappings[buffer.index].address.assumingMemoryBound(to: UInt8.self))
        let (width, height, bytesPerLine, pixelFormat) = (self.width, self.height, self.bytesPerLine, self.pixelFormat)
        pixels.withUnsafeMutableBufferPointer { pixels in
            let output = pixels.baseAddress!
            switch pixelFormat {
            case .yuyv: PixelRepacking.yuyvToI420(source, bytesPerLine: bytesPerLine, width: width, height: height, into: output)
            case .nv12: PixelRepacking.nv12ToI420(source, bytesPerLine: bytesPerLine, width: width, height: height, into: output)
            default: PixelRepacking.copyRows(source, bytesPerLine: bytesPerLine, rowBytes: width * 3, rows: height, into: output)
            }
        }
        return CapturedFrame(width: width, height: height, layout: layout, pixels: pixels, sequence: buffer.sequence,
                             timestamp: buffer.timestampSeconds, dropped: dropped)
    }

    /// poll(2)'s timeout: milliseconds rounded up, -1 for "no limit".
    static func pollMilliseconds(_ seconds: Double) -> Int32 {
        guard seconds >= 0, seconds.isFinite else { return -1 }
        return Int32(min(Double(Int32.max), (seconds * 1000).rounded(.up)))
    }

    /// Stops streaming, unmaps the buffers and closes the device. Safe to
    /// call twice, and after the camera was unplugged.
    public func close() {
        guard isOpen else { return }
        isOpen = false
        try? handle.streamOff(type: captureBufferType)
        for mapping in mappings { try? handle.driver.munmap(mapping.address, mapping.length) }
        mappings.removeAll()
        // Buffers are freed when the descriptor closes; asking first keeps
        // drivers that count REQBUFS(0) (and the fake) in step.
        _ = try? handle.requestBuffers(type: captureBufferType, count: 0)
        handle.close()
    }

    /// open(); ENOTTY here comes from libv4l2, whose open issues QUERYCAP:
    /// the node is not a V4L2 device at all.
    static func openNode(_ path: String, flags: Int32, driver: V4L2Driver) throws(CameraError) -> V4L2Handle {
        do throws(SystemErrno) { return try V4L2Handle.open(path, flags: flags, driver: driver) } catch {
            if error == .notATTY { throw CameraError.notACaptureDevice(path: path, card: "not a V4L2 device") }
            throw CameraError(error, path: path, operation: "opening")
        }
    }

    /// QUERYCAP; ENOTTY means the node is not a V4L2 device at all.
    static func queryCapabilities(_ handle: V4L2Handle, path: String) throws(CameraError) -> DeviceCapabilities {
        do throws(SystemErrno) { return try handle.queryCapabilities() } catch {
            if error == .notATTY { throw CameraError.notACaptureDevice(path: path, card: "not a V4L2 device") }
            throw CameraError(error, path: path, operation: "querying capabilities")
        }
    }

    // MARK: Format negotiation

    /// Picks the format whose nearest offered size is closest to the wanted
    /// one; among equally close ones, the cheapest to convert.
    static func chooseFormat(handle: V4L2Handle, path: String, width: Int, height: Int)
        throws(CameraError) -> (pixelFormat: PixelFormat, size: FrameSize) {
        let fail = { (operation: String) in { (error: SystemErrno) in CameraError(error, path: path, operation: operation) } }
        let offered = try mapError(fail("listing formats")) { try handle.enumerateFormats(type: captureBufferType) }
        var best: (pixelFormat: PixelFormat, size: FrameSize, distance: Int, rank: Int)?
        for format in offered {
            guard let rank = formatPreference.firstIndex(of: format.pixelFormat) else { continue }
            // Emulated YUYV/NV12 would mean decoding plus converting: treat as RGB24's rank.
            let effectiveRank = format.isEmulated ? max(rank, formatPreference.count - 1) : rank
            let sizes = try mapError(fail("listing frame sizes")) { try handle.enumerateFrameSizes(format.pixelFormat) }
            // No list (some drivers): let S_FMT adjust the wanted size.
            let candidates = sizes.isEmpty ? [FrameSize(width: width, height: height)] : sizes
            let nearest = candidates.min { sizeDistance($0, width, height) < sizeDistance($1, width, height) }!
            let distance = sizeDistance(nearest, width, height)
            if best == nil || distance < best!.distance || (distance == best!.distance && effectiveRank < best!.rank) {
                best = (format.pixelFormat, nearest, distance, effectiveRank)
            }
        }
        guard let best else {
            throw CameraError.noUsableFormat(path: path, offered: offered.map { $0.pixelFormat.description })
        }
        return (best.pixelFormat, best.size)
    }

    /// How far an offered size is from the wanted one: the area the two
    /// rectangles do not share (the measure uvcvideo itself uses).
    static func sizeDistance(_ size: FrameSize, _ width: Int, _ height: Int) -> Int {
        let shared = min(size.width, width) * min(size.height, height)
        return size.width * size.height + width * height - 2 * shared
    }
}

/// Runs `body`, turning its `SystemErrno` into a `CameraError`.
@inline(__always)
///
/// The body is untyped because Swift 6 closures infer `throws(any Error)`
/// unless annotated; every driver call in it throws `SystemErrno` anyway.
func mapError<Value>(_ transform: (SystemErrno) -> CameraError, _ body: () throws -> Value) throws(CameraError) -> Value {
    do { return try body() } catch let error as CameraError { throw error } catch {
        throw transform(error as? SystemErrno ?? .ioError)
    }
}

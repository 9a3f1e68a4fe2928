import Camera
import CV4L2
#if canImport(Glibc)
import Glibc
#endif

/// A capture node behaving like uvcvideo on top of videobuf2, as the V4L2
/// specification describes it:
///
/// - ENUM_FMT / ENUM_FRAMESIZES: EINVAL past the last entry or for an
///   unknown pixel format.
/// - G/S/TRY_FMT: EINVAL for a wrong buffer type only. An unknown pixel
///   format becomes the first offered one; the size becomes the nearest offered
///   one (uvcvideo's measure); bytesperline and sizeimage are filled. S_FMT
///   fails with EBUSY while buffers are allocated.
/// - G/S_PARM: timeperframe becomes the nearest supported rate (0/0 means the
///   fastest); EBUSY while streaming.
/// - REQBUFS: MMAP only; count clamped to 2…32; 0 frees. The first descriptor
///   to allocate owns the queue: every other one gets EBUSY for queue calls.
///   EBUSY while streaming or while buffers are mapped.
/// - QUERYBUF / QBUF / DQBUF: EINVAL for a bad index or a buffer already
///   queued; DQBUF gives EINVAL when not streaming and EAGAIN when nothing is
///   ready (also on a blocking descriptor: the fake has no producer to wait
///   for, so it does not block).
/// - STREAMON / STREAMOFF: STREAMOFF returns every buffer to the application
///   and forgets captured frames; STREAMON restarts the sequence at 0.
/// - poll: POLLIN when a buffer is done, POLLERR when not streaming or the
///   caller does not own the queue, POLLERR | POLLHUP once unplugged.
/// - read(): EINVAL (uvcvideo offers streaming I/O only).
///
/// Not modelled: USERPTR/DMABUF memory, CREATE_BUFS, multi-planar types,
/// controls, stepwise frame sizes, interlaced fields, blocking waits.
final class FakeCaptureNode: FakeNode {
    let formats: [FakeCameraFormat]
    private var formatIndex = 0
    private var size: FakeCameraFormat.Size
    private var framesPerSecond: Int

    private(set) var buffers: [FakeBuffer] = []
    private var queueOwner: FakeOpenFile?
    private var isStreaming = false
    /// Buffers the driver holds, in the order they were queued / filled.
    private var queued: [FakeBuffer] = []
    private var done: [FakeBuffer] = []
    private var nextSequence: UInt32 = 0
    /// Virtual CLOCK_MONOTONIC, in microseconds.
    private var clock: Int64 = 1_000_000_000
    var producesFrameWhenPolled = false

    init(path: String, card: String, formats: [FakeCameraFormat]) {
        precondition(!formats.isEmpty && formats.allSatisfy { !$0.sizes.isEmpty && !$0.framesPerSecond.isEmpty })
        self.formats = formats
        size = formats[0].sizes[0]
        framesPerSecond = formats[0].framesPerSecond.max()!
        super.init(path: path, card: card)
    }

    override var driverName: String { "uvcvideo" }

    override func deviceCaps(for file: FakeOpenFile) -> UInt32 {
        UInt32(V4L2_CAP_VIDEO_CAPTURE) | UInt32(V4L2_CAP_STREAMING)
    }

    private var format: FakeCameraFormat { formats[formatIndex] }

    // MARK: ioctl

    override func ioctl(_ file: FakeOpenFile, _ request: UInt, _ argument: UnsafeMutableRawPointer) throws(SystemErrno) {
        switch request {
        case STYLIZE_VIDIOC_ENUM_FMT:
            let description = argument.assumingMemoryBound(to: v4l2_fmtdesc.self)
            try requireCaptureType(description.pointee.type)
            let index = Int(description.pointee.index)
            guard index < formats.count else { throw .invalidArgument }
            let offered = formats[index]
            description.pointee.flags = (offered.isCompressed ? UInt32(V4L2_FMT_FLAG_COMPRESSED) : 0)
                | (offered.isEmulated ? UInt32(V4L2_FMT_FLAG_EMULATED) : 0)
            setCString(&description.pointee.description, offered.name)
            description.pointee.pixelformat = offered.pixelFormat.rawValue

        case STYLIZE_VIDIOC_ENUM_FRAMESIZES:
            let frameSize = argument.assumingMemoryBound(to: v4l2_frmsizeenum.self)
            guard let offered = formats.first(where: { $0.pixelFormat.rawValue == frameSize.pointee.pixel_format }),
                  Int(frameSize.pointee.index) < offered.sizes.count else { throw .invalidArgument }
            let size = offered.sizes[Int(frameSize.pointee.index)]
            frameSize.pointee.type = UInt32(V4L2_FRMSIZE_TYPE_DISCRETE.rawValue)
            frameSize.pointee.discrete = v4l2_frmsize_discrete(width: UInt32(size.width), height: UInt32(size.height))

        case STYLIZE_VIDIOC_G_FMT:
            let format = argument.assumingMemoryBound(to: v4l2_format.self)
            try requireCaptureType(format.pointee.type)
            format.pointee.fmt.pix = pixFormat(formatIndex: formatIndex, size: size)

        case STYLIZE_VIDIOC_TRY_FMT, STYLIZE_VIDIOC_S_FMT:
            let format = argument.assumingMemoryBound(to: v4l2_format.self)
            try requireCaptureType(format.pointee.type)
            let wanted = format.pointee.fmt.pix
            // The kernel never refuses a pixel format: it substitutes one.
            let index = formats.firstIndex { $0.pixelFormat.rawValue == wanted.pixelformat } ?? 0
            let nearest = nearestSize(in: formats[index].sizes, width: Int(wanted.width), height: Int(wanted.height))
            if request == STYLIZE_VIDIOC_S_FMT {
                guard buffers.isEmpty else { throw .busy }
                formatIndex = index
                size = nearest
                framesPerSecond = nearestRate(to: Double(framesPerSecond))
            }
            format.pointee.fmt.pix = pixFormat(formatIndex: index, size: nearest)

        case STYLIZE_VIDIOC_G_PARM, STYLIZE_VIDIOC_S_PARM:
            let parameters = argument.assumingMemoryBound(to: v4l2_streamparm.self)
            try requireCaptureType(parameters.pointee.type)
            if request == STYLIZE_VIDIOC_S_PARM {
                guard !isStreaming else { throw .busy }
                let wanted = parameters.pointee.parm.capture.timeperframe
                framesPerSecond = wanted.numerator == 0 || wanted.denominator == 0
                    ? format.framesPerSecond.max()!
                    : nearestRate(to: Double(wanted.denominator) / Double(wanted.numerator))
            }
            parameters.pointee.parm.capture = v4l2_captureparm()
            parameters.pointee.parm.capture.capability = UInt32(V4L2_CAP_TIMEPERFRAME)
            parameters.pointee.parm.capture.timeperframe = v4l2_fract(numerator: 1, denominator: UInt32(framesPerSecond))

        case STYLIZE_VIDIOC_REQBUFS:
            let request = argument.assumingMemoryBound(to: v4l2_requestbuffers.self)
            try requireCaptureType(request.pointee.type)
            guard request.pointee.memory == UInt32(V4L2_MEMORY_MMAP.rawValue) else { throw .invalidArgument }
            try requireQueueAccess(file)
            guard !isStreaming, !buffers.contains(where: { $0.mapCount > 0 }) else { throw .busy }
            releaseBuffers()
            let count = request.pointee.count == 0 ? 0 : min(32, max(2, Int(request.pointee.count)))
            let sizeImage = Int(pixFormat(formatIndex: formatIndex, size: size).sizeimage)
            let pageSize = 4096
            let stride = (sizeImage + pageSize - 1) / pageSize * pageSize
            buffers = (0..<count).map { FakeBuffer(index: $0, length: sizeImage, offset: UInt32($0 * stride)) }
            queueOwner = count > 0 ? file : nil
            request.pointee.count = UInt32(count)
            request.pointee.capabilities = UInt32(V4L2_BUF_CAP_SUPPORTS_MMAP)

        case STYLIZE_VIDIOC_QUERYBUF:
            let buffer = argument.assumingMemoryBound(to: v4l2_buffer.self)
            try requireCaptureType(buffer.pointee.type)
            let index = Int(buffer.pointee.index)
            guard index < buffers.count else { throw .invalidArgument }
            describe(buffers[index], into: buffer)

        case STYLIZE_VIDIOC_QBUF:
            let buffer = argument.assumingMemoryBound(to: v4l2_buffer.self)
            try requireCaptureType(buffer.pointee.type)
            try requireQueueAccess(file)
            let index = Int(buffer.pointee.index)
            guard index < buffers.count, buffer.pointee.memory == UInt32(V4L2_MEMORY_MMAP.rawValue),
                  buffers[index].state == .dequeued else { throw .invalidArgument }
            buffers[index].state = .queued
            queued.append(buffers[index])
            describe(buffers[index], into: buffer)

        case STYLIZE_VIDIOC_DQBUF:
            let buffer = argument.assumingMemoryBound(to: v4l2_buffer.self)
            try requireCaptureType(buffer.pointee.type)
            try requireQueueAccess(file)
            guard isStreaming else { throw .invalidArgument }
            guard !done.isEmpty else { throw .again }
            let ready = done.removeFirst()
            ready.state = .dequeued
            describe(ready, into: buffer)

        case STYLIZE_VIDIOC_STREAMON, STYLIZE_VIDIOC_STREAMOFF:
            let type = argument.assumingMemoryBound(to: Int32.self).pointee
            try requireCaptureType(UInt32(bitPattern: type))
            try requireQueueAccess(file)
            if request == STYLIZE_VIDIOC_STREAMON {
                guard !buffers.isEmpty else { throw .invalidArgument }
                if !isStreaming { nextSequence = 0 }
                isStreaming = true
            } else {
                stopStreaming()
            }

        default:
            throw .notATTY
        }
    }

    // MARK: Frames

    func produceFrames(_ count: Int, damaged: Bool = false) {
        for _ in 0..<count { captureOneFrame(damaged: damaged) }
    }

    func loseFrames(_ count: Int) {
        guard isStreaming else { return }
        nextSequence &+= UInt32(count)
        clock += Int64(count) * frameDuration
    }

    private var frameDuration: Int64 { 1_000_000 / Int64(framesPerSecond) }

    private func captureOneFrame(damaged: Bool = false) {
        guard isStreaming else { return }
        let sequence = nextSequence
        nextSequence &+= 1
        clock += frameDuration
        // No empty buffer: the frame is lost, leaving a gap in the sequence.
        guard !queued.isEmpty else { return }
        let buffer = queued.removeFirst()
        let pix = pixFormat(formatIndex: formatIndex, size: size)
        buffer.bytesUsed = FakeTestPattern.render(
            into: buffer.memory!, capacity: buffer.length, pixelFormat: format.pixelFormat,
            width: size.width, height: size.height, bytesPerLine: Int(pix.bytesperline), frameNumber: Int(sequence))
        buffer.isDamaged = damaged
        buffer.sequence = sequence
        buffer.timestamp = timeval(tv_sec: Int(clock / 1_000_000), tv_usec: Int(clock % 1_000_000))
        buffer.state = .done
        done.append(buffer)
    }

    // MARK: Other calls

    override func buffer(atOffset offset: Int64) -> FakeBuffer? {
        buffers.first { Int64($0.offset) == offset }
    }

    override func poll(_ file: FakeOpenFile, events: Int16, mayWait: Bool) -> Int16 {
        guard isStreaming, queueOwner === file else { return Int16(POLLERR) }
        if done.isEmpty, mayWait, producesFrameWhenPolled { captureOneFrame() }
        return done.isEmpty ? 0 : events & Int16(POLLIN | POLLRDNORM)
    }

    override func closed(_ file: FakeOpenFile) {
        // The owner's close ends streaming and frees the queue (memory lives
        // on while mapped).
        guard queueOwner === file else { return }
        stopStreaming()
        releaseBuffers()
        queueOwner = nil
    }

    // MARK: Helpers

    private func requireCaptureType(_ type: UInt32) throws(SystemErrno) {
        guard type == UInt32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue) else { throw .invalidArgument }
    }

    /// vb2: only the descriptor that allocated the buffers may use the queue.
    private func requireQueueAccess(_ file: FakeOpenFile) throws(SystemErrno) {
        if let owner = queueOwner, owner !== file { throw .busy }
    }

    private func stopStreaming() {
        isStreaming = false
        for buffer in buffers { buffer.state = .dequeued }
        queued.removeAll()
        done.removeAll()
    }

    private func releaseBuffers() {
        for buffer in buffers { buffer.release() }
        buffers.removeAll()
        queued.removeAll()
        done.removeAll()
    }

    private func describe(_ buffer: FakeBuffer, into pointer: UnsafeMutablePointer<v4l2_buffer>) {
        var flags = UInt32(V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC)
        if buffer.mapCount > 0 { flags |= UInt32(V4L2_BUF_FLAG_MAPPED) }
        if buffer.state == .queued { flags |= UInt32(V4L2_BUF_FLAG_QUEUED) }
        if buffer.state == .done { flags |= UInt32(V4L2_BUF_FLAG_DONE) }
        if buffer.isDamaged { flags |= UInt32(V4L2_BUF_FLAG_ERROR) }
        var described = v4l2_buffer()
        described.index = UInt32(buffer.index)
        described.type = UInt32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
        described.memory = UInt32(V4L2_MEMORY_MMAP.rawValue)
        described.flags = flags
        described.field = UInt32(V4L2_FIELD_NONE.rawValue)
        described.bytesused = UInt32(buffer.bytesUsed)
        described.sequence = buffer.sequence
        described.timestamp = buffer.timestamp
        described.m.offset = buffer.offset
        described.length = UInt32(buffer.length)
        pointer.pointee = described
    }

    private func pixFormat(formatIndex: Int, size: FakeCameraFormat.Size) -> v4l2_pix_format {
        var pix = v4l2_pix_format()
        let pixelFormat = formats[formatIndex].pixelFormat
        pix.width = UInt32(size.width)
        pix.height = UInt32(size.height)
        pix.pixelformat = pixelFormat.rawValue
        pix.field = UInt32(V4L2_FIELD_NONE.rawValue)
        pix.colorspace = UInt32(V4L2_COLORSPACE_SRGB.rawValue)
        if let layout = pixelFormat.packedLayout(width: size.width, height: size.height) {
            pix.bytesperline = UInt32(layout.bytesPerLine)
            pix.sizeimage = UInt32(layout.frameSize)
        } else {
            // Compressed: no lines; uvcvideo reports the camera's maximum frame size.
            pix.bytesperline = 0
            pix.sizeimage = UInt32(size.width * size.height * 2)
        }
        return pix
    }

    /// uvcvideo's choice: the size sharing the most area with the request.
    private func nearestSize(in sizes: [FakeCameraFormat.Size], width: Int, height: Int) -> FakeCameraFormat.Size {
        sizes.min { distance($0, width, height) < distance($1, width, height) }!
    }

    private func distance(_ size: FakeCameraFormat.Size, _ width: Int, _ height: Int) -> Int {
        size.width * size.height + width * height - 2 * min(size.width, width) * min(size.height, height)
    }

    private func nearestRate(to wanted: Double) -> Int {
        format.framesPerSecond.min { abs(Double($0) - wanted) < abs(Double($1) - wanted) }!
    }
}

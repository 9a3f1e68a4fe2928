import Camera
import CV4L2
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An in-memory stand-in for the kernel's V4L2 layer (uvcvideo cameras,
/// v4l2loopback outputs), reached through `driver` exactly like the real one:
/// raw request codes, pointers to the C structs, errno values.
///
/// Time is virtual: frames arrive when a test calls `produceFrames`, never on
/// their own, and poll never sleeps. Thread-safe (one lock around everything).
///
/// What it models is listed in `FakeCaptureNode` and `FakeLoopbackNode`.
public final class FakeV4L2Kernel: @unchecked Sendable {
    private let lock = NSLock()
    private var nodes: [String: FakeNode] = [:]
    private var openFiles: [Int32: FakeOpenFile] = [:]
    private var nextDescriptor: Int32 = 100
    /// Mapped buffer memory, by address, for munmap.
    private var mappings: [UnsafeMutableRawPointer: FakeBuffer] = [:]
    private var requestLog: [String] = []

    public init() {}

    // MARK: Building the device tree

    /// A UVC-like webcam, plus its metadata node at `metadataPath` (uvcvideo
    /// creates one per camera; it cannot capture video).
    public func addCamera(path: String = "/dev/video0", card: String = "Fake UVC Camera",
                          formats: [FakeCameraFormat] = FakeCameraFormat.typicalWebcam, metadataPath: String? = nil) {
        withLock {
            nodes[path] = FakeCaptureNode(path: path, card: card, formats: formats)
            if let metadataPath { nodes[metadataPath] = FakeMetadataNode(path: metadataPath, card: card) }
        }
    }

    /// A v4l2loopback node (as loaded with exclusive_caps=1).
    public func addLoopback(path: String = "/dev/video10", card: String = "Stylize") {
        withLock { nodes[path] = FakeLoopbackNode(path: path, card: card) }
    }

    // MARK: Driving it from a test

    /// The camera at `path` captures `count` frames. Each takes the oldest
    /// queued buffer; with none queued the frame is lost (a sequence gap),
    /// as on real hardware. Nothing happens while the camera is not streaming.
    /// `damaged` frames carry V4L2_BUF_FLAG_ERROR, as uvcvideo marks frames
    /// with missing USB packets.
    public func produceFrames(_ count: Int, on path: String = "/dev/video0", damaged: Bool = false) {
        withLock { (nodes[path] as? FakeCaptureNode)?.produceFrames(count, damaged: damaged) }
    }

    /// The camera at `path` loses `count` frames before they reach a buffer
    /// (USB bandwidth, a busy bus): the sequence number jumps.
    public func loseFrames(_ count: Int, on path: String = "/dev/video0") {
        withLock { (nodes[path] as? FakeCaptureNode)?.loseFrames(count) }
    }

    /// When true, a poll with a non-zero timeout on the camera at `path`
    /// that finds nothing ready captures one frame first, as if the camera
    /// delivered during the wait: for code that polls in a loop (a live
    /// pipeline) with no test producing the frames.
    public func setProducesFrameWhenPolled(_ enabled: Bool, on path: String = "/dev/video0") {
        withLock { (nodes[path] as? FakeCaptureNode)?.producesFrameWhenPolled = enabled }
    }

    /// The device disappears: its path no longer opens (ENOENT), every call
    /// on a descriptor already open fails with ENODEV, poll reports POLLERR.
    /// close and munmap still work, as they do in the kernel.
    public func unplug(_ path: String) {
        withLock {
            nodes[path]?.isUnplugged = true
            nodes[path] = nil
        }
    }

    /// Frames written to the loopback node at `path`, oldest first.
    public func writtenFrames(on path: String = "/dev/video10") -> [FakeWrittenFrame] {
        withLock { (allNodes.first { $0.path == path } as? FakeLoopbackNode)?.writtenFrames ?? [] }
    }

    /// Descriptors currently open (leak checks).
    public var openDescriptorCount: Int { withLock { openFiles.count } }
    /// Buffer mappings not yet unmapped (leak checks).
    public var mappedBufferCount: Int { withLock { mappings.values.reduce(0) { $0 + $1.mapCount } } }
    /// Buffer memory not yet freed: freed once released by the driver and unmapped.
    public var liveBufferCount: Int {
        withLock {
            let queued = allNodes.compactMap { $0 as? FakeCaptureNode }.flatMap(\.buffers)
            let alive = (queued + Array(mappings.values)).filter { $0.memory != nil }
            return Set(alive.map(ObjectIdentifier.init)).count
        }
    }
    /// The ioctls issued so far, by name ("VIDIOC_STREAMOFF"), oldest first.
    public var ioctlNames: [String] { withLock { requestLog } }

    // MARK: The driver

    /// Calls into this fake kernel, shaped like `V4L2Driver.system`.
    public var driver: V4L2Driver {
        V4L2Driver(
            open: { path, flags throws(SystemErrno) in try self.open(path, flags: flags) },
            close: { fd throws(SystemErrno) in try self.close(fd) },
            ioctl: { fd, request, argument throws(SystemErrno) in try self.ioctl(fd, request, argument) },
            mmap: { length, protection, flags, fd, offset throws(SystemErrno) in
                try self.mmap(length: length, protection: protection, flags: flags, fd: fd, offset: offset)
            },
            munmap: { address, length throws(SystemErrno) in try self.munmap(address, length: length) },
            poll: { fd, events, timeout throws(SystemErrno) in try self.poll(fd, events: events, timeoutMilliseconds: timeout) },
            read: { fd, buffer throws(SystemErrno) in try self.read(fd, into: buffer) },
            write: { fd, buffer throws(SystemErrno) in try self.write(fd, from: buffer) }
        )
    }

    // MARK: System calls

    private func open(_ path: String, flags: Int32) throws(SystemErrno) -> Int32 {
        lock.lock(); defer { lock.unlock() }
        guard let node = nodes[path] else { throw .noEntry }
        let fd = nextDescriptor
        nextDescriptor += 1
        openFiles[fd] = FakeOpenFile(descriptor: fd, node: node, isNonBlocking: flags & O_NONBLOCK != 0)
        return fd
    }

    private func close(_ fd: Int32) throws(SystemErrno) {
        lock.lock(); defer { lock.unlock() }
        guard let file = openFiles.removeValue(forKey: fd) else { throw .badFileDescriptor }
        file.node.closed(file)
    }

    private func ioctl(_ fd: Int32, _ request: UInt, _ argument: UnsafeMutableRawPointer) throws(SystemErrno) -> Int32 {
        lock.lock(); defer { lock.unlock() }
        guard let file = openFiles[fd] else { throw .badFileDescriptor }
        requestLog.append(Self.name(of: request))
        guard !file.node.isUnplugged else { throw .noDevice }
        if request == STYLIZE_VIDIOC_QUERYCAP {
            let capability = argument.assumingMemoryBound(to: v4l2_capability.self)
            capability.pointee = v4l2_capability()
            setCString(&capability.pointee.driver, file.node.driverName)
            setCString(&capability.pointee.card, file.node.card)
            setCString(&capability.pointee.bus_info, "platform:fake-\(file.node.path)")
            capability.pointee.version = 0x0006_0100
            let nodeCaps = file.node.deviceCaps(for: file)
            capability.pointee.device_caps = nodeCaps
            capability.pointee.capabilities = nodeCaps | UInt32(V4L2_CAP_DEVICE_CAPS)
            return 0
        }
        try file.node.ioctl(file, request, argument)
        return 0
    }

    private func mmap(length: Int, protection: Int32, flags: Int32, fd: Int32, offset: Int64) throws(SystemErrno) -> UnsafeMutableRawPointer {
        lock.lock(); defer { lock.unlock() }
        guard let file = openFiles[fd] else { throw .badFileDescriptor }
        guard !file.node.isUnplugged else { throw .noDevice }
        // vb2 maps only shared, and only whole buffers it handed out.
        guard flags & MAP_SHARED != 0, let buffer = file.node.buffer(atOffset: offset), length <= buffer.length,
              let memory = buffer.memory else { throw .invalidArgument }
        buffer.mapCount += 1
        mappings[memory] = buffer
        return memory
    }

    private func munmap(_ address: UnsafeMutableRawPointer, length: Int) throws(SystemErrno) {
        lock.lock(); defer { lock.unlock() }
        guard let buffer = mappings[address] else { throw .invalidArgument }
        buffer.mapCount -= 1
        if buffer.mapCount == 0 {
            mappings[address] = nil
            buffer.freeIfUnused()
        }
    }

    private func poll(_ fd: Int32, events: Int16, timeoutMilliseconds: Int32) throws(SystemErrno) -> Int16 {
        lock.lock(); defer { lock.unlock() }
        // poll(2) reports a closed descriptor as POLLNVAL rather than failing.
        guard let file = openFiles[fd] else { return Int16(POLLNVAL) }
        if file.node.isUnplugged { return Int16(POLLERR | POLLHUP) }
        return file.node.poll(file, events: events, mayWait: timeoutMilliseconds != 0)
    }

    private func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemErrno) -> Int {
        lock.lock(); defer { lock.unlock() }
        guard let file = openFiles[fd] else { throw .badFileDescriptor }
        guard !file.node.isUnplugged else { throw .noDevice }
        return try file.node.read(file, into: buffer)
    }

    private func write(_ fd: Int32, from buffer: UnsafeRawBufferPointer) throws(SystemErrno) -> Int {
        lock.lock(); defer { lock.unlock() }
        guard let file = openFiles[fd] else { throw .badFileDescriptor }
        guard !file.node.isUnplugged else { throw .noDevice }
        return try file.node.write(file, from: buffer)
    }

    // MARK: Helpers

    /// Nodes still reachable: plugged in, or open somewhere.
    private var allNodes: [FakeNode] { Array(nodes.values) + openFiles.values.map(\.node) }

    private func withLock<Value>(_ body: () -> Value) -> Value {
        lock.lock(); defer { lock.unlock() }
        return body()
    }

    static func name(of request: UInt) -> String {
        let names: [(UInt, String)] = [
            (STYLIZE_VIDIOC_QUERYCAP, "VIDIOC_QUERYCAP"), (STYLIZE_VIDIOC_ENUM_FMT, "VIDIOC_ENUM_FMT"),
            (STYLIZE_VIDIOC_G_FMT, "VIDIOC_G_FMT"), (STYLIZE_VIDIOC_S_FMT, "VIDIOC_S_FMT"),
            (STYLIZE_VIDIOC_TRY_FMT, "VIDIOC_TRY_FMT"), (STYLIZE_VIDIOC_ENUM_FRAMESIZES, "VIDIOC_ENUM_FRAMESIZES"),
            (STYLIZE_VIDIOC_G_PARM, "VIDIOC_G_PARM"), (STYLIZE_VIDIOC_S_PARM, "VIDIOC_S_PARM"),
            (STYLIZE_VIDIOC_REQBUFS, "VIDIOC_REQBUFS"), (STYLIZE_VIDIOC_QUERYBUF, "VIDIOC_QUERYBUF"),
            (STYLIZE_VIDIOC_QBUF, "VIDIOC_QBUF"), (STYLIZE_VIDIOC_DQBUF, "VIDIOC_DQBUF"),
            (STYLIZE_VIDIOC_STREAMON, "VIDIOC_STREAMON"), (STYLIZE_VIDIOC_STREAMOFF, "VIDIOC_STREAMOFF"),
        ]
        return names.first { $0.0 == request }?.1 ?? String(request, radix: 16)
    }
}

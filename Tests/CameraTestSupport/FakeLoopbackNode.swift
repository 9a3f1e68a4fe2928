import Camera
import CV4L2
#if canImport(Glibc)
import Glibc
#endif

/// An output node behaving like v4l2loopback loaded with exclusive_caps=1:
///
/// - QUERYCAP: VIDEO_OUTPUT | READWRITE | STREAMING until a writer has set
///   a format; from then on other openers see it as a capture device, which
///   is what lets browsers list it as a webcam.
/// - ENUM_FMT / G/S/TRY_FMT on the OUTPUT type (EINVAL for other types):
///   YUYV, I420 (YU12), RGB24; other pixel formats become YUYV; sizes clamped
///   to 2…8192 (YUYV widths rounded down to even); bytesperline and sizeimage
///   filled. The descriptor that sets the format becomes the writer; S_FMT or
///   write() from another one while it is open: EBUSY.
/// - G/S_PARM on OUTPUT: timeperframe clamped to 1…1000 fps.
/// - write(): one frame per call. More than sizeimage bytes: the first
///   sizeimage are taken and the count returned is short. Fewer: EINVAL (the
///   real driver would take a partial frame; the fake is stricter so that
///   our code is held to whole frames). Before any S_FMT: EINVAL.
/// - poll: always writable.
///
/// Not modelled: the capture side (reading frames back through V4L2),
/// streaming (mmap) output, the timeout image, controls.
final class FakeLoopbackNode: FakeNode {
    static let formats: [(PixelFormat, String)] = [(.yuyv, "YUYV 4:2:2"), (.yuv420, "Planar YUV 4:2:0"), (.rgb24, "24-bit RGB 8-8-8")]

    private var pix: v4l2_pix_format
    private var framesPerSecond = v4l2_fract(numerator: 1, denominator: 30)
    private var writer: FakeOpenFile?
    private(set) var writtenFrames: [FakeWrittenFrame] = []

    override init(path: String, card: String) {
        pix = Self.adjusted(pixelFormat: PixelFormat.yuyv.rawValue, width: 640, height: 480)
        super.init(path: path, card: card)
    }

    override var driverName: String { "v4l2 loopback" }

    override func deviceCaps(for file: FakeOpenFile) -> UInt32 {
        let io = UInt32(V4L2_CAP_READWRITE) | UInt32(V4L2_CAP_STREAMING)
        if let writer, writer !== file { return UInt32(V4L2_CAP_VIDEO_CAPTURE) | io }
        return UInt32(V4L2_CAP_VIDEO_OUTPUT) | io
    }

    override func ioctl(_ file: FakeOpenFile, _ request: UInt, _ argument: UnsafeMutableRawPointer) throws(SystemErrno) {
        switch request {
        case STYLIZE_VIDIOC_ENUM_FMT:
            let description = argument.assumingMemoryBound(to: v4l2_fmtdesc.self)
            try requireOutputType(description.pointee.type)
            let index = Int(description.pointee.index)
            guard index < Self.formats.count else { throw .invalidArgument }
            description.pointee.flags = 0
            description.pointee.pixelformat = Self.formats[index].0.rawValue
            setCString(&description.pointee.description, Self.formats[index].1)

        case STYLIZE_VIDIOC_G_FMT:
            let format = argument.assumingMemoryBound(to: v4l2_format.self)
            try requireOutputType(format.pointee.type)
            format.pointee.fmt.pix = pix

        case STYLIZE_VIDIOC_TRY_FMT, STYLIZE_VIDIOC_S_FMT:
            let format = argument.assumingMemoryBound(to: v4l2_format.self)
            try requireOutputType(format.pointee.type)
            let wanted = format.pointee.fmt.pix
            let result = Self.adjusted(pixelFormat: wanted.pixelformat, width: Int(wanted.width), height: Int(wanted.height))
            if request == STYLIZE_VIDIOC_S_FMT {
                if let writer, writer !== file { throw .busy }
                writer = file
                pix = result
            }
            format.pointee.fmt.pix = result

        case STYLIZE_VIDIOC_G_PARM, STYLIZE_VIDIOC_S_PARM:
            let parameters = argument.assumingMemoryBound(to: v4l2_streamparm.self)
            try requireOutputType(parameters.pointee.type)
            if request == STYLIZE_VIDIOC_S_PARM {
                let wanted = parameters.pointee.parm.output.timeperframe
                if wanted.numerator > 0, wanted.denominator > 0 {
                    let rate = min(1000, max(1, Double(wanted.denominator) / Double(wanted.numerator)))
                    framesPerSecond = v4l2_fract(numerator: 1, denominator: UInt32(rate.rounded()))
                }
            }
            parameters.pointee.parm.output = v4l2_outputparm()
            parameters.pointee.parm.output.capability = UInt32(V4L2_CAP_TIMEPERFRAME)
            parameters.pointee.parm.output.timeperframe = framesPerSecond

        default:
            // Buffer-queue ioctls exist in v4l2loopback, but our output path
            // does not use them; unknown requests get ENOTTY like any driver.
            throw request == STYLIZE_VIDIOC_REQBUFS ? .invalidArgument : .notATTY
        }
    }

    override func write(_ file: FakeOpenFile, from buffer: UnsafeRawBufferPointer) throws(SystemErrno) -> Int {
        if let writer, writer !== file { throw .busy }
        guard writer === file else { throw .invalidArgument }
        let frameSize = Int(pix.sizeimage)
        guard buffer.count >= frameSize else { throw .invalidArgument }
        writtenFrames.append(FakeWrittenFrame(
            pixelFormat: PixelFormat(rawValue: pix.pixelformat), width: Int(pix.width), height: Int(pix.height),
            bytesPerLine: Int(pix.bytesperline), bytes: Array(buffer.prefix(frameSize))))
        return frameSize
    }

    override func poll(_ file: FakeOpenFile, events: Int16, mayWait: Bool) -> Int16 {
        events & Int16(POLLOUT | POLLWRNORM)
    }

    override func closed(_ file: FakeOpenFile) {
        if writer === file { writer = nil }
    }

    private func requireOutputType(_ type: UInt32) throws(SystemErrno) {
        guard type == UInt32(V4L2_BUF_TYPE_VIDEO_OUTPUT.rawValue) else { throw .invalidArgument }
    }

    private static func adjusted(pixelFormat: UInt32, width: Int, height: Int) -> v4l2_pix_format {
        let chosen = formats.first { $0.0.rawValue == pixelFormat }?.0 ?? .yuyv
        var width = min(8192, max(2, width))
        let height = min(8192, max(2, height))
        if chosen == .yuyv { width &= ~1 }
        let layout = chosen.packedLayout(width: width, height: height)!
        var pix = v4l2_pix_format()
        pix.width = UInt32(width)
        pix.height = UInt32(height)
        pix.pixelformat = chosen.rawValue
        pix.field = UInt32(V4L2_FIELD_NONE.rawValue)
        pix.colorspace = UInt32(V4L2_COLORSPACE_SRGB.rawValue)
        pix.bytesperline = UInt32(layout.bytesPerLine)
        pix.sizeimage = UInt32(layout.frameSize)
        return pix
    }
}

/// A frame an application wrote to a loopback node.
public struct FakeWrittenFrame: Sendable {
    public let pixelFormat: PixelFormat
    public let width: Int
    public let height: Int
    public let bytesPerLine: Int
    public let bytes: [UInt8]
}

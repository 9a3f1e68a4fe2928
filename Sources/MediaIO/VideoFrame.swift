import CFFmpeg

/// A decoded picture, in the decoder's native pixel format, owning (a reference to) an AVFrame.
/// Read-only once created, so it may cross threads.
public final class VideoFrame: @unchecked Sendable {
    /// In `VideoStreamInfo.timeBase`; strictly increasing across the frames one reader returns.
    /// Relative to the input's start time (as ffmpeg does), so the first frame is usually 0.
    public let pts: Int64
    /// How long the frame is shown, in the same time base (from the packet; else 1/frame rate).
    public let duration: Int64
    /// True if this frame stands in for a packet that failed to decode.
    public let isConcealed: Bool
    /// The picture. Never written to after the VideoFrame is made (several VideoFrames may share it).
    let frame: FrameRef

    init(frame: FrameRef, pts: Int64, duration: Int64, isConcealed: Bool) {
        self.frame = frame
        self.pts = pts
        self.duration = duration
        self.isConcealed = isConcealed
    }

    /// The same picture `ticks` earlier on the timeline (a time range's output starts at zero).
    public func moved(earlierBy ticks: Int64) -> VideoFrame {
        VideoFrame(frame: frame, pts: pts - ticks, duration: duration, isConcealed: isConcealed)
    }

    public var width: Int { frame.width }
    public var height: Int { frame.height }
    /// FFmpeg's name of the pixel format, e.g. "yuv420p".
    public var pixelFormatName: String { MediaIO.pixelFormatName(frame.pointer.pointee.format) }
    /// The frame's own colour tags.
    public var color: ColorDescription {
        let f = frame.pointer.pointee
        return ColorDescription(primaries: Int(f.color_primaries.rawValue), transfer: Int(f.color_trc.rawValue),
                                matrix: Int(f.colorspace.rawValue), range: Int(f.color_range.rawValue),
                                chromaLocation: Int(f.chroma_location.rawValue))
    }

    /// A frame made from pixels in one tightly packed buffer (planes one after the other, rows without
    /// padding: the layout of `av_image_copy_to_buffer` with align 1), e.g. a camera's YUYV or RGB24 picture.
    public convenience init(width: Int, height: Int, pixelFormatName: String, pts: Int64, duration: Int64 = 1,
                            color: ColorDescription = .unspecified, bytes: UnsafeRawBufferPointer) throws(MediaError) {
        let format = pixelFormat(named: pixelFormatName)
        guard format != AV_PIX_FMT_NONE else {
            throw MediaError(.invalidArgument, "unknown pixel format \"\(pixelFormatName)\"")
        }
        guard width > 0, height > 0 else {
            throw MediaError(.invalidArgument, "invalid picture size \(width)×\(height)")
        }
        let needed = av_image_get_buffer_size(format, Int32(width), Int32(height), 1)
        guard needed >= 0, bytes.count >= Int(needed), let base = bytes.baseAddress else {
            throw MediaError(.invalidArgument,
                             "a \(width)×\(height) \(pixelFormatName) picture needs \(needed) bytes, got \(bytes.count)")
        }
        do {
            let ref = try FrameRef(width: width, height: height, format: format)
            try ffCheck(stylize_frame_copy_from_buffer(ref.pointer, base.assumingMemoryBound(to: UInt8.self), Int32(bytes.count)),
                        "copying pixels")
            ref.pointer.pointee.color_primaries = AVColorPrimaries(UInt32(truncatingIfNeeded: color.primaries))
            ref.pointer.pointee.color_trc = AVColorTransferCharacteristic(UInt32(truncatingIfNeeded: color.transfer))
            ref.pointer.pointee.colorspace = AVColorSpace(UInt32(truncatingIfNeeded: color.matrix))
            ref.pointer.pointee.color_range = AVColorRange(UInt32(truncatingIfNeeded: color.range))
            ref.pointer.pointee.chroma_location = AVChromaLocation(UInt32(truncatingIfNeeded: color.chromaLocation))
            ref.pointer.pointee.pts = pts
            self.init(frame: ref, pts: pts, duration: duration, isConcealed: false)
        } catch {
            throw MediaError(.internalFailure, "making a video frame: \(error.text)")
        }
    }

    /// The pixels in one tightly packed buffer (the layout the initialiser above takes).
    public func pixelBytes() -> [UInt8] {
        var bytes: [UInt8] = []
        return copyPixelBytes(into: &bytes) ? bytes : []
    }

    /// The same into a caller-owned buffer, resized only when the frame's size changes (a
    /// per-frame loop allocates nothing). False, with `bytes` emptied, when FFmpeg cannot copy.
    @discardableResult
    public func copyPixelBytes(into bytes: inout [UInt8]) -> Bool {
        let size = av_image_get_buffer_size(frame.format, Int32(width), Int32(height), 1)
        guard size > 0 else { bytes = []; return false }
        if bytes.count != Int(size) { bytes = [UInt8](repeating: 0, count: Int(size)) }
        let written = bytes.withUnsafeMutableBufferPointer {
            stylize_frame_copy_to_buffer(frame.pointer, $0.baseAddress, size)
        }
        if written < 0 { bytes = []; return false }
        return true
    }
}

/// One demuxed packet, still encoded: a file's audio (the writer copies or transcodes it), or a
/// segment's video (copied when segments are joined). Timestamps are in its stream's time base,
/// relative to the input's start time as the decoded frames' are.
public final class EncodedPacket: @unchecked Sendable {
    let packet: PacketRef
    let timeBase: AVRational

    init(packet: PacketRef, timeBase: AVRational) {
        self.packet = packet
        self.timeBase = timeBase
    }

    /// Presentation time in seconds: the pts, or the dts where a container stores only that (AVI);
    /// nil when the packet has neither.
    public var time: Double? {
        let p = packet.pointer.pointee
        let ticks = p.pts != noPTS ? p.pts : p.dts
        return ticks == noPTS ? nil : Double(ticks) * av_q2d(timeBase)
    }

    /// Presentation and decoding time in ticks of `timeBase` (nil when the packet has none).
    public var pts: Int64? { packet.pointer.pointee.pts == noPTS ? nil : packet.pointer.pointee.pts }
    public var dts: Int64? { packet.pointer.pointee.dts == noPTS ? nil : packet.pointer.pointee.dts }
    public var isKeyframe: Bool { packet.pointer.pointee.flags & AV_PKT_FLAG_KEY != 0 }
    /// Shown for this long, in ticks (0 when unknown).
    public var duration: Int64 { packet.pointer.pointee.duration }

    /// Moves the packet `seconds` earlier on the timeline, in place (a time range's output starts at zero).
    public func move(earlierBy seconds: Double) {
        let ticks = Int64((seconds * Double(timeBase.den) / Double(timeBase.num)).rounded())
        let p = packet.pointer
        if p.pointee.pts != noPTS { p.pointee.pts -= ticks }
        if p.pointee.dts != noPTS { p.pointee.dts -= ticks }
    }
}

public enum MediaItem: Sendable {
    case video(VideoFrame)
    case audio(EncodedPacket)
}

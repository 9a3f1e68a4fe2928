// Thin, typed wrappers around the FFmpeg objects MediaIO uses.
//
// Every raw pointer lives in one of the small final classes below; each owns
// exactly one FFmpeg object and frees it in deinit. Failures come back as an
// `FFError` value (the AVERROR code plus what was being done); the public types
// turn those into `MediaError`s with the file name attached.
import CFFmpeg
import Foundation

// MARK: - Errors as values

/// An FFmpeg return code below zero, with the operation that produced it.
struct FFError: Error, CustomStringConvertible {
    let code: Int32
    let operation: String

    init(_ code: Int32, _ operation: String) {
        self.code = code
        self.operation = operation
    }

    var isEOF: Bool { code == FFCode.eof }
    var isAgain: Bool { code == FFCode.again }
    /// FFmpeg's own text for the code, e.g. "No space left on device".
    var text: String { FFCode.describe(code) }
    var description: String { "\(operation): \(text)" }
}

enum FFCode {
    static let eof = stylize_averror_eof()
    static let again = stylize_averror(EAGAIN)
    static let invalidData = stylize_averror_invaliddata()
    static let noMemory = stylize_averror(ENOMEM)
    static let decoderNotFound = stylize_averror_decoder_not_found()
    static let encoderNotFound = stylize_averror_encoder_not_found()
    static let invalidArgument = stylize_averror(EINVAL)

    static func errno(_ code: Int32) -> Int32? {
        // AVERROR(e) is -e for POSIX errors; FFERRTAG codes are large negatives.
        (code < 0 && code > -4096) ? -code : nil
    }

    static func describe(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 128)
        if av_strerror(code, &buffer, buffer.count) < 0 { return "error \(code)" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Throws when `ret` is an FFmpeg error code; passes non-negative values through.
@discardableResult
func ffCheck(_ ret: Int32, _ operation: @autoclosure () -> String) throws(FFError) -> Int32 {
    if ret < 0 { throw FFError(ret, operation()) }
    return ret
}

let noPTS: Int64 = stylize_av_nopts()

// MARK: - One-time library set-up

enum FFmpegRuntime {
    /// Runs once, on first use of any MediaIO type: FFmpeg logs nothing unless asked to.
    static let configured: Void = {
        av_log_set_level(AV_LOG_QUIET)
    }()
}

/// FFmpeg's own logging. Quiet by default: MediaIO reports problems through `MediaError`.
public enum MediaLog {
    /// `true` lets FFmpeg print its warnings and errors to stderr (for debugging); `false` silences it.
    public static func setVerbose(_ verbose: Bool) {
        _ = FFmpegRuntime.configured
        av_log_set_level(verbose ? AV_LOG_WARNING : AV_LOG_QUIET)
    }
}

// MARK: - Rationals and small helpers

extension Rational {
    init(_ q: AVRational) { self.init(num: q.num, den: q.den) }
    var av: AVRational { AVRational(num: num, den: den) }
    var isValid: Bool { num > 0 && den > 0 }
}

func rescale(_ value: Int64, from: AVRational, to: AVRational) -> Int64 {
    if value == noPTS { return noPTS }
    if from.num == to.num && from.den == to.den { return value }
    return av_rescale_q(value, from, to)
}

func pixelFormatName(_ format: Int32) -> String {
    guard let name = av_get_pix_fmt_name(AVPixelFormat(format)) else { return "none" }
    return String(cString: name)
}

func pixelFormat(named name: String) -> AVPixelFormat {
    av_get_pix_fmt(name)
}

func codecName(_ id: AVCodecID) -> String {
    guard let name = avcodec_get_name(id) else { return "unknown" }
    return String(cString: name)
}

/// The codec's name, or for one FFmpeg does not know, its four-character code: `unknown "ZZZZ"`.
func describeCodec(_ par: UnsafePointer<AVCodecParameters>) -> String {
    let id = par.pointee.codec_id
    if id != AV_CODEC_ID_NONE { return codecName(id) }
    let tag = par.pointee.codec_tag
    let bytes = (0..<4).map { UInt8(truncatingIfNeeded: tag >> (8 * $0)) }
    guard tag != 0, bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return "unknown" }
    return "unknown \"\(String(decoding: bytes, as: UTF8.self))\""
}

func isRGBFormat(_ format: AVPixelFormat) -> Bool {
    guard let desc = av_pix_fmt_desc_get(format) else { return false }
    return desc.pointee.flags & UInt64(AV_PIX_FMT_FLAG_RGB) != 0 || format == AV_PIX_FMT_PAL8
}

/// yuvj* formats are full range by definition.
func isJPEGFormat(_ format: AVPixelFormat) -> Bool {
    switch format {
    case AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUVJ422P, AV_PIX_FMT_YUVJ444P, AV_PIX_FMT_YUVJ440P, AV_PIX_FMT_YUVJ411P:
        return true
    default:
        return false
    }
}

// MARK: - AVFrame

/// Owns one AVFrame. Shared between VideoFrames only once it is finished (read-only from then on).
final class FrameRef: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<AVFrame>

    init() throws(FFError) {
        guard let frame = av_frame_alloc() else { throw FFError(FFCode.noMemory, "allocating a frame") }
        pointer = frame
    }

    /// A frame of the given size and format with freshly allocated, writable buffers.
    convenience init(width: Int, height: Int, format: AVPixelFormat) throws(FFError) {
        try self.init()
        pointer.pointee.width = Int32(width)
        pointer.pointee.height = Int32(height)
        pointer.pointee.format = format.rawValue
        try ffCheck(av_frame_get_buffer(pointer, 0), "allocating a \(width)×\(height) picture")
    }

    /// A new reference to the same buffers (and a copy of the properties).
    func clone() throws(FFError) -> FrameRef {
        let copy = try FrameRef()
        try ffCheck(av_frame_ref(copy.pointer, pointer), "referencing a frame")
        return copy
    }

    deinit {
        var frame: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&frame)
    }

    var width: Int { Int(pointer.pointee.width) }
    var height: Int { Int(pointer.pointee.height) }
    var format: AVPixelFormat { AVPixelFormat(pointer.pointee.format) }
    var sampleCount: Int { Int(pointer.pointee.nb_samples) }

    func data(_ plane: Int) -> UnsafeMutablePointer<UInt8>? { stylize_frame_data(pointer, Int32(plane)) }
    func linesize(_ plane: Int) -> Int { Int(stylize_frame_linesize(pointer, Int32(plane))) }

    /// Takes `source`'s colour description (primaries, transfer, chroma siting, pixel aspect) and
    /// pts, with the YUV `matrix` and range this picture was converted to.
    func tagColors(like source: FrameRef, matrix: AVColorSpace, fullRange: Bool) {
        let o = source.pointer.pointee
        pointer.pointee.color_range = fullRange ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG
        pointer.pointee.colorspace = matrix
        pointer.pointee.color_primaries = o.color_primaries
        pointer.pointee.color_trc = o.color_trc
        pointer.pointee.chroma_location = o.chroma_location
        pointer.pointee.sample_aspect_ratio = o.sample_aspect_ratio
        pointer.pointee.pts = o.pts
    }

    var fullRange: Bool {
        isJPEGFormat(format) || pointer.pointee.color_range == AVCOL_RANGE_JPEG
    }
}

// MARK: - AVPacket

final class PacketRef: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<AVPacket>

    init() throws(FFError) {
        guard let packet = av_packet_alloc() else { throw FFError(FFCode.noMemory, "allocating a packet") }
        pointer = packet
    }

    /// Takes over the contents of `other`, leaving it blank.
    convenience init(movingFrom other: PacketRef) throws(FFError) {
        try self.init()
        av_packet_move_ref(pointer, other.pointer)
    }

    func clone() throws(FFError) -> PacketRef {
        let copy = try PacketRef()
        try ffCheck(av_packet_ref(copy.pointer, pointer), "referencing a packet")
        return copy
    }

    func unref() { av_packet_unref(pointer) }

    deinit {
        var packet: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&packet)
    }
}

// MARK: - AVCodecParameters

/// An immutable copy of a stream's codec parameters, safe to hand to another thread.
final class CodecParameters: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<AVCodecParameters>

    init(copying source: UnsafePointer<AVCodecParameters>) throws(FFError) {
        guard let params = avcodec_parameters_alloc() else {
            throw FFError(FFCode.noMemory, "allocating codec parameters")
        }
        pointer = params
        try ffCheck(avcodec_parameters_copy(params, source), "copying codec parameters")
    }

    deinit {
        var params: UnsafeMutablePointer<AVCodecParameters>? = pointer
        avcodec_parameters_free(&params)
    }

    var codecID: AVCodecID { pointer.pointee.codec_id }
}

// MARK: - AVCodecContext

/// Result of one send/receive step of the codec API.
enum CodecStatus {
    case ok
    case again
    case endOfStream
    case failed(FFError)

    init(_ ret: Int32, _ operation: @autoclosure () -> String) {
        if ret >= 0 {
            self = .ok
        } else if ret == FFCode.again {
            self = .again
        } else if ret == FFCode.eof {
            self = .endOfStream
        } else {
            self = .failed(FFError(ret, operation()))
        }
    }
}

/// Owns an AVCodecContext (decoder or encoder). Confined to one thread.
final class CodecContext {
    let pointer: UnsafeMutablePointer<AVCodecContext>
    let codec: UnsafePointer<AVCodec>

    init(codec: UnsafePointer<AVCodec>) throws(FFError) {
        guard let ctx = avcodec_alloc_context3(codec) else {
            throw FFError(FFCode.noMemory, "allocating a codec context")
        }
        self.codec = codec
        pointer = ctx
    }

    /// A decoder context set up from stream parameters (not yet opened).
    static func decoder(for params: UnsafePointer<AVCodecParameters>, timeBase: AVRational) throws(FFError) -> CodecContext {
        guard let codec = avcodec_find_decoder(params.pointee.codec_id) else {
            throw FFError(FFCode.decoderNotFound, "finding a \(codecName(params.pointee.codec_id)) decoder")
        }
        let ctx = try CodecContext(codec: codec)
        try ffCheck(avcodec_parameters_to_context(ctx.pointer, params), "configuring the decoder")
        ctx.pointer.pointee.pkt_timebase = timeBase
        return ctx
    }

    func open(options: [String: String] = [:]) throws(FFError) {
        var dict: OpaquePointer? = nil
        for (key, value) in options { av_dict_set(&dict, key, value, 0) }
        defer { av_dict_free(&dict) }
        try ffCheck(avcodec_open2(pointer, codec, &dict), "opening the \(name) codec")
    }

    var name: String { String(cString: codec.pointee.name) }

    func send(_ packet: PacketRef?) -> CodecStatus {
        CodecStatus(avcodec_send_packet(pointer, packet?.pointer), "decoding (\(name))")
    }

    /// Forgets every packet and picture in flight (after a seek).
    func flush() { avcodec_flush_buffers(pointer) }

    func receive(into frame: FrameRef) -> CodecStatus {
        CodecStatus(avcodec_receive_frame(pointer, frame.pointer), "decoding (\(name))")
    }

    func send(_ frame: FrameRef?) -> CodecStatus {
        CodecStatus(avcodec_send_frame(pointer, frame?.pointer), "encoding (\(name))")
    }

    func receive(into packet: PacketRef) -> CodecStatus {
        CodecStatus(avcodec_receive_packet(pointer, packet.pointer), "encoding (\(name))")
    }

    deinit {
        var ctx: UnsafeMutablePointer<AVCodecContext>? = pointer
        avcodec_free_context(&ctx)
    }
}

// MARK: - SwsContext

/// One cached SwsContext: rebuilt only when the geometry, formats, flags or colour set-up change.
final class Scaler {
    struct Setup: Equatable {
        var srcWidth: Int, srcHeight: Int, srcFormat: Int32
        var dstWidth: Int, dstHeight: Int, dstFormat: Int32
        var flags: Int32
        var srcMatrix: Int32, srcFullRange: Bool
        var dstMatrix: Int32, dstFullRange: Bool
    }

    private var context: OpaquePointer?
    private var setup: Setup?

    /// Scales/converts `src` into `dst` (both already sized and allocated as in `setup`).
    func scale(_ src: FrameRef, into dst: FrameRef, setup wanted: Setup) throws(FFError) {
        if context == nil || setup != wanted {
            sws_freeContext(context)
            context = nil
            setup = nil
            guard let ctx = sws_getContext(
                Int32(wanted.srcWidth), Int32(wanted.srcHeight), AVPixelFormat(wanted.srcFormat),
                Int32(wanted.dstWidth), Int32(wanted.dstHeight), AVPixelFormat(wanted.dstFormat),
                wanted.flags, nil, nil, nil)
            else {
                throw FFError(FFCode.invalidArgument,
                              "converting \(pixelFormatName(wanted.srcFormat)) \(wanted.srcWidth)×\(wanted.srcHeight) to \(pixelFormatName(wanted.dstFormat)) \(wanted.dstWidth)×\(wanted.dstHeight)")
            }
            // Only the YUV side's matrix matters; swscale ignores it for RGB. Brightness 0,
            // contrast and saturation 1.0 (16.16 fixed point).
            _ = sws_setColorspaceDetails(ctx, sws_getCoefficients(wanted.srcMatrix), wanted.srcFullRange ? 1 : 0,
                                         sws_getCoefficients(wanted.dstMatrix), wanted.dstFullRange ? 1 : 0,
                                         0, 1 << 16, 1 << 16)
            context = ctx
            setup = wanted
        }
        try ffCheck(stylize_sws_scale_frames(context, src.pointer, dst.pointer), "scaling a picture")
    }

    deinit { sws_freeContext(context) }
}

// MARK: - Colour helpers

enum ColorMath {
    /// The YUV matrix (an AVColorSpace / SWS_CS_* value) to use for conversions: the tagged one when
    /// swscale knows it, else BT.709 for HD sizes and BT.601 below (what players assume).
    static func effectiveMatrix(_ tagged: Int32, width: Int, height: Int) -> Int32 {
        switch tagged {
        case AVCOL_SPC_BT709.rawValue.asInt32, AVCOL_SPC_FCC.rawValue.asInt32, AVCOL_SPC_BT470BG.rawValue.asInt32,
             AVCOL_SPC_SMPTE170M.rawValue.asInt32, AVCOL_SPC_SMPTE240M.rawValue.asInt32,
             AVCOL_SPC_BT2020_NCL.rawValue.asInt32, AVCOL_SPC_BT2020_CL.rawValue.asInt32:
            return tagged
        default:
            return (width >= 1280 || height >= 720) ? AVCOL_SPC_BT709.rawValue.asInt32 : AVCOL_SPC_SMPTE170M.rawValue.asInt32
        }
    }

    static func matrix(of frame: FrameRef) -> Int32 {
        effectiveMatrix(Int32(bitPattern: frame.pointer.pointee.colorspace.rawValue), width: frame.width, height: frame.height)
    }
}

extension BinaryInteger {
    var asInt32: Int32 { Int32(truncatingIfNeeded: self) }
}

import CFFmpeg
import Foundation

/// Writes single pictures as PNG or JPEG, the format taken from the file's
/// extension. Used by `stylize image`; video goes through `MediaWriter`.
public enum StillImageWriter {
    public enum Format: Sendable {
        case png, jpeg

        /// The format for a file name, or nil for extensions we do not write.
        public init?(path: String) {
            switch URL(fileURLWithPath: path).pathExtension.lowercased() {
            case "png": self = .png
            case "jpg", "jpeg": self = .jpeg
            default: return nil
            }
        }

        var codecID: AVCodecID { self == .png ? AV_CODEC_ID_PNG : AV_CODEC_ID_MJPEG }
        /// PNG keeps RGB losslessly; JPEG gets full-range 4:4:4 so colour edges stay sharp.
        var pixelFormat: AVPixelFormat { self == .png ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_YUVJ444P }
    }

    /// Encodes `frame` into `path` (written directly: the caller provides a temporary name
    /// and renames it). `jpegQuality` is 1…100 like most image tools.
    public static func write(_ frame: VideoFrame, to path: String, format: Format, jpegQuality: Int = 92) throws(MediaError) {
        let source = frame.frame
        let encoded: [UInt8]
        do throws(FFError) {
            guard let codec = avcodec_find_encoder(format.codecID) else {
                throw FFError(FFCode.encoderNotFound, "finding the \(format) encoder")
            }
            let encoder = try CodecContext(codec: codec)
            let e = encoder.pointer
            e.pointee.width = Int32(source.width)
            e.pointee.height = Int32(source.height)
            e.pointee.pix_fmt = format.pixelFormat
            e.pointee.time_base = AVRational(num: 1, den: 25)
            e.pointee.color_range = AVCOL_RANGE_JPEG
            if format == .jpeg {
                // FFmpeg's qscale 2…31 (lower is better) from the familiar 1…100 scale.
                let q = max(1, min(100, jpegQuality))
                e.pointee.flags |= AV_CODEC_FLAG_QSCALE
                e.pointee.global_quality = Int32(2 + (100 - q) * 29 / 99) * FF_QP2LAMBDA
            }
            try encoder.open()

            let picture = try FrameRef(width: source.width, height: source.height, format: format.pixelFormat)
            let matrix = ColorMath.matrix(of: source)
            try Scaler().scale(source, into: picture, setup: Scaler.Setup(
                srcWidth: source.width, srcHeight: source.height, srcFormat: source.format.rawValue,
                dstWidth: source.width, dstHeight: source.height, dstFormat: format.pixelFormat.rawValue,
                flags: SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP,
                srcMatrix: matrix, srcFullRange: isRGBFormat(source.format) || source.fullRange,
                dstMatrix: matrix, dstFullRange: true))
            picture.pointer.pointee.pts = 0
            if format == .jpeg { picture.pointer.pointee.quality = e.pointee.global_quality }

            var bytes: [UInt8] = []
            let packet = try PacketRef()
            for input in [picture, nil] {
                if case .failed(let error) = encoder.send(input) { throw error }
                while case .ok = encoder.receive(into: packet) {
                    bytes += UnsafeBufferPointer(start: packet.pointer.pointee.data, count: Int(packet.pointer.pointee.size))
                    packet.unref()
                }
            }
            guard !bytes.isEmpty else { throw FFError(FFCode.invalidData, "encoding the picture") }
            encoded = bytes
        } catch {
            throw MediaError(.encoderFailed, "\(path): cannot encode the picture (\(error.text))")
        }
        try writeFile(encoded, to: path)
    }

    /// Plain POSIX writes, so a full disk or a missing folder reports its errno.
    private static func writeFile(_ bytes: [UInt8], to path: String) throws(MediaError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw MediaError.writing(path, FFError(-errno, "creating the file"), fallback: .outputUnwritable) }
        var written = 0
        var failure: Int32 = 0
        bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let n = Foundation.write(fd, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 { if errno == EINTR { continue }; failure = errno; return }
                written += n
            }
        }
        if close(fd) != 0 && failure == 0 { failure = errno }
        if failure != 0 { throw MediaError.writing(path, FFError(-failure, "writing"), fallback: .outputUnwritable) }
    }
}

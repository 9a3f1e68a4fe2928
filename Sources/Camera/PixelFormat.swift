import CV4L2

/// A V4L2 pixel format, i.e. a fourcc code such as "YUYV".
public struct PixelFormat: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Packed 4:2:2, Y0 U Y1 V: what most webcams send uncompressed.
    public static let yuyv = PixelFormat(rawValue: STYLIZE_V4L2_PIX_FMT_YUYV)
    /// Y plane then interleaved UV at half resolution.
    public static let nv12 = PixelFormat(rawValue: STYLIZE_V4L2_PIX_FMT_NV12)
    /// Planar 4:2:0 (I420): Y, then U, then V.
    public static let yuv420 = PixelFormat(rawValue: STYLIZE_V4L2_PIX_FMT_YUV420)
    public static let rgb24 = PixelFormat(rawValue: STYLIZE_V4L2_PIX_FMT_RGB24)
    public static let bgr24 = PixelFormat(rawValue: STYLIZE_V4L2_PIX_FMT_BGR24)
    public static let mjpeg = PixelFormat(rawValue: STYLIZE_V4L2_PIX_FMT_MJPEG)
    public static let h264 = PixelFormat(rawValue: STYLIZE_V4L2_PIX_FMT_H264)

    /// The four characters, e.g. "YUYV".
    public var description: String {
        let bytes = (0..<4).map { UInt8(truncatingIfNeeded: rawValue >> (8 * $0)) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Bytes per line and bytes per frame for the formats we convert,
    /// with no row padding; nil for compressed formats.
    public func packedLayout(width: Int, height: Int) -> (bytesPerLine: Int, frameSize: Int)? {
        switch self {
        case .yuyv: return (width * 2, width * 2 * height)
        case .rgb24, .bgr24: return (width * 3, width * 3 * height)
        case .nv12, .yuv420:
            let chroma = ((width + 1) / 2) * ((height + 1) / 2)
            return (width, width * height + 2 * chroma)
        default: return nil
        }
    }
}

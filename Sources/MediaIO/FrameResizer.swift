import CFFmpeg

/// Frames scaled to one fixed size, cropped to its aspect ratio first (centred, like a
/// camera's sensor crop), so a 16:9 clip played as a 640×480 live source fills the
/// picture instead of being squashed or letterboxed. The result is 4:2:0 YUV (limited
/// range) in the source's matrix: what the live pipeline and its outputs take.
/// One per thread; buffers come from a pool and are reused.
public final class FrameResizer: @unchecked Sendable {
    public let width: Int
    public let height: Int
    private let scaler = Scaler()
    private var pool: PicturePool?

    public init(width: Int, height: Int) {
        _ = FFmpegRuntime.configured
        self.width = width
        self.height = height
    }

    public func resize(_ frame: VideoFrame) throws(MediaError) -> VideoFrame {
        let src = frame.frame
        guard width > 0, height > 0 else { throw MediaError(.invalidArgument, "invalid output size \(width)×\(height)") }
        do {
            // The largest centred window of the wanted aspect ratio; even offsets keep 4:2:0 chroma aligned.
            let source: FrameRef
            let wantWide = src.width * height > width * src.height
            let keepWidth = wantWide ? max(2, src.height * width / height) : src.width
            let keepHeight = wantWide ? src.height : max(2, src.width * height / width)
            if keepWidth < src.width || keepHeight < src.height {
                source = try src.clone()
                let left = ((src.width - keepWidth) / 2) & ~1, top = ((src.height - keepHeight) / 2) & ~1
                source.pointer.pointee.crop_left = left
                source.pointer.pointee.crop_right = src.width - keepWidth - left
                source.pointer.pointee.crop_top = top
                source.pointer.pointee.crop_bottom = src.height - keepHeight - top
                try ffCheck(av_frame_apply_cropping(source.pointer, Int32(AV_FRAME_CROP_UNALIGNED)), "cropping a frame")
            } else {
                source = src
            }
            if pool == nil { pool = try PicturePool(width: width, height: height, format: AV_PIX_FMT_YUV420P) }
            let out = try pool!.frame()
            let matrix = ColorMath.matrix(of: src)
            let shrinking = width < source.width || height < source.height
            try scaler.scale(source, into: out, setup: Scaler.Setup(
                srcWidth: source.width, srcHeight: source.height, srcFormat: source.format.rawValue,
                dstWidth: width, dstHeight: height, dstFormat: AV_PIX_FMT_YUV420P.rawValue,
                flags: (shrinking ? SWS_AREA : SWS_BICUBIC) | SWS_ACCURATE_RND,
                srcMatrix: matrix, srcFullRange: isRGBFormat(source.format) || source.fullRange,
                dstMatrix: matrix, dstFullRange: false))
            out.tagColors(like: src, matrix: AVColorSpace(UInt32(bitPattern: matrix)), fullRange: false)
            return VideoFrame(frame: out, pts: frame.pts, duration: frame.duration, isConcealed: frame.isConcealed)
        } catch {
            throw MediaError(.internalFailure, "scaling a \(src.width)×\(src.height) frame to \(width)×\(height): \(error.text)")
        }
    }
}

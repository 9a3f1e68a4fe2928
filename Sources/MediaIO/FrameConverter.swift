import CFFmpeg

/// An AVBufferPool handing out picture buffers of one size. Buffers return to the pool when the last
/// frame using them is freed, on whatever thread; the pool itself goes when the last buffer does.
final class PicturePool: @unchecked Sendable {
    let width: Int, height: Int, format: AVPixelFormat
    private var pool: OpaquePointer?
    static let align: Int32 = 64

    init(width: Int, height: Int, format: AVPixelFormat) throws(FFError) {
        self.width = width
        self.height = height
        self.format = format
        let size = try ffCheck(av_image_get_buffer_size(format, Int32(width), Int32(height), PicturePool.align),
                               "sizing a \(width)×\(height) picture")
        guard let made = av_buffer_pool_init(Int(size) + Int(PicturePool.align), nil) else {
            throw FFError(FFCode.noMemory, "allocating a picture pool")
        }
        pool = made
    }

    func frame() throws(FFError) -> FrameRef {
        guard let buffer = av_buffer_pool_get(pool) else { throw FFError(FFCode.noMemory, "allocating a picture") }
        let ref = try FrameRef()
        ref.pointer.pointee.width = Int32(width)
        ref.pointer.pointee.height = Int32(height)
        ref.pointer.pointee.format = format.rawValue
        try ffCheck(stylize_frame_attach_buffer(ref.pointer, buffer, PicturePool.align), "laying out a picture")
        return ref
    }

    deinit { av_buffer_pool_uninit(&pool) }
}

/// How finely the composed picture keeps colour: 4:2:0 for video encoders, full resolution for stills.
public enum ChromaLayout: Sendable { case subsampled, full }

/// Pixel conversion between decoded frames and the planar float RGB the style network takes.
/// One per thread: it holds SwsContexts and scratch buffers, reused between frames (no per-frame
/// allocation for a repeated size; output pictures come from a buffer pool). `Sendable` only so it can
/// be handed to its thread; never use one converter from two threads at once.
public final class FrameConverter: @unchecked Sendable {
    private let toRGB = Scaler()
    private let fromRGB = Scaler()
    private let toYUV = Scaler()
    private let toPacked = Scaler()
    private var packedScratch: FrameRef?
    private var rgbScratch: FrameRef?
    private var styleScratch: FrameRef?
    private var originalScratch: FrameRef?
    private var pool: PicturePool?

    public init() {
        _ = FFmpegRuntime.configured
    }

    private static func scratch(_ existing: inout FrameRef?, _ width: Int, _ height: Int,
                                _ format: AVPixelFormat) throws(FFError) -> FrameRef {
        if let frame = existing, frame.width == width, frame.height == height, frame.format == format { return frame }
        let frame = try FrameRef(width: width, height: height, format: format)
        existing = frame
        return frame
    }

    /// Pairs each row of a GBRP picture with the matching row of planar RGB floats (CHW: all R, then
    /// all G, then all B): calls `body` with the picture row and the row's offset among the floats.
    /// GBRP stores its planes in the order G, B, R.
    @inline(__always)
    private static func forEachPlanarRow(of picture: FrameRef, width: Int, height: Int,
                                         _ body: (_ row: UnsafeMutablePointer<UInt8>, _ floatOffset: Int) -> Void) {
        let count = width * height
        for (plane, offset) in [(2, 0), (0, count), (1, 2 * count)] {
            guard let base = picture.data(plane) else { continue }
            let stride = picture.linesize(plane)
            for y in 0..<height { body(base + y * stride, offset + y * width) }
        }
    }

    /// `frame` (any pixel format/size) → planar RGB floats (CHW: all R, then all G, then all B), values
    /// 0...255, scaled to width×height (area filter when shrinking, bicubic otherwise).
    /// `into` holds 3·width·height floats.
    public func planarRGB(from frame: VideoFrame, width: Int, height: Int, into: UnsafeMutablePointer<Float>) throws(MediaError) {
        guard width > 0, height > 0 else {
            throw MediaError(.invalidArgument, "planarRGB: invalid size \(width)×\(height)")
        }
        let src = frame.frame
        do {
            let rgb = try FrameConverter.scratch(&rgbScratch, width, height, AV_PIX_FMT_GBRP)
            let shrinking = width < src.width || height < src.height
            let matrix = ColorMath.matrix(of: src)
            try toRGB.scale(src, into: rgb, setup: Scaler.Setup(
                srcWidth: src.width, srcHeight: src.height, srcFormat: src.format.rawValue,
                dstWidth: width, dstHeight: height, dstFormat: AV_PIX_FMT_GBRP.rawValue,
                flags: (shrinking ? SWS_AREA : SWS_BICUBIC) | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT,
                srcMatrix: matrix, srcFullRange: isRGBFormat(src.format) || src.fullRange,
                dstMatrix: matrix, dstFullRange: true))
            FrameConverter.forEachPlanarRow(of: rgb, width: width, height: height) { row, offset in
                let out = into + offset
                for x in 0..<width { out[x] = Float(row[x]) }
            }
        } catch {
            throw MediaError(.internalFailure, "converting a \(src.width)×\(src.height) \(frame.pixelFormatName) frame to RGB: \(error.text)")
        }
    }

    /// `frame` → packed 8-bit RGB (R G B per pixel, rows without padding) scaled to width×height
    /// (area filter when shrinking): what terminal previews draw.
    public func packedRGB(from frame: VideoFrame, width: Int, height: Int) throws(MediaError) -> [UInt8] {
        guard width > 0, height > 0 else { throw MediaError(.invalidArgument, "packedRGB: invalid size \(width)×\(height)") }
        let src = frame.frame
        do {
            let rgb = try FrameConverter.scratch(&packedScratch, width, height, AV_PIX_FMT_RGB24)
            let matrix = ColorMath.matrix(of: src)
            try toPacked.scale(src, into: rgb, setup: Scaler.Setup(
                srcWidth: src.width, srcHeight: src.height, srcFormat: src.format.rawValue,
                dstWidth: width, dstHeight: height, dstFormat: AV_PIX_FMT_RGB24.rawValue,
                flags: (width < src.width || height < src.height ? SWS_AREA : SWS_BICUBIC) | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT,
                srcMatrix: matrix, srcFullRange: isRGBFormat(src.format) || src.fullRange,
                dstMatrix: matrix, dstFullRange: true))
            var bytes = [UInt8](repeating: 0, count: width * height * 3)
            if let base = rgb.data(0) {
                let stride = rgb.linesize(0)
                bytes.withUnsafeMutableBufferPointer { out in
                    for y in 0..<height { (out.baseAddress! + y * width * 3).update(from: base + y * stride, count: width * 3) }
                }
            }
            return bytes
        } catch {
            throw MediaError(.internalFailure, "converting a \(src.width)×\(src.height) frame to RGB: \(error.text)")
        }
    }

    /// The output picture at the original frame's size in the encoder's format (yuv420p, or yuv444p with
    /// `chroma: .full` for stills; full range when the original was): `stylized` (planar RGB 0...255, any
    /// size, clamped) scaled to the original's size (bicubic) in the original's matrix and range. Before
    /// it becomes a frame, `mix` (when given) gets its planes, writable, and the original's in the same
    /// layout, to blend them (the look's strength: colour work, Pipeline's). pts, duration and
    /// isConcealed come from `original`.
    public func compose(stylized: UnsafePointer<Float>, width: Int, height: Int, original: VideoFrame,
                        chroma: ChromaLayout = .subsampled,
                        mix: ((_ picture: [MutablePlane], _ original: [Plane]) -> Void)? = nil) throws(MediaError) -> VideoFrame {
        guard width > 0, height > 0 else {
            throw MediaError(.invalidArgument, "compose: invalid stylized size \(width)×\(height)")
        }
        let orig = original.frame
        let outWidth = orig.width, outHeight = orig.height
        let origIsRGB = isRGBFormat(orig.format)
        let fullRange = !origIsRGB && orig.fullRange
        let matrix = ColorMath.matrix(of: orig)
        let format = chroma == .full ? AV_PIX_FMT_YUV444P : AV_PIX_FMT_YUV420P
        do {
            // 1. Stylized floats → 8-bit planar RGB.
            let style = try FrameConverter.scratch(&styleScratch, width, height, AV_PIX_FMT_GBRP)
            FrameConverter.forEachPlanarRow(of: style, width: width, height: height) { row, offset in
                let from = stylized + offset
                for x in 0..<width {
                    let v = from[x]
                    row[x] = v >= 255 ? 255 : (v > 0 ? UInt8(v + 0.5) : 0)  // NaN → 0
                }
            }

            // 2. → YUV at the original's size, in the original's matrix and range.
            if pool == nil || pool!.width != outWidth || pool!.height != outHeight || pool!.format != format {
                pool = try PicturePool(width: outWidth, height: outHeight, format: format)
            }
            let out = try pool!.frame()
            let upscaling = outWidth > width || outHeight > height
            try fromRGB.scale(style, into: out, setup: Scaler.Setup(
                srcWidth: width, srcHeight: height, srcFormat: AV_PIX_FMT_GBRP.rawValue,
                dstWidth: outWidth, dstHeight: outHeight, dstFormat: format.rawValue,
                flags: (upscaling || width == outWidth ? SWS_BICUBIC : SWS_AREA) | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP,
                srcMatrix: matrix, srcFullRange: true, dstMatrix: matrix, dstFullRange: fullRange))

            // 3. The original in the same layout (its own planes when it already is), for the caller's blend.
            if let mix {
                let base: FrameRef
                let sameLayout = chroma == .full
                    ? (orig.format == AV_PIX_FMT_YUV444P || orig.format == AV_PIX_FMT_YUVJ444P)
                    : (orig.format == AV_PIX_FMT_YUV420P || orig.format == AV_PIX_FMT_YUVJ420P)
                if sameLayout {
                    base = orig
                } else {
                    base = try FrameConverter.scratch(&originalScratch, outWidth, outHeight, format)
                    try toYUV.scale(orig, into: base, setup: Scaler.Setup(
                        srcWidth: outWidth, srcHeight: outHeight, srcFormat: orig.format.rawValue,
                        dstWidth: outWidth, dstHeight: outHeight, dstFormat: format.rawValue,
                        flags: SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP,
                        srcMatrix: matrix, srcFullRange: origIsRGB || orig.fullRange,
                        dstMatrix: matrix, dstFullRange: fullRange))
                }
                withExtendedLifetime(base) { mix(out.planes(), base.planes().map(Plane.init)) }
            }

            // 5. Metadata.
            out.tagColors(like: orig, matrix: origIsRGB ? AVColorSpace(UInt32(matrix)) : orig.pointer.pointee.colorspace,
                          fullRange: fullRange)
            return VideoFrame(frame: out, pts: original.pts, duration: original.duration, isConcealed: original.isConcealed)
        } catch {
            throw MediaError(.internalFailure, "composing a \(outWidth)×\(outHeight) frame: \(error.text)")
        }
    }
}

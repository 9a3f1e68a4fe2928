import CFFmpeg

/// One plane of a picture: `height` rows of `width` bytes, `stride` bytes apart (Y, U or V of
/// the planar YUV the pipeline works in). Borrowed: valid while the picture it came from lives.
public struct Plane {
    public let base: UnsafePointer<UInt8>
    public let stride: Int
    public let width: Int
    public let height: Int

    public init(_ plane: MutablePlane) {
        (base, stride, width, height) = (UnsafePointer(plane.base), plane.stride, plane.width, plane.height)
    }
}

/// A plane of a picture still being made, before it becomes a `VideoFrame` (read-only from then on).
public struct MutablePlane {
    public let base: UnsafeMutablePointer<UInt8>
    public let stride: Int
    public let width: Int
    public let height: Int
}

extension FrameRef {
    /// Every plane, with the bytes per row and the rows the pixel format gives it.
    func planes() -> [MutablePlane] {
        guard let descriptor = av_pix_fmt_desc_get(format) else { return [] }
        var rowBytes = [Int32](repeating: 0, count: 4)
        guard av_image_fill_linesizes(&rowBytes, format, Int32(width)) >= 0 else { return [] }
        let shift = Int(descriptor.pointee.log2_chroma_h)
        let chromaHeight = (height + (1 << shift) - 1) >> shift
        return (0..<4).compactMap { index in
            guard rowBytes[index] > 0, let base = data(index) else { return nil }
            return MutablePlane(base: base, stride: linesize(index), width: Int(rowBytes[index]),
                                height: index == 1 || index == 2 ? chromaHeight : height)
        }
    }
}

extension VideoFrame {
    /// The picture's planes as it lies in memory (Y, U, V for yuv420p), read within `body` only.
    public func withPlanes<Result>(_ body: ([Plane]) throws -> Result) rethrows -> Result {
        try withExtendedLifetime(frame) {
            try body(frame.planes().map(Plane.init))
        }
    }
}

/// Moves YUV samples between the layouts cameras, virtual cameras and the pipeline use
/// (YUYV, NV12, I420) without colour maths: every Y byte is copied, and chroma is only
/// regrouped — or, from 4:2:2 to 4:2:0, each vertical pair averaged. The colour transforms
/// themselves happen once, in swscale (MediaIO).
///
/// These run on every frame: contiguous rows through raw pointers, no allocation.
public enum PixelRepacking {
    // MARK: Camera → pipeline

    /// Packed YUYV (Y0 U Y1 V; `width` even) → tightly packed I420. 4:2:2 → 4:2:0: each
    /// chroma sample is the rounded mean of two rows' (a last odd row alone keeps its own).
    public static func yuyvToI420(_ source: UnsafePointer<UInt8>, bytesPerLine: Int, width: Int, height: Int,
                                  into destination: UnsafeMutablePointer<UInt8>) {
        let pairs = width / 2
        let chromaWidth = (width + 1) / 2, chromaHeight = (height + 1) / 2
        let uPlane = destination + width * height, vPlane = uPlane + chromaWidth * chromaHeight
        for chromaY in 0..<chromaHeight {
            let top = source + 2 * chromaY * bytesPerLine
            let bottom = 2 * chromaY + 1 < height ? top + bytesPerLine : top
            let lumaTop = destination + 2 * chromaY * width
            let u = uPlane + chromaY * chromaWidth, v = vPlane + chromaY * chromaWidth
            for pair in 0..<pairs {
                let t = top + 4 * pair, b = bottom + 4 * pair
                lumaTop[2 * pair] = t[0]
                lumaTop[2 * pair + 1] = t[2]
                u[pair] = UInt8(truncatingIfNeeded: (UInt16(t[1]) &+ UInt16(b[1]) &+ 1) >> 1)
                v[pair] = UInt8(truncatingIfNeeded: (UInt16(t[3]) &+ UInt16(b[3]) &+ 1) >> 1)
            }
            if bottom != top {
                let lumaBottom = lumaTop + width
                for pair in 0..<pairs {
                    lumaBottom[2 * pair] = bottom[4 * pair]
                    lumaBottom[2 * pair + 1] = bottom[4 * pair + 2]
                }
            }
        }
    }

    /// NV12 (Y plane, then interleaved UV at half resolution; both with `bytesPerLine`) →
    /// tightly packed I420: the same samples, the chroma de-interleaved.
    public static func nv12ToI420(_ source: UnsafePointer<UInt8>, bytesPerLine: Int, width: Int, height: Int,
                                  into destination: UnsafeMutablePointer<UInt8>) {
        copyRows(source, bytesPerLine: bytesPerLine, rowBytes: width, rows: height, into: destination)
        let chromaWidth = (width + 1) / 2, chromaHeight = (height + 1) / 2
        let uPlane = destination + width * height, vPlane = uPlane + chromaWidth * chromaHeight
        let chroma = source + bytesPerLine * height
        for chromaY in 0..<chromaHeight {
            let row = chroma + chromaY * bytesPerLine
            let u = uPlane + chromaY * chromaWidth, v = vPlane + chromaY * chromaWidth
            for x in 0..<chromaWidth {
                u[x] = row[2 * x]
                v[x] = row[2 * x + 1]
            }
        }
    }

    /// Rows of `rowBytes` bytes, `bytesPerLine` apart → packed one after the other (drops
    /// the driver's row padding; RGB24 cameras' pictures are taken as they are this way).
    public static func copyRows(_ source: UnsafePointer<UInt8>, bytesPerLine: Int, rowBytes: Int, rows: Int,
                                into destination: UnsafeMutablePointer<UInt8>) {
        if bytesPerLine == rowBytes { return destination.update(from: source, count: rowBytes * rows) }
        for y in 0..<rows { (destination + y * rowBytes).update(from: source + y * bytesPerLine, count: rowBytes) }
    }

    // MARK: Pipeline → virtual camera

    /// I420 → packed YUYV (`width` even). 4:2:0 → 4:2:2: each chroma row serves two picture rows.
    public static func i420ToYUYV(_ picture: I420Planes, into destination: UnsafeMutablePointer<UInt8>) {
        let width = picture.width
        for y in 0..<picture.height {
            let luma = picture.y + y * picture.yStride
            let u = picture.u + (y / 2) * picture.uStride, v = picture.v + (y / 2) * picture.vStride
            let out = destination + y * width * 2
            for pair in 0..<(width / 2) {
                out[4 * pair] = luma[2 * pair]
                out[4 * pair + 1] = u[pair]
                out[4 * pair + 2] = luma[2 * pair + 1]
                out[4 * pair + 3] = v[pair]
            }
        }
    }

    /// I420 planes with any strides → tightly packed I420.
    public static func packI420(_ picture: I420Planes, into destination: UnsafeMutablePointer<UInt8>) {
        let (width, height, chromaWidth, chromaHeight) = (picture.width, picture.height, picture.chromaWidth, picture.chromaHeight)
        copyRows(picture.y, bytesPerLine: picture.yStride, rowBytes: width, rows: height, into: destination)
        let u = destination + width * height
        copyRows(picture.u, bytesPerLine: picture.uStride, rowBytes: chromaWidth, rows: chromaHeight, into: u)
        copyRows(picture.v, bytesPerLine: picture.vStride, rowBytes: chromaWidth, rows: chromaHeight, into: u + chromaWidth * chromaHeight)
    }
}

/// A borrowed planar 4:2:0 picture (I420): the Y plane, then U and V at ⌈width/2⌉ × ⌈height/2⌉,
/// each with its own row stride. The pipeline's internal pixel format, handed to sinks as it
/// lies in the frame (no packing first). Valid only during the call it is passed to.
public struct I420Planes {
    public let width: Int
    public let height: Int
    public let y: UnsafePointer<UInt8>, u: UnsafePointer<UInt8>, v: UnsafePointer<UInt8>
    public let yStride: Int, uStride: Int, vStride: Int

    public init(width: Int, height: Int, y: UnsafePointer<UInt8>, yStride: Int,
                u: UnsafePointer<UInt8>, uStride: Int, v: UnsafePointer<UInt8>, vStride: Int) {
        self.width = width
        self.height = height
        (self.y, self.u, self.v) = (y, u, v)
        (self.yStride, self.uStride, self.vStride) = (yStride, uStride, vStride)
    }

    /// The three planes packed one after the other, rows without padding (V4L2's YUV420
    /// layout); nil when `bytes` is too short for `width` × `height`.
    public init?(packed bytes: UnsafeRawBufferPointer, width: Int, height: Int) {
        let (chromaWidth, chromaHeight) = ((width + 1) / 2, (height + 1) / 2)
        guard width > 0, height > 0, bytes.count >= width * height + 2 * chromaWidth * chromaHeight,
              let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        let u = base + width * height
        self.init(width: width, height: height, y: base, yStride: width,
                  u: u, uStride: chromaWidth, v: u + chromaWidth * chromaHeight, vStride: chromaWidth)
    }

    /// Throws unless the picture is `width` × `height`: a sink's size is fixed when it opens.
    func requireSize(width: Int, height: Int) throws(CameraError) {
        guard self.width == width, self.height == height else {
            throw CameraError.frameSizeMismatch(expected: "\(width)×\(height)", got: "\(self.width)×\(self.height)")
        }
    }

    public var chromaWidth: Int { (width + 1) / 2 }
    public var chromaHeight: Int { (height + 1) / 2 }
}

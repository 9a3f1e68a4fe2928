/// Where stylized frames go: a virtual camera or a YUV4MPEG2 stream.
public protocol VideoSink: AnyObject {
    /// Writes one frame of packed RGB24 (`width × height × 3` bytes). The size
    /// must be the one the sink was opened with.
    func write(rgb: [UInt8], width: Int, height: Int) throws(CameraError)
    /// Writes one frame of planar I420 (Y, then U, then V; limited range; chroma planes
    /// ⌈width/2⌉ × ⌈height/2⌉), the layout video pipelines already hold — no round trip
    /// through RGB.
    func write(i420: UnsafeRawBufferPointer, width: Int, height: Int) throws(CameraError)
    /// Flushes and releases the device or descriptor. Safe to call twice.
    func close()
}

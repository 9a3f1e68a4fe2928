/// Where stylized frames go: a virtual camera or a YUV4MPEG2 stream.
public protocol VideoSink: AnyObject {
    /// Writes one frame of packed RGB24 (`width × height × 3` bytes). The size
    /// must be the one the sink was opened with.
    func write(rgb: [UInt8], width: Int, height: Int) throws(CameraError)
    /// Flushes and releases the device or descriptor. Safe to call twice.
    func close()
}

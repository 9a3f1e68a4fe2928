/// Where stylized frames go: a virtual camera or a YUV4MPEG2 stream.
public protocol VideoSink: AnyObject {
    /// Writes one picture (limited-range I420, the pipeline's own format). Its size must be
    /// the one the sink was opened with.
    func write(_ picture: I420Planes) throws(CameraError)
    /// Flushes and releases the device or descriptor. Safe to call twice.
    func close()
}

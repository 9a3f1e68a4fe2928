/// One frame from a camera, in the layout the pipeline takes without colour maths.
public struct CapturedFrame: Sendable {
    /// How `pixels` is laid out.
    public enum Layout: Sendable, Equatable {
        /// Planar 4:2:0 (Y, then U, then V at ⌈width/2⌉ × ⌈height/2⌉), BT.601 limited range as
        /// webcams send it: YUYV and NV12 cameras, repacked.
        case i420
        /// Packed R G B: cameras that only give RGB24 (libv4l2's MJPEG decoding), as sent; the
        /// one colour conversion into the pipeline's format is the caller's (swscale).
        case rgb24
    }

    public let width: Int
    public let height: Int
    public let layout: Layout
    /// The picture, rows without padding.
    public let pixels: [UInt8]
    /// The driver's frame counter; gaps mean frames the camera lost.
    public let sequence: UInt32
    /// When the driver captured it (CLOCK_MONOTONIC seconds on Linux).
    public let timestamp: Double
    /// Frames lost between the previous frame returned and this one: older
    /// frames we skipped to return the newest, plus gaps in `sequence`.
    public let dropped: Int
}

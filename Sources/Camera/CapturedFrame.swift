/// One frame from a camera, converted to packed RGB24.
public struct CapturedFrame: Sendable {
    public let width: Int
    public let height: Int
    /// width × height × 3 bytes, R G B, rows without padding.
    public let rgb: [UInt8]
    /// The driver's frame counter; gaps mean frames the camera lost.
    public let sequence: UInt32
    /// When the driver captured it (CLOCK_MONOTONIC seconds on Linux).
    public let timestamp: Double
    /// Frames lost between the previous frame returned and this one: older
    /// frames we skipped to return the newest, plus gaps in `sequence`.
    public let dropped: Int
}

import Camera
import CV4L2

/// uvcvideo's second node per camera: metadata only, no video.
final class FakeMetadataNode: FakeNode {
    override var driverName: String { "uvcvideo" }
    override func deviceCaps(for file: FakeOpenFile) -> UInt32 {
        UInt32(V4L2_CAP_META_CAPTURE) | UInt32(V4L2_CAP_STREAMING)
    }
    override func ioctl(_ file: FakeOpenFile, _ request: UInt, _ argument: UnsafeMutableRawPointer) throws(SystemErrno) {
        // Video buffer types do not exist here.
        throw .invalidArgument
    }
}

import Camera

/// One format a fake camera offers, with its sizes and frame rates.
public struct FakeCameraFormat: Sendable {
    public struct Size: Sendable, Hashable {
        public let width: Int
        public let height: Int
        public init(_ width: Int, _ height: Int) {
            self.width = width
            self.height = height
        }
    }

    public var pixelFormat: PixelFormat
    public var name: String
    /// Discrete sizes, as uvcvideo lists them.
    public var sizes: [Size]
    /// Supported rates, any order.
    public var framesPerSecond: [Int]
    /// Stands for libv4l2 converting this format from another in user space
    /// (ENUM_FMT then carries V4L2_FMT_FLAG_EMULATED).
    public var isEmulated: Bool

    public init(_ pixelFormat: PixelFormat, name: String? = nil, sizes: [Size], framesPerSecond: [Int] = [30, 15],
                isEmulated: Bool = false) {
        self.pixelFormat = pixelFormat
        self.name = name ?? pixelFormat.description
        self.sizes = sizes
        self.framesPerSecond = framesPerSecond
        self.isEmulated = isEmulated
    }

    var isCompressed: Bool { pixelFormat == .mjpeg || pixelFormat == .h264 }

    /// A common USB webcam seen through libv4l2: YUYV up to 640×480 at 30 fps,
    /// MJPEG up to 1280×720, NV12, and RGB24 emulated from them.
    public static let typicalWebcam: [FakeCameraFormat] = [
        FakeCameraFormat(.yuyv, name: "YUYV 4:2:2", sizes: [Size(640, 480), Size(320, 240)], framesPerSecond: [30, 15, 5]),
        FakeCameraFormat(.mjpeg, name: "Motion-JPEG", sizes: [Size(1280, 720), Size(640, 480)], framesPerSecond: [30, 15]),
        FakeCameraFormat(.nv12, name: "Y/UV 4:2:0", sizes: [Size(640, 480), Size(320, 240)], framesPerSecond: [30, 15]),
        FakeCameraFormat(.rgb24, name: "RGB3", sizes: [Size(1280, 720), Size(640, 480), Size(320, 240)],
                         framesPerSecond: [30, 15], isEmulated: true),
    ]
}

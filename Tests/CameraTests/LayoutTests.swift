@testable import Camera
import CV4L2
import XCTest

/// Swift's imported layouts must match C's: the kernel (and the fake) read
/// these structs through raw pointers.
final class LayoutTests: XCTestCase {
    func testImportedStructSizesMatchC() {
        XCTAssertEqual(MemoryLayout<v4l2_capability>.size, Int(STYLIZE_SIZEOF_V4L2_CAPABILITY))
        XCTAssertEqual(MemoryLayout<v4l2_fmtdesc>.size, Int(STYLIZE_SIZEOF_V4L2_FMTDESC))
        XCTAssertEqual(MemoryLayout<v4l2_format>.size, Int(STYLIZE_SIZEOF_V4L2_FORMAT))
        XCTAssertEqual(MemoryLayout<v4l2_frmsizeenum>.size, Int(STYLIZE_SIZEOF_V4L2_FRMSIZEENUM))
        XCTAssertEqual(MemoryLayout<v4l2_streamparm>.size, Int(STYLIZE_SIZEOF_V4L2_STREAMPARM))
        XCTAssertEqual(MemoryLayout<v4l2_requestbuffers>.size, Int(STYLIZE_SIZEOF_V4L2_REQUESTBUFFERS))
        XCTAssertEqual(MemoryLayout<v4l2_buffer>.size, Int(STYLIZE_SIZEOF_V4L2_BUFFER))
        XCTAssertEqual(MemoryLayout<v4l2_buffer>.offset(of: \.m), Int(STYLIZE_OFFSETOF_V4L2_BUFFER_M))
        XCTAssertEqual(MemoryLayout<v4l2_format>.offset(of: \.fmt), Int(STYLIZE_OFFSETOF_V4L2_FORMAT_FMT))
    }

    /// _IOC encodes the argument size in bits 16…29 of each request code.
    func testRequestCodesCarryTheSwiftStructSizes() {
        func argumentSize(_ request: UInt) -> Int { Int((request >> 16) & 0x3fff) }
        XCTAssertEqual(argumentSize(STYLIZE_VIDIOC_QUERYCAP), MemoryLayout<v4l2_capability>.size)
        XCTAssertEqual(argumentSize(STYLIZE_VIDIOC_S_FMT), MemoryLayout<v4l2_format>.size)
        XCTAssertEqual(argumentSize(STYLIZE_VIDIOC_S_PARM), MemoryLayout<v4l2_streamparm>.size)
        XCTAssertEqual(argumentSize(STYLIZE_VIDIOC_REQBUFS), MemoryLayout<v4l2_requestbuffers>.size)
        XCTAssertEqual(argumentSize(STYLIZE_VIDIOC_DQBUF), MemoryLayout<v4l2_buffer>.size)
        XCTAssertEqual(argumentSize(STYLIZE_VIDIOC_STREAMON), MemoryLayout<Int32>.size)
    }

    func testFourCCNames() {
        XCTAssertEqual(PixelFormat.yuyv.description, "YUYV")
        XCTAssertEqual(PixelFormat.nv12.description, "NV12")
        XCTAssertEqual(PixelFormat.yuv420.description, "YU12")
        XCTAssertEqual(PixelFormat.rgb24.description, "RGB3")
        XCTAssertEqual(PixelFormat.mjpeg.description, "MJPG")
    }
}

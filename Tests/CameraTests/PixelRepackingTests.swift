@testable import Camera
import CameraTestSupport
import XCTest

final class PixelRepackingTests: XCTestCase {
    private func render(_ format: PixelFormat, width: Int, height: Int, bytesPerLine: Int, frameNumber: Int = 5) -> [UInt8] {
        var bytes = [UInt8](repeating: 0xEE, count: bytesPerLine * height * 2)
        bytes.withUnsafeMutableBytes {
            _ = FakeTestPattern.render(into: $0.baseAddress!, capacity: $0.count, pixelFormat: format, width: width,
                                       height: height, bytesPerLine: bytesPerLine, frameNumber: frameNumber)
        }
        return bytes
    }

    private func repack(_ source: [UInt8], width: Int, height: Int,
                        _ body: (UnsafePointer<UInt8>, UnsafeMutablePointer<UInt8>) -> Void) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: PixelFormat.yuv420.packedLayout(width: width, height: height)!.frameSize)
        source.withUnsafeBufferPointer { input in out.withUnsafeMutableBufferPointer { body(input.baseAddress!, $0.baseAddress!) } }
        return out
    }

    /// Both camera layouts, with the row padding drivers may add, give the pattern's I420 exactly.
    func testCameraLayoutsRepackToTheSameI420() {
        let (width, height) = (64, 32)
        let expected = FakeTestPattern.i420(width: width, height: height, frameNumber: 5)
        let yuyv = render(.yuyv, width: width, height: height, bytesPerLine: width * 2 + 16)
        XCTAssertEqual(repack(yuyv, width: width, height: height) {
            PixelRepacking.yuyvToI420($0, bytesPerLine: width * 2 + 16, width: width, height: height, into: $1)
        }, expected)
        let nv12 = render(.nv12, width: width, height: height, bytesPerLine: width + 8)
        XCTAssertEqual(repack(nv12, width: width, height: height) {
            PixelRepacking.nv12ToI420($0, bytesPerLine: width + 8, width: width, height: height, into: $1)
        }, expected)
    }

    /// 4:2:2 → 4:2:0: a chroma sample is the rounded mean of the two rows'; an odd last row keeps its own.
    func testYUYVChromaRowsAreAveraged() {
        // 2×3: rows (Y U Y V) with U 10, 21, 200 and V 100, 50, 7.
        let yuyv: [UInt8] = [1, 10, 2, 100,
                             3, 21, 4, 50,
                             5, 200, 6, 7]
        let i420 = repack(yuyv, width: 2, height: 3) {
            PixelRepacking.yuyvToI420($0, bytesPerLine: 4, width: 2, height: 3, into: $1)
        }
        XCTAssertEqual(i420, [1, 2, 3, 4, 5, 6, /* U */ 16, 200, /* V */ 75, 7])
    }

    func testI420ToYUYVRepeatsEachChromaRow() {
        let i420: [UInt8] = [1, 2, 3, 4, 5, 6, /* U */ 16, 200, /* V */ 75, 7]
        var yuyv = [UInt8](repeating: 0, count: 2 * 3 * 2)
        i420.withUnsafeBytes { bytes in
            yuyv.withUnsafeMutableBufferPointer { PixelRepacking.i420ToYUYV(I420Planes(packed: bytes, width: 2, height: 3)!, into: $0.baseAddress!) }
        }
        XCTAssertEqual(yuyv, [1, 16, 2, 75, 3, 16, 4, 75, 5, 200, 6, 7])
    }

    func testPackedPlanesNeedEnoughBytes() {
        let bytes = [UInt8](repeating: 0, count: 33 * 17 + 2 * 17 * 9)
        bytes.withUnsafeBytes {
            XCTAssertNotNil(I420Planes(packed: $0, width: 33, height: 17))
            XCTAssertNil(I420Planes(packed: UnsafeRawBufferPointer(rebasing: $0.dropLast()), width: 33, height: 17))
        }
    }
}

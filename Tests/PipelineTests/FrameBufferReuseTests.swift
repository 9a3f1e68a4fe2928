import Foundation
import XCTest
import MediaIO
@testable import Pipeline
import PresetCatalog

/// The pipeline hands each frame's buffers back for the next frame (`FramePipeline`'s
/// `inputBuffers` and `resultBuffers`): a buffer given back must be written where it is. Taken as
/// a borrowed argument, the caller's own reference made every frame copy it (2 MB at 480 px) into a
/// fresh allocation first, and the new pages were zeroed by the kernel on their first write.
final class FrameBufferReuseTests: XCTestCase {
    private func frameAndSize() throws -> (VideoFrame, NetworkSize) {
        let original = try XCTUnwrap(try MediaReader(path: StyleBankTests.still).nextVideoFrame())
        return (original, NetworkSize(fitting: original.width, original.height, maxSize: 48, multiple: 4))
    }

    func testARecycledInputBufferIsPreparedInPlace() throws {
        let (original, size) = try frameAndSize()
        let preparer = FramePreparer(size: size, flow: nil)
        var recycled = [Float](repeating: -1, count: 3 * size.width * size.height)
        let storage = recycled.storageAddress
        let prepared = try preparer.prepare(original, reusing: recycled.handedOver())
        XCTAssertEqual(prepared.pixels.storageAddress, storage, "written where it was, not copied first")
        XCTAssertEqual(prepared.pixels, try preparer.prepare(original).pixels, "the same picture as into a new buffer")
    }

    func testARecycledResultBufferReceivesTheNetworksOutputInPlace() throws {
        let (original, size) = try frameAndSize()
        let settings = StyleSettings(preset: try PresetCatalog(searchPaths: [StyleBankTests.fixtures]).resolve("alpha"))
        let stylizer = try FrameStylizer(model: try settings.loadModel(), inputRange: 255, size: size)
        let inputs = settings.modelInputs(strength: 0.6)
        var prepared = try FramePreparer(size: size, flow: nil).prepare(original)
        var recycled = [Float](repeating: -1, count: 3 * size.width * size.height)
        let storage = recycled.storageAddress
        let result = try stylizer.stylize(&prepared, reusing: recycled.handedOver(), modelInputs: inputs)
        XCTAssertEqual(result.pixels.storageAddress, storage, "written where it was, not copied first")
        XCTAssertEqual(result.pixels, try stylizer.stylize(original, modelInputs: inputs).pixels)
    }
}

extension Array where Element == Float {
    /// Where the array's elements are stored now: equal before and after, nothing was copied.
    var storageAddress: UInt { withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } }
}

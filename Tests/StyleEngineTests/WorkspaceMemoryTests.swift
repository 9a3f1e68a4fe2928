import XCTest
@testable import StyleEngine

/// A workspace's buffers: zeroed, writable to their last float, and aligned as the kernels and the
/// huge pages want (a cache line; 2 MB from 2 MB on).
final class WorkspaceMemoryTests: XCTestCase {
    func testBuffersAreZeroedAndAligned() {
        for (count, alignment) in [(0, 64), (100, 64), ((1 << 19) - 1, 64), (1 << 19, 1 << 21), (3_000_001, 1 << 21)] {
            let buffer = WorkspaceMemory.allocate(floats: count)
            defer { WorkspaceMemory.release(buffer) }
            let usable = max(count, 16)
            XCTAssertEqual(Int(bitPattern: buffer) % alignment, 0, "\(count) floats")
            XCTAssertTrue(UnsafeBufferPointer(start: buffer, count: usable).allSatisfy { $0 == 0 }, "\(count) floats")
            buffer[usable - 1] = 1
            XCTAssertEqual(buffer[usable - 1], 1)
        }
    }
}

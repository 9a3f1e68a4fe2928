#if canImport(Glibc)
import Glibc
#endif

/// Driver-owned memory for one buffer. Outlives the queue while mapped, as
/// in vb2: REQBUFS(0) or close releases it, the last munmap frees it.
final class FakeBuffer {
    let index: Int
    let length: Int
    let offset: UInt32
    private(set) var memory: UnsafeMutableRawPointer?
    var mapCount = 0
    var isReleased = false

    enum State { case dequeued, queued, done }
    var state = State.dequeued
    var bytesUsed = 0
    var isDamaged = false
    var sequence: UInt32 = 0
    var timestamp = timeval()

    init(index: Int, length: Int, offset: UInt32) {
        self.index = index
        self.length = length
        self.offset = offset
        memory = UnsafeMutableRawPointer.allocate(byteCount: length, alignment: 4096)
        memory!.initializeMemory(as: UInt8.self, repeating: 0, count: length)
    }

    func release() {
        isReleased = true
        freeIfUnused()
    }

    func freeIfUnused() {
        guard isReleased, mapCount == 0, let memory else { return }
        memory.deallocate()
        self.memory = nil
    }
}

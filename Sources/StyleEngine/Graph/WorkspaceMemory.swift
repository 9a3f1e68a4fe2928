import Glibc

/// Zeroed floats for a workspace's buffers. A buffer of 2 MB or more starts on a 2 MB boundary and
/// asks for transparent huge pages: the convolutions read 32 to 128 planes of a few MB side by side,
/// which ordinary 4 KB pages turn into TLB misses. Where the kernel has them off, or refuses, the
/// pages are ordinary ones and nothing else changes.
enum WorkspaceMemory {
    private static let hugePage = 1 << 21

    /// `count` zeroed floats (at least 16, so the pointer is always valid), cache-line aligned; release with `release`.
    static func allocate(floats count: Int) -> UnsafeMutablePointer<Float> {
        let count = max(count, 16)
        let bytes = count * MemoryLayout<Float>.stride
        let huge = bytes >= hugePage
        var memory: UnsafeMutableRawPointer?
        guard posix_memalign(&memory, huge ? hugePage : 64, bytes) == 0, let memory else {
            fatalError("out of memory allocating a workspace buffer of \(bytes) bytes")
        }
        if huge { _ = madvise(memory, bytes, MADV_HUGEPAGE) }
        return memory.initializeMemory(as: Float.self, repeating: 0, count: count)
    }

    static func release(_ pointer: UnsafeMutablePointer<Float>) {
        free(pointer)
    }
}

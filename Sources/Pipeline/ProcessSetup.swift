import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The process-wide choices a program built on this library makes once, at start-up, before
/// any thread starts. A library never makes them by itself: an embedding app owns them.
public enum ProcessSetup {
    public static func apply() {
        tuneMalloc()
        // A reader that goes away (ffplay closed on a piped stream) becomes a write error the
        // pipeline reports with one line, instead of a silent SIGPIPE death.
        signal(SIGPIPE, SIG_IGN)
    }

    /// The pipeline frees and reallocates the same few megabyte-sized buffers every frame
    /// (flow pyramids, masks, frames in flight). glibc serves blocks that large with fresh
    /// mmaps and returns them on free, so every frame paid for zeroing new pages (≈ 5–9% of
    /// a temporal run in `perf`); kept in the heap, reuse is free (+5–10% end-to-end fps at 640×480).
    /// One heap for every thread: a buffer one thread frees is reused by the next that asks,
    /// whichever it is, where per-thread heaps each grew to their own peak (a live run settled
    /// 25% lower, and a file ran 11% faster; docs/robustness.md).
    private static func tuneMalloc() {
        #if canImport(Glibc)
        // mallopt lives in <malloc.h>, which Swift's Glibc module does not import.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let (trimThreshold, mmapThreshold, arenaMax): (Int32, Int32, Int32) = (-1, -3, -8)   // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX
        _ = mallopt(mmapThreshold, 256 << 20)
        _ = mallopt(trimThreshold, 512 << 20)
        _ = mallopt(arenaMax, 1)
        #endif
    }
}

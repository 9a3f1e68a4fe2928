/// How the CPU threads are shared between frame-level workers (each with its
/// own network session) and threads inside one frame (a session splitting its
/// convolutions). One worker per thread wins for throughput — frames share
/// nothing — so that is the default; fewer workers with more threads each
/// lower the latency of a single frame (see Benchmarks/pipeline.sh).
public struct ThreadPlan: Sendable, Equatable, CustomStringConvertible {
    public let workers: Int
    public let threadsPerWorker: Int

    public init(threads: Int, workers: Int? = nil) {
        let total = max(1, threads)
        let w = max(1, min(workers ?? total, total))
        self.workers = w
        self.threadsPerWorker = max(1, total / w)
    }

    public var description: String {
        "\(workers) worker\(workers == 1 ? "" : "s") × \(threadsPerWorker) thread\(threadsPerWorker == 1 ? "" : "s")"
    }
}

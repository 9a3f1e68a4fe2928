import Foundation

/// A named OS thread that can be joined. Pipeline stages block on queues,
/// so they get real threads rather than tasks on a shared cooperative pool.
final class Worker: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)

    init(name: String, body: @escaping @Sendable () -> Void) {
        let thread = Thread { [finished] in
            body()
            finished.signal()
        }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }

    func join() { finished.wait() }
}

/// Keeps the first error any stage reports; later ones are consequences.
final class FirstError: @unchecked Sendable {
    private let lock = NSLock()
    private var error: PipelineError?

    func record(_ newError: PipelineError) {
        lock.withLock { if error == nil { error = newError } }
    }

    var value: PipelineError? { lock.withLock { error } }
}

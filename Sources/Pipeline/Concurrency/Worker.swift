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

/// A value shared between threads, touched only under its lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withValue<T>(_ body: (inout Value) -> T) -> T { lock.withLock { body(&value) } }
}

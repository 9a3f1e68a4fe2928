import Foundation

/// A bounded, blocking, multi-producer multi-consumer queue: the pipe between
/// pipeline stages. Its capacity is what keeps memory flat however long the
/// video is — a fast producer waits for the slowest stage instead of piling
/// frames up.
public final class FrameQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element?]      // ring buffer
    private var head = 0
    private var count = 0
    private var closed = false
    private var cancelled = false
    public let capacity: Int

    public init(capacity: Int) {
        precondition(capacity > 0, "a queue needs room for one element")
        self.capacity = capacity
        items = Array(repeating: nil, count: capacity)
    }

    /// Blocks while full. Returns false (and drops `element`) once the queue is closed or cancelled.
    @discardableResult
    public func push(_ element: Element) -> Bool {
        condition.lock(); defer { condition.unlock() }
        while count == capacity && !closed && !cancelled { condition.wait() }
        guard !closed && !cancelled else { return false }
        items[(head + count) % capacity] = element
        count += 1
        condition.broadcast()
        return true
    }

    /// Blocks while empty. Returns nil once the queue is closed and drained, or cancelled.
    public func pop() -> Element? {
        condition.lock(); defer { condition.unlock() }
        while count == 0 && !closed && !cancelled { condition.wait() }
        return takeLocked()
    }

    /// Returns the next element if one is ready, without waiting.
    public func tryPop() -> Element? {
        condition.lock(); defer { condition.unlock() }
        return takeLocked()
    }

    private func takeLocked() -> Element? {
        guard count > 0 && !cancelled else { return nil }
        let element = items[head]
        items[head] = nil
        head = (head + 1) % capacity
        count -= 1
        condition.broadcast()
        return element
    }

    /// No more pushes; consumers still get what is queued.
    public func close() {
        condition.lock(); closed = true; condition.broadcast(); condition.unlock()
    }

    /// Drops everything and wakes every waiter: used when a stage fails.
    public func cancel() {
        condition.lock()
        cancelled = true
        items = Array(repeating: nil, count: capacity)
        count = 0
        condition.broadcast()
        condition.unlock()
    }

    public var isCancelled: Bool {
        condition.lock(); defer { condition.unlock() }
        return cancelled
    }
}

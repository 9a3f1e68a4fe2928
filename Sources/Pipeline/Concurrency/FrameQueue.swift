import Foundation

/// A bounded, blocking, multi-producer multi-consumer queue: the pipe between
/// pipeline stages. Its capacity is what keeps memory flat however long the
/// video is — a fast producer waits for the slowest stage instead of piling
/// frames up.
public final class FrameQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element?] = []   // items[head...] are queued; the front is compacted as it drains
    private var head = 0
    private var count: Int { items.count - head }
    private var closed = false
    private var cancelled = false
    public let capacity: Int

    /// `capacity: .max` makes a queue that never blocks its producer (for
    /// small items that must never hold up the stage feeding it).
    public init(capacity: Int) {
        precondition(capacity > 0, "a queue needs room for one element")
        self.capacity = capacity
    }

    /// Blocks while full. Returns false (and drops `element`) once the queue is closed or cancelled.
    @discardableResult
    public func push(_ element: Element) -> Bool {
        condition.lock(); defer { condition.unlock() }
        while count == capacity && !closed && !cancelled { condition.wait() }
        guard !closed && !cancelled else { return false }
        items.append(element)
        condition.broadcast()
        return true
    }

    /// Adds `element` only if there is room right now; never waits.
    @discardableResult
    public func tryPush(_ element: Element) -> Bool {
        condition.lock(); defer { condition.unlock() }
        guard count < capacity && !closed && !cancelled else { return false }
        items.append(element)
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
        head += 1
        if head >= 64 && head * 2 >= items.count {   // drop the drained front; amortised O(1)
            items.removeFirst(head)
            head = 0
        }
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
        items = []
        head = 0
        condition.broadcast()
        condition.unlock()
    }

    public var isCancelled: Bool {
        condition.lock(); defer { condition.unlock() }
        return cancelled
    }
}

extension Array {
    /// The storage, moved out (this array is left empty): pushed to another thread referenced once,
    /// so that whoever writes to it there writes in place instead of copying it first.
    mutating func handedOver() -> [Element] {
        let storage = self
        self = []
        return storage
    }
}

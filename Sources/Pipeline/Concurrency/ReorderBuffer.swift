import Foundation

/// Puts frames finished out of order by parallel workers back in order.
///
/// Workers `deliver` results tagged with the frame's sequence number; the
/// sequential stage takes them with `next()` strictly in order. A worker that
/// runs more than `window` frames ahead waits, so one slow frame cannot make
/// the buffer grow without bound; the worker holding the next expected frame
/// never waits, so this cannot deadlock.
public final class ReorderBuffer<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [Int: Element] = [:]
    private var nextSequence = 0
    private var producersLeft: Int
    private var cancelled = false
    public let window: Int

    public init(window: Int, producers: Int) {
        precondition(window > 0 && producers > 0)
        self.window = window
        self.producersLeft = producers
    }

    /// Returns false if the buffer was cancelled (the result is dropped).
    @discardableResult
    public func deliver(_ element: Element, sequence: Int) -> Bool {
        condition.lock(); defer { condition.unlock() }
        while sequence >= nextSequence + window && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        pending[sequence] = element
        condition.broadcast()
        return true
    }

    /// A producer is done delivering.
    public func producerFinished() {
        condition.lock(); producersLeft -= 1; condition.broadcast(); condition.unlock()
    }

    /// The next element in sequence order; nil when every producer has finished
    /// and nothing more is pending in order, or when cancelled.
    public func next() -> Element? {
        condition.lock(); defer { condition.unlock() }
        while pending[nextSequence] == nil && producersLeft > 0 && !cancelled { condition.wait() }
        guard !cancelled, let element = pending.removeValue(forKey: nextSequence) else { return nil }
        nextSequence += 1
        condition.broadcast()
        return element
    }

    public func cancel() {
        condition.lock(); cancelled = true; pending.removeAll(); condition.broadcast(); condition.unlock()
    }
}

import Foundation

/// How a user asks a running job to end: `finish` stops reading input and
/// completes a valid, shorter file; `abort` drops everything and removes the
/// partial output. Safe to call from a signal-handling queue.
public final class StopSignal: @unchecked Sendable {
    public enum State: Int, Sendable { case running, finishing, aborted }
    private let lock = NSLock()
    private var _state = State.running

    public init() {}

    public var state: State { lock.withLock { _state } }

    /// Moves one step: running → finishing → aborted. Returns the new state.
    @discardableResult
    public func escalate() -> State {
        lock.withLock {
            _state = State(rawValue: min(_state.rawValue + 1, State.aborted.rawValue))!
            return _state
        }
    }

    public func finish() { lock.withLock { if _state == .running { _state = .finishing } } }
    public func abort() { lock.withLock { _state = .aborted } }
}

import Foundation

/// What the viewer can change while the live feed runs (hotkeys), read by the pipeline's
/// threads at every frame. Thread-safe.
public final class LiveControls: @unchecked Sendable {
    public struct State: Sendable, Equatable {
        /// Index into the live job's list of styles.
        public var style: Int
        public var strength: Float
        public var temporal: Bool
        /// Show the camera picture as it is.
        public var bypass: Bool
    }

    private let lock = NSLock()
    private var state: State
    public let styleCount: Int
    /// The step of `strengthUp`/`strengthDown`.
    public static let strengthStep: Float = 0.1

    public init(styleCount: Int, strength: Float, temporal: Bool) {
        self.styleCount = max(1, styleCount)
        state = State(style: 0, strength: min(max(strength, 0), 1), temporal: temporal, bypass: false)
    }

    public var current: State { lock.withLock { state } }

    public func nextStyle() { lock.withLock { state.style = (state.style + 1) % styleCount } }
    public func previousStyle() { lock.withLock { state.style = (state.style + styleCount - 1) % styleCount } }
    public func strengthUp() { lock.withLock { state.strength = min(1, ((state.strength + Self.strengthStep) * 10).rounded() / 10) } }
    public func strengthDown() { lock.withLock { state.strength = max(0, ((state.strength - Self.strengthStep) * 10).rounded() / 10) } }
    public func toggleTemporal() { lock.withLock { state.temporal.toggle() } }
    public func toggleBypass() { lock.withLock { state.bypass.toggle() } }
}

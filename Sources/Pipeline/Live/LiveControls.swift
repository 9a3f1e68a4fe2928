import Foundation

/// What the viewer can change while a live feed runs (hotkeys), read by the pipeline's
/// source thread at every frame. Thread-safe.
public final class LiveControls: LookProvider, @unchecked Sendable {
    private let lock = NSLock()
    private var look: Look
    public let styleCount: Int
    /// The step of `strengthUp`/`strengthDown`.
    public static let strengthStep: Float = 0.1

    public init(styleCount: Int, strength: Float, temporal: Bool) {
        self.styleCount = max(1, styleCount)
        look = Look(style: 0, strength: min(max(strength, 0), 1), temporal: temporal, bypass: false)
    }

    public var current: Look { lock.withLock { look } }

    public func nextStyle() { lock.withLock { look.style = (look.style + 1) % styleCount } }
    public func previousStyle() { lock.withLock { look.style = (look.style + styleCount - 1) % styleCount } }
    public func strengthUp() { lock.withLock { look.strength = min(1, ((look.strength + Self.strengthStep) * 10).rounded() / 10) } }
    public func strengthDown() { lock.withLock { look.strength = max(0, ((look.strength - Self.strengthStep) * 10).rounded() / 10) } }
    public func toggleTemporal() { lock.withLock { look.temporal.toggle() } }
    public func toggleBypass() { lock.withLock { look.bypass.toggle() } }
}

import Foundation

/// What the viewer can change while a live feed runs (hotkeys), read by the pipeline's
/// source thread at every frame. Thread-safe.
public final class LiveControls: LookProvider, @unchecked Sendable {
    private let lock = NSLock()
    private var look: Look
    public let styleCount: Int
    /// The step of `strengthUp`/`strengthDown`.
    public static let strengthStep: Float = 0.1

    /// How long a change of style cross-fades (styles of one style bank; others cut).
    public static let fadeSeconds = 0.5
    /// When the fade under way started (monotonic seconds).
    private var fadeStart = 0.0
    private let clock: @Sendable () -> Double

    /// `clock`: monotonic seconds (replaceable in tests).
    public init(styleCount: Int, strength: Float, temporal: Bool, clock: @escaping @Sendable () -> Double = monotonicSeconds) {
        self.styleCount = max(1, styleCount)
        self.clock = clock
        look = Look(style: 0, strength: min(max(strength, 0), 1), temporal: temporal, bypass: false)
    }

    public var current: Look {
        lock.withLock {
            if let fade = look.fade {
                let progress = Float(min(1, (clock() - fadeStart) / Self.fadeSeconds))
                look.fade = progress >= 1 ? nil : (fade.from, progress)
            }
            return look
        }
    }

    public func nextStyle() { lock.withLock { switchStyle(to: (look.style + 1) % styleCount) } }
    public func previousStyle() { lock.withLock { switchStyle(to: (look.style + styleCount - 1) % styleCount) } }

    /// Under the lock. A change during a fade fades on from the picture of that moment's target.
    private func switchStyle(to style: Int) {
        guard style != look.style else { return }
        look.fade = (look.style, 0)
        look.style = style
        fadeStart = clock()
    }
    public func strengthUp() { lock.withLock { look.strength = min(1, ((look.strength + Self.strengthStep) * 10).rounded() / 10) } }
    public func strengthDown() { lock.withLock { look.strength = max(0, ((look.strength - Self.strengthStep) * 10).rounded() / 10) } }
    public func toggleTemporal() { lock.withLock { look.temporal.toggle() } }
    public func toggleBypass() { lock.withLock { look.bypass.toggle() } }
}

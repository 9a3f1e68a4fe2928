import Foundation

/// How one frame is painted: which of the run's styles, how strongly, with or without
/// temporal blending — or not at all (the source picture as it is).
public struct Look: Sendable, Equatable {
    /// Index into the run's styles.
    public var style: Int
    /// 0 = the original, 1 = fully stylized.
    public var strength: Float
    public var temporal: Bool
    /// Show the source picture as it is.
    public var bypass: Bool
    /// While a change of style cross-fades: the style it comes from, and how far it has gone
    /// (0 = all `from`, 1 = all `style`). Only styles of one style bank mix; others cut.
    public var fade: (from: Int, progress: Float)?

    public static func == (a: Look, b: Look) -> Bool {
        a.style == b.style && a.strength == b.strength && a.temporal == b.temporal && a.bypass == b.bypass
            && a.fade?.from == b.fade?.from && a.fade?.progress == b.fade?.progress
    }

    public init(style: Int = 0, strength: Float = 1, temporal: Bool = true, bypass: Bool = false) {
        self.style = style
        self.strength = strength
        self.temporal = temporal
        self.bypass = bypass
    }
}

/// Gives the look of each frame as the source thread takes it: fixed for a file, the
/// viewer's hotkeys for a live feed (`LiveControls`).
public protocol LookProvider: AnyObject, Sendable {
    var current: Look { get }
}

/// The same look for every frame.
public final class FixedLook: LookProvider {
    public let current: Look
    public init(_ look: Look) { current = look }
}

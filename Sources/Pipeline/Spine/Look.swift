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

extension Array where Element == Float {
    /// `count` floats not yet written, for a plane its maker writes whole: zeroing it first
    /// would cost a pass over memory the next pass overwrites.
    public static func uninitialized(_ count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }
}

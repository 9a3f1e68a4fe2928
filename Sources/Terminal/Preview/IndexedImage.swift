/// An image reduced to a palette: what paletted formats (sixel) transmit.
public struct IndexedImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// One palette index per pixel, row-major.
    public var indices: [UInt8]
    /// Packed RGB triples, at most 256 entries.
    public var palette: [UInt8]

    public var paletteCount: Int { palette.count / 3 }
}

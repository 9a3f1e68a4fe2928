/// Nearest palette entry for each 6-bit-per-channel cell, computed on first
/// use: a frame touches a few thousand cells, not all 262 144. Raw storage,
/// because `index` runs once per pixel.
final class NearestColorTable {
    private let entries: UnsafeMutablePointer<UInt16>
    private let palette: UnsafeMutablePointer<Int32>
    private let paletteCount: Int
    /// Palette entries that can be nearest within each 32-level region, concatenated.
    private let candidates: [UInt8]
    private let regionStarts: [Int]
    private static let cellCount = 64 * 64 * 64
    private static let unknown: UInt16 = 0xFFFF

    init(palette colors: [UInt8]) {
        paletteCount = colors.count / 3
        palette = .allocate(capacity: max(1, colors.count))
        for (i, value) in colors.enumerated() { palette[i] = Int32(value) }
        entries = .allocate(capacity: Self.cellCount)
        entries.initialize(repeating: Self.unknown, count: Self.cellCount)

        // Candidates per 8×8×8 region (32 levels a side): an entry can only
        // be nearest somewhere in the region if its closest possible distance
        // to the region beats the best entry's farthest one. Searches then
        // scan a handful of entries instead of all 256.
        var candidates: [UInt8] = []
        var starts = [Int](repeating: 0, count: 513)
        var nearestDistance = [Int32](repeating: 0, count: paletteCount)
        for region in 0..<512 {
            let low = [Int32(region >> 6) * 32, Int32(region >> 3 & 7) * 32, Int32(region & 7) * 32]
            var bound = Int32.max
            for i in 0..<paletteCount {
                var near: Int32 = 0, far: Int32 = 0
                for channel in 0..<3 {
                    let value = Int32(colors[i * 3 + channel]), lo = low[channel], hi = low[channel] + 31
                    let outside = value < lo ? lo - value : (value > hi ? value - hi : 0)
                    let farthest = max(abs(value - lo), abs(value - hi))
                    near += outside * outside
                    far += farthest * farthest
                }
                nearestDistance[i] = near
                bound = min(bound, far)
            }
            for i in 0..<paletteCount where nearestDistance[i] <= bound { candidates.append(UInt8(i)) }
            starts[region + 1] = candidates.count
        }
        self.candidates = candidates
        self.regionStarts = starts
    }

    deinit {
        entries.deallocate()
        palette.deallocate()
    }

    @inline(__always)
    func index(_ r: Int, _ g: Int, _ b: Int) -> UInt8 {
        let cell = (r >> 2) << 12 | (g >> 2) << 6 | (b >> 2)
        let known = entries[cell]
        if known != Self.unknown { return UInt8(truncatingIfNeeded: known) }
        let found = nearest(Int32((r & ~3) | 2), Int32((g & ~3) | 2), Int32((b & ~3) | 2))   // cell centre
        entries[cell] = UInt16(found)
        return found
    }

    private func nearest(_ r: Int32, _ g: Int32, _ b: Int32) -> UInt8 {
        let region = Int(r >> 5) << 6 | Int(g >> 5) << 3 | Int(b >> 5)
        var best: UInt8 = 0, bestDistance = Int32.max
        for n in regionStarts[region]..<regionStarts[region + 1] {
            let i = Int(candidates[n])
            let dr = palette[i * 3] - r, dg = palette[i * 3 + 1] - g, db = palette[i * 3 + 2] - b
            let distance = dr * dr + dg * dg + db * db
            if distance < bestDistance { bestDistance = distance; best = UInt8(i) }
        }
        return best
    }
}

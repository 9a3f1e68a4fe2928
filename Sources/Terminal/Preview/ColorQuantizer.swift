/// Reduces an RGB image to at most 256 colours for paletted output.
///
/// The palette comes from median cut over a 32×32×32 histogram (5 bits per
/// channel): the box holding the most squared error is split where the two
/// halves' squared error is smallest, until the palette is full; each box's
/// colour is the true mean of its pixels. Pixels are then mapped through a lazily
/// filled 64×64×64 nearest-colour table with Floyd–Steinberg error diffusion
/// (serpentine), so smooth gradients stay smooth on average.
///
/// An image that already has at most `maximumColors` colours, none sharing
/// a histogram cell, is mapped exactly, without dithering: flat graphics stay flat.
public struct ColorQuantizer: Sendable {
    public var maximumColors: Int
    public var dithering: Bool
    /// k-means passes over the histogram after median cut: each moves every
    /// entry to the mean of the cells nearest to it (median cut's boxes are
    /// axis-aligned; real clusters aren't).
    public var refinementIterations = 3
    /// Applied to each palette channel value before mapping: the colour the
    /// output format can actually represent (sixel: percent steps), so the
    /// dithering compensates for that rounding too.
    public var representable: @Sendable (UInt8) -> UInt8

    public init(maximumColors: Int = 256, dithering: Bool = true,
                representable: @escaping @Sendable (UInt8) -> UInt8 = { $0 }) {
        precondition((1...256).contains(maximumColors))
        self.maximumColors = maximumColors
        self.dithering = dithering
        self.representable = representable
    }

    public func quantize(_ image: RGBImage) -> IndexedImage {
        let histogram = Histogram(image)
        if let exact = exactMapping(image, histogram) { return exact }
        var palette = MedianCut.palette(histogram, maximumColors: maximumColors)
        palette = KMeans.refine(palette, histogram, iterations: refinementIterations)
        for i in palette.indices { palette[i] = representable(palette[i]) }
        let indices = dithering ? mapDithered(image, palette: palette) : mapNearest(image, palette: palette)
        return IndexedImage(width: image.width, height: image.height, indices: indices, palette: palette)
    }

    // MARK: Exact

    private func exactMapping(_ image: RGBImage, _ histogram: Histogram) -> IndexedImage? {
        guard histogram.occupied.count <= maximumColors, !histogram.anyCellMixed else { return nil }
        var cellIndex = [UInt8](repeating: 0, count: Histogram.cellCount)
        var palette: [UInt8] = []
        palette.reserveCapacity(histogram.occupied.count * 3)
        for (i, cell) in histogram.occupied.enumerated() {
            cellIndex[cell] = UInt8(i)
            let color = histogram.firstColor[cell]
            palette.append(representable(UInt8(color >> 16)))
            palette.append(representable(UInt8(color >> 8 & 0xFF)))
            palette.append(representable(UInt8(color & 0xFF)))
        }
        var indices = [UInt8](repeating: 0, count: image.width * image.height)
        image.pixels.withUnsafeBufferPointer { pixels in
            indices.withUnsafeMutableBufferPointer { out in
                for i in 0..<out.count {
                    out[i] = cellIndex[Histogram.cell(pixels[i * 3], pixels[i * 3 + 1], pixels[i * 3 + 2])]
                }
            }
        }
        return IndexedImage(width: image.width, height: image.height, indices: indices, palette: palette)
    }

    // MARK: Mapping

    private func mapNearest(_ image: RGBImage, palette: [UInt8]) -> [UInt8] {
        let table = NearestColorTable(palette: palette)
        var indices = [UInt8](repeating: 0, count: image.width * image.height)
        image.pixels.withUnsafeBufferPointer { pixels in
            for i in 0..<indices.count {
                indices[i] = table.index(Int(pixels[i * 3]), Int(pixels[i * 3 + 1]), Int(pixels[i * 3 + 2]))
            }
        }
        return indices
    }

    private func mapDithered(_ image: RGBImage, palette: [UInt8]) -> [UInt8] {
        let width = image.width, height = image.height
        let table = NearestColorTable(palette: palette)
        var indices = [UInt8](repeating: 0, count: width * height)
        // Error in 1/16ths for this row and the next, with one guard pixel each side.
        let rowLength = (width + 2) * 3
        var current = [Int32](repeating: 0, count: rowLength)
        var next = [Int32](repeating: 0, count: rowLength)
        image.pixels.withUnsafeBufferPointer { pixels in
            palette.withUnsafeBufferPointer { colors in
                indices.withUnsafeMutableBufferPointer { out in
                    for y in 0..<height {
                        let leftToRight = y % 2 == 0
                        current.withUnsafeMutableBufferPointer { errorHere in
                            next.withUnsafeMutableBufferPointer { errorBelow in
                                for i in 0..<rowLength { errorBelow[i] = 0 }
                                for step in 0..<width {
                                    let x = leftToRight ? step : width - 1 - step
                                    let direction = leftToRight ? 1 : -1
                                    let source = (y * width + x) * 3
                                    let slot = (x + 1) * 3
                                    let r = clampByte(Int32(pixels[source]) + ((errorHere[slot] + 8) >> 4))
                                    let g = clampByte(Int32(pixels[source + 1]) + ((errorHere[slot + 1] + 8) >> 4))
                                    let b = clampByte(Int32(pixels[source + 2]) + ((errorHere[slot + 2] + 8) >> 4))
                                    let index = table.index(Int(r), Int(g), Int(b))
                                    out[y * width + x] = index
                                    let p = Int(index) * 3
                                    let ahead = slot + direction * 3, behind = slot - direction * 3
                                    // Floyd–Steinberg weights 7, 3, 5, 1 (sixteenths), mirrored on right-to-left rows.
                                    for channel in 0..<3 {
                                        let value = channel == 0 ? r : (channel == 1 ? g : b)
                                        let error = value - Int32(colors[p + channel])
                                        errorHere[ahead + channel] += error * 7
                                        errorBelow[behind + channel] += error * 3
                                        errorBelow[slot + channel] += error * 5
                                        errorBelow[ahead + channel] += error
                                    }
                                }
                            }
                        }
                        swap(&current, &next)
                    }
                }
            }
        }
        return indices
    }

    @inline(__always)
    private func clampByte(_ value: Int32) -> Int32 { min(255, max(0, value)) }
}

/// Pixel counts and colour sums per 5-bit-per-channel cell, and whether each
/// cell holds a single exact colour.
struct Histogram {
    static let cellCount = 32 * 32 * 32
    var count = [Int32](repeating: 0, count: cellCount)
    var sums = [Int](repeating: 0, count: cellCount * 3)
    /// The first exact colour seen in each cell (0xRRGGBB).
    var firstColor = [UInt32](repeating: 0, count: cellCount)
    var anyCellMixed = false
    /// Occupied cells in index order.
    var occupied: [Int] = []

    @inline(__always)
    static func cell(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int {
        Int(r >> 3) << 10 | Int(g >> 3) << 5 | Int(b >> 3)
    }

    init(_ image: RGBImage) {
        var mixed = false
        image.pixels.withUnsafeBufferPointer { pixels in
            count.withUnsafeMutableBufferPointer { count in
                sums.withUnsafeMutableBufferPointer { sums in
                    firstColor.withUnsafeMutableBufferPointer { first in
                        for i in 0..<(image.width * image.height) {
                            let r = pixels[i * 3], g = pixels[i * 3 + 1], b = pixels[i * 3 + 2]
                            let cell = Self.cell(r, g, b)
                            let color = UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b)
                            if count[cell] == 0 { first[cell] = color } else if first[cell] != color { mixed = true }
                            count[cell] += 1
                            sums[cell * 3] += Int(r)
                            sums[cell * 3 + 1] += Int(g)
                            sums[cell * 3 + 2] += Int(b)
                        }
                    }
                }
            }
        }
        anyCellMixed = mixed
        occupied = (0..<Self.cellCount).filter { count[$0] > 0 }
    }
}

/// Median cut over histogram cells.
enum MedianCut {
    private struct Box {
        var range: Range<Int>          // into `cells`
        var pixels: Int
        var squaredError: Double
    }

    /// Up to `maximumColors` packed RGB triples.
    static func palette(_ histogram: Histogram, maximumColors: Int) -> [UInt8] {
        var cells = histogram.occupied
        var scratch = cells
        var boxes = [describe(0..<cells.count, cells, histogram)]
        while boxes.count < maximumColors {
            guard let worst = boxes.indices.max(by: { boxes[$0].squaredError < boxes[$1].squaredError }),
                  boxes[worst].squaredError > 0, boxes[worst].range.count > 1 else { break }
            let box = boxes[worst]
            let split = splitPoint(box, &cells, &scratch, histogram)
            boxes[worst] = describe(box.range.lowerBound..<split, cells, histogram)
            boxes.append(describe(split..<box.range.upperBound, cells, histogram))
        }
        var palette: [UInt8] = []
        palette.reserveCapacity(boxes.count * 3)
        for box in boxes {
            var sum = (0, 0, 0)
            for i in box.range {
                let cell = cells[i]
                sum.0 += histogram.sums[cell * 3]
                sum.1 += histogram.sums[cell * 3 + 1]
                sum.2 += histogram.sums[cell * 3 + 2]
            }
            let half = box.pixels / 2
            palette.append(UInt8((sum.0 + half) / box.pixels))
            palette.append(UInt8((sum.1 + half) / box.pixels))
            palette.append(UInt8((sum.2 + half) / box.pixels))
        }
        return palette
    }

    @inline(__always)
    private static func coordinate(_ cell: Int, _ channel: Int) -> Int { cell >> (10 - 5 * channel) & 31 }

    /// Pixel count and squared error of the cell means around the box mean.
    private static func describe(_ range: Range<Int>, _ cells: [Int], _ histogram: Histogram) -> Box {
        var pixels = 0
        var sum = [Double](repeating: 0, count: 3), sumSquares = [Double](repeating: 0, count: 3)
        for i in range {
            let cell = cells[i]
            let n = Int(histogram.count[cell])
            pixels += n
            for channel in 0..<3 {
                let mean = Double(histogram.sums[cell * 3 + channel]) / Double(n)
                sum[channel] += Double(n) * mean
                sumSquares[channel] += Double(n) * mean * mean
            }
        }
        var variances = [Double](repeating: 0, count: 3)
        for channel in 0..<3 {
            variances[channel] = max(0, sumSquares[channel] - sum[channel] * sum[channel] / Double(max(1, pixels)))
        }
        return Box(range: range, pixels: pixels, squaredError: variances.reduce(0, +))
    }

    /// Orders the box's cells along the channel where a cut removes the most
    /// squared error (counting sort: 32 values per channel) and returns the
    /// cut position: the one minimising the two halves' summed squared error
    /// (Wu's criterion, from prefix sums), both sides non-empty.
    private static func splitPoint(_ box: Box, _ cells: inout [Int], _ scratch: inout [Int], _ histogram: Histogram) -> Int {
        var best = (channel: 0, position: box.range.lowerBound + 1, error: Double.infinity)
        for channel in 0..<3 {
            sort(box.range, along: channel, &cells, &scratch)
            let (position, error) = bestCut(box, cells, histogram)
            if error < best.error { best = (channel, position, error) }
        }
        if best.channel != 2 { sort(box.range, along: best.channel, &cells, &scratch) }
        return best.position
    }

    private static func sort(_ range: Range<Int>, along channel: Int, _ cells: inout [Int], _ scratch: inout [Int]) {
        var starts = [Int](repeating: 0, count: 33)
        for i in range { starts[coordinate(cells[i], channel) + 1] += 1 }
        for v in 0..<32 { starts[v + 1] += starts[v] }
        for i in range {
            let v = coordinate(cells[i], channel)
            scratch[range.lowerBound + starts[v]] = cells[i]
            starts[v] += 1
        }
        for i in range { cells[i] = scratch[i] }
    }

    /// Squared error of the cell means left of each cut plus right of it; the minimum.
    private static func bestCut(_ box: Box, _ cells: [Int], _ histogram: Histogram) -> (Int, Double) {
        var total = (n: 0.0, r: 0.0, g: 0.0, b: 0.0, squares: 0.0)
        for i in box.range {
            let cell = cells[i]
            let r = Double(histogram.sums[cell * 3]), g = Double(histogram.sums[cell * 3 + 1]), b = Double(histogram.sums[cell * 3 + 2])
            let n = Double(histogram.count[cell])
            total.n += n; total.r += r; total.g += g; total.b += b
            total.squares += (r * r + g * g + b * b) / n
        }
        func error(_ n: Double, _ r: Double, _ g: Double, _ b: Double, _ squares: Double) -> Double {
            n > 0 ? squares - (r * r + g * g + b * b) / n : 0
        }
        var left = (n: 0.0, r: 0.0, g: 0.0, b: 0.0, squares: 0.0)
        var best = (position: box.range.lowerBound + 1, error: Double.infinity)
        for i in box.range.dropLast() {
            let cell = cells[i]
            let r = Double(histogram.sums[cell * 3]), g = Double(histogram.sums[cell * 3 + 1]), b = Double(histogram.sums[cell * 3 + 2])
            let n = Double(histogram.count[cell])
            left.n += n; left.r += r; left.g += g; left.b += b
            left.squares += (r * r + g * g + b * b) / n
            let split = error(left.n, left.r, left.g, left.b, left.squares)
                + error(total.n - left.n, total.r - left.r, total.g - left.g, total.b - left.b, total.squares - left.squares)
            if split < best.error { best = (i + 1, split) }
        }
        return best
    }
}

/// Lloyd iterations over histogram cells (weighted by pixel count, at their
/// mean colour): cheap, since a frame occupies a few thousand cells.
enum KMeans {
    static func refine(_ palette: [UInt8], _ histogram: Histogram, iterations: Int) -> [UInt8] {
        var centres = palette.map(Double.init)
        let count = palette.count / 3
        var sums = [Double](repeating: 0, count: count * 4)
        for _ in 0..<iterations {
            for i in sums.indices { sums[i] = 0 }
            for cell in histogram.occupied {
                let n = Double(histogram.count[cell])
                let r = Double(histogram.sums[cell * 3]) / n
                let g = Double(histogram.sums[cell * 3 + 1]) / n
                let b = Double(histogram.sums[cell * 3 + 2]) / n
                var best = 0, bestDistance = Double.infinity
                for k in 0..<count {
                    let dr = centres[k * 3] - r, dg = centres[k * 3 + 1] - g, db = centres[k * 3 + 2] - b
                    let distance = dr * dr + dg * dg + db * db
                    if distance < bestDistance { bestDistance = distance; best = k }
                }
                sums[best * 4] += n * r
                sums[best * 4 + 1] += n * g
                sums[best * 4 + 2] += n * b
                sums[best * 4 + 3] += n
            }
            for k in 0..<count where sums[k * 4 + 3] > 0 {   // an entry nothing chose keeps its place
                for channel in 0..<3 { centres[k * 3 + channel] = sums[k * 4 + channel] / sums[k * 4 + 3] }
            }
        }
        return centres.map { UInt8(min(255, max(0, $0.rounded()))) }
    }
}

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

/// Median cut over histogram cells.
enum MedianCut {
    private struct Box {
        var range: Range<Int>          // into `cells`
        var pixels: Int
        var squaredError: Double
    }

    /// Up to `maximumColors` packed RGB triples.
    static func palette(_ histogram: ColorHistogram, maximumColors: Int) -> [UInt8] {
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
    private static func describe(_ range: Range<Int>, _ cells: [Int], _ histogram: ColorHistogram) -> Box {
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
    private static func splitPoint(_ box: Box, _ cells: inout [Int], _ scratch: inout [Int], _ histogram: ColorHistogram) -> Int {
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
    private static func bestCut(_ box: Box, _ cells: [Int], _ histogram: ColorHistogram) -> (Int, Double) {
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
    static func refine(_ palette: [UInt8], _ histogram: ColorHistogram, iterations: Int) -> [UInt8] {
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

/// Reduces an RGB image to at most 256 colours for paletted output.
///
/// The palette comes from median cut over a 32×32×32 histogram (5 bits per
/// channel): the box holding the most squared error is split where the two
/// halves' squared error is smallest, until the palette is full; each box's
/// colour is the true mean of its pixels; a few k-means passes then move the
/// entries to the clusters' centres. Pixels are mapped through a lazily filled
/// 64×64×64 nearest-colour table with Floyd–Steinberg error diffusion
/// (serpentine), so smooth gradients stay smooth on average.
///
/// Each frame gets its own palette and its own dither pattern, so a still
/// scene can shimmer slightly from frame to frame; that is the price of
/// error diffusion's quality.
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
        let histogram = ColorHistogram(image)
        if let exact = exactMapping(image, histogram) { return exact }
        var palette = MedianCut.palette(histogram, maximumColors: maximumColors)
        palette = KMeans.refine(palette, histogram, iterations: refinementIterations)
        for i in palette.indices { palette[i] = representable(palette[i]) }
        let indices = dithering ? mapDithered(image, palette: palette) : mapNearest(image, palette: palette)
        return IndexedImage(width: image.width, height: image.height, indices: indices, palette: palette)
    }

    // MARK: Exact

    private func exactMapping(_ image: RGBImage, _ histogram: ColorHistogram) -> IndexedImage? {
        guard histogram.occupied.count <= maximumColors, !histogram.anyCellMixed else { return nil }
        var cellIndex = [UInt8](repeating: 0, count: ColorHistogram.cellCount)
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
                    out[i] = cellIndex[ColorHistogram.cell(pixels[i * 3], pixels[i * 3 + 1], pixels[i * 3 + 2])]
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

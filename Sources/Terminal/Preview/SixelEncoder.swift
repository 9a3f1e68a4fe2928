/// Draws an image as DEC sixel graphics: a per-frame palette of up to 256
/// colours (see `ColorQuantizer`), then the picture in bands six pixels
/// tall, one pass per colour present in the band, run-length encoded.
public struct SixelEncoder: Sendable {
    public var quantizer: ColorQuantizer

    public init(maximumColors: Int = 256, dithering: Bool = true) {
        // Sixel colours are percentages: dither toward what the terminal will show.
        quantizer = ColorQuantizer(maximumColors: maximumColors, dithering: dithering,
                                   representable: SixelEncoder.representable)
    }

    /// A channel value as it survives the trip through sixel's 0–100 scale.
    @Sendable public static func representable(_ value: UInt8) -> UInt8 {
        UInt8((percent(value) * 255 + 50) / 100)
    }

    static func percent(_ value: UInt8) -> Int { (Int(value) * 100 + 127) / 255 }

    /// The sixel sequence for `image`, its top-left corner at `origin`.
    public func encode(_ image: RGBImage, origin: CellPosition = .home) -> [UInt8] {
        Self.encode(quantizer.quantize(image), origin: origin)
    }

    /// The sixel sequence for an already paletted image.
    public static func encode(_ image: IndexedImage, origin: CellPosition = .home) -> [UInt8] {
        let width = image.width, height = image.height
        var out: [UInt8] = []
        out.reserveCapacity(width * height / 2 + image.paletteCount * 20 + 64)
        out.appendCursorPosition(row: origin.row, column: origin.column)
        // DCS P1;P2;P3 q — P2=1: pixels no colour sets keep the background
        // (every pixel gets exactly one colour here, so nothing is left transparent).
        out.appendASCII("\u{1B}P0;1;0q\"1;1;")
        out.appendDecimal(width)
        out.append(UInt8(ascii: ";"))
        out.appendDecimal(height)
        for i in 0..<image.paletteCount {
            out.append(UInt8(ascii: "#"))
            out.appendDecimal(i)
            out.appendASCII(";2;")
            out.appendDecimal(percent(image.palette[i * 3]))
            out.append(UInt8(ascii: ";"))
            out.appendDecimal(percent(image.palette[i * 3 + 1]))
            out.append(UInt8(ascii: ";"))
            out.appendDecimal(percent(image.palette[i * 3 + 2]))
        }

        // Per band: for each colour, its six-bit column masks and the x span it covers.
        let colorCount = max(1, image.paletteCount)
        var masks = [UInt8](repeating: 0, count: colorCount * width)
        var firstX = [Int](repeating: 0, count: colorCount)
        var lastX = [Int](repeating: 0, count: colorCount)
        var present = [Bool](repeating: false, count: colorCount)
        var bandColors: [Int] = []
        bandColors.reserveCapacity(colorCount)
        let bandCount = (height + 5) / 6
        image.indices.withUnsafeBufferPointer { indices in
            masks.withUnsafeMutableBufferPointer { masks in
                for band in 0..<bandCount {
                    let top = band * 6
                    for row in 0..<min(6, height - top) {
                        let bit = UInt8(1) << UInt8(row)
                        let rowStart = (top + row) * width
                        for x in 0..<width {
                            let color = Int(indices[rowStart + x])
                            if !present[color] {
                                present[color] = true
                                firstX[color] = x
                                lastX[color] = x
                                bandColors.append(color)
                            } else {
                                firstX[color] = min(firstX[color], x)
                                lastX[color] = max(lastX[color], x)
                            }
                            masks[color * width + x] |= bit
                        }
                    }
                    for (n, color) in bandColors.enumerated() {
                        if n > 0 { out.append(UInt8(ascii: "$")) }   // back to the band's start
                        out.append(UInt8(ascii: "#"))
                        out.appendDecimal(color)
                        appendRun(of: 63, count: firstX[color], to: &out)
                        // Run-length encode this colour's masks across its span, clearing as we go.
                        let row = color * width
                        var x = firstX[color]
                        while x <= lastX[color] {
                            let mask = masks[row + x]
                            var end = x + 1
                            while end <= lastX[color] && masks[row + end] == mask { end += 1 }
                            appendRun(of: 63 + mask, count: end - x, to: &out)
                            for i in x..<end { masks[row + i] = 0 }
                            x = end
                        }
                        present[color] = false
                    }
                    bandColors.removeAll(keepingCapacity: true)
                    if band + 1 < bandCount { out.append(UInt8(ascii: "-")) }   // next band
                }
            }
        }
        out.appendASCII("\u{1B}\\")
        return out
    }

    /// `count` copies of a sixel character: repeated up to 3 times, `!n` beyond.
    @inline(__always)
    private static func appendRun(of character: UInt8, count: Int, to out: inout [UInt8]) {
        if count <= 0 { return }
        if count <= 3 {
            for _ in 0..<count { out.append(character) }
        } else {
            out.append(UInt8(ascii: "!"))
            out.appendDecimal(count)
            out.append(character)
        }
    }
}

/// Draws an image with U+2580 UPPER HALF BLOCK: each cell shows two pixels
/// stacked, the top one as the glyph's (foreground) colour and the bottom one
/// as the cell's background. Works in any colour terminal, multiplexers included.
public enum HalfBlockEncoder {
    public enum Colors: Sendable {
        /// `ESC[38;2;r;g;bm`: exact colours.
        case truecolor
        /// `ESC[38;5;nm`: nearest entry of the xterm cube and gray ramp.
        case ansi256
    }

    /// The escape sequences drawing `image` (already sized: one column per
    /// pixel, two pixel rows per cell row) with its top-left cell at `origin`.
    /// Every line starts with an absolute cursor position, so consecutive
    /// frames overwrite each other in place; colours change only where the
    /// colour changes, and every line ends with a reset so nothing bleeds
    /// into the rest of the screen. An odd last pixel row leaves the lower
    /// half on the terminal's default background.
    public static func encode(_ image: RGBImage, colors: Colors, origin: CellPosition = .home) -> [UInt8] {
        let cellRows = (image.height + 1) / 2
        var out: [UInt8] = []
        // Worst case per cell: two full truecolor SGRs (~38 bytes) plus the glyph.
        out.reserveCapacity(cellRows * (image.width * 42 + 24))
        image.pixels.withUnsafeBufferPointer { pixels in
            for cellRow in 0..<cellRows {
                out.appendCursorPosition(row: origin.row + cellRow, column: origin.column)
                let top = cellRow * 2 * image.width * 3
                let hasBottom = cellRow * 2 + 1 < image.height
                let bottom = top + image.width * 3
                // Packed colour (truecolor: 0xRRGGBB, 256: the index); -1: nothing set yet.
                var foreground = -1, background = -1
                if !hasBottom { out.appendASCII("\u{1B}[49m") }
                for x in 0..<image.width {
                    let t = top + x * 3
                    let newForeground = packed(pixels[t], pixels[t + 1], pixels[t + 2], colors)
                    var newBackground = background
                    if hasBottom {
                        let b = bottom + x * 3
                        newBackground = packed(pixels[b], pixels[b + 1], pixels[b + 2], colors)
                    }
                    let foregroundChanged = newForeground != foreground
                    let backgroundChanged = hasBottom && newBackground != background
                    if foregroundChanged || backgroundChanged {
                        out.appendASCII("\u{1B}[")
                        if foregroundChanged { appendColor(newForeground, layer: 38, colors, to: &out) }
                        if foregroundChanged && backgroundChanged { out.append(UInt8(ascii: ";")) }
                        if backgroundChanged { appendColor(newBackground, layer: 48, colors, to: &out) }
                        out.append(UInt8(ascii: "m"))
                        foreground = newForeground
                        background = newBackground
                    }
                    out.append(contentsOf: upperHalfBlock)
                }
                out.appendASCII("\u{1B}[0m")
            }
        }
        return out
    }

    /// U+2580 in UTF-8.
    static let upperHalfBlock: [UInt8] = [0xE2, 0x96, 0x80]

    @inline(__always)
    private static func packed(_ r: UInt8, _ g: UInt8, _ b: UInt8, _ colors: Colors) -> Int {
        switch colors {
        case .truecolor: return Int(r) << 16 | Int(g) << 8 | Int(b)
        case .ansi256: return XtermPalette.nearestIndex(red: r, green: g, blue: b)
        }
    }

    /// `38;2;r;g;b` / `48;5;n` (no CSI, no final `m`).
    @inline(__always)
    private static func appendColor(_ color: Int, layer: Int, _ colors: Colors, to out: inout [UInt8]) {
        out.appendDecimal(layer)
        switch colors {
        case .truecolor:
            out.appendASCII(";2;")
            out.appendDecimal(color >> 16)
            out.append(UInt8(ascii: ";"))
            out.appendDecimal(color >> 8 & 0xFF)
            out.append(UInt8(ascii: ";"))
            out.appendDecimal(color & 0xFF)
        case .ansi256:
            out.appendASCII(";5;")
            out.appendDecimal(color)
        }
    }
}

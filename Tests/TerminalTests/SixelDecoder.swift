import Foundation
@testable import Terminal

/// An independent reading of a sixel stream, for checking the encoder:
/// DCS header, raster attributes, palette definitions (`#n;2;r;g;b`, 0–100 %),
/// colour selects, `!n` repeats, `$` carriage return, `-` next band, ST.
struct SixelDecoder {
    struct Failure: Error, CustomStringConvertible { let description: String }

    struct Decoded {
        var image: RGBImage
        /// How many times each pixel was painted (an encoder paints each exactly once).
        var paintCounts: [Int]
        var paletteSize: Int
    }

    static func decode(_ bytes: [UInt8]) throws -> Decoded {
        var i = 0
        func peek() -> UInt8? { i < bytes.count ? bytes[i] : nil }
        func number() -> Int {
            var value = 0
            while let c = peek(), c >= 48, c <= 57 { value = value * 10 + Int(c - 48); i += 1 }
            return value
        }
        // Skip to the DCS introducer (a cursor position may come first) and past the parameters to 'q'.
        while i + 1 < bytes.count, !(bytes[i] == 0x1B && bytes[i + 1] == UInt8(ascii: "P")) { i += 1 }
        guard i + 1 < bytes.count else { throw Failure(description: "no DCS") }
        i += 2
        while let c = peek(), c != UInt8(ascii: "q") {
            guard (48...57).contains(c) || c == UInt8(ascii: ";") else { throw Failure(description: "bad DCS parameter \(c)") }
            i += 1
        }
        i += 1

        var width = 0, height = 0
        var pixels: [UInt8] = [], paintCounts: [Int] = []
        var palette = [Int: (UInt8, UInt8, UInt8)]()
        var color = 0, x = 0, bandTop = 0
        var sawRaster = false

        func paint(_ character: UInt8, times: Int) throws {
            guard sawRaster else { throw Failure(description: "sixel data before raster attributes") }
            guard let rgb = palette[color] else { throw Failure(description: "colour \(color) used undefined") }
            let bits = Int(character) - 63
            for _ in 0..<times {
                for bit in 0..<6 where bits & (1 << bit) != 0 {
                    let y = bandTop + bit
                    guard x < width, y < height else { throw Failure(description: "pixel (\(x),\(y)) outside raster") }
                    let p = y * width + x
                    pixels[p * 3] = rgb.0
                    pixels[p * 3 + 1] = rgb.1
                    pixels[p * 3 + 2] = rgb.2
                    paintCounts[p] += 1
                }
                x += 1
            }
        }

        while let c = peek() {
            i += 1
            switch c {
            case UInt8(ascii: "\""):
                let aspectNumerator = number(); i += 1
                let aspectDenominator = number(); i += 1
                guard aspectNumerator == 1, aspectDenominator == 1 else { throw Failure(description: "aspect not 1:1") }
                width = number(); i += 1
                height = number()
                pixels = [UInt8](repeating: 0, count: width * height * 3)
                paintCounts = [Int](repeating: 0, count: width * height)
                sawRaster = true
            case UInt8(ascii: "#"):
                color = number()
                if peek() == UInt8(ascii: ";") {
                    i += 1
                    let space = number(); i += 1
                    let r = number(); i += 1
                    let g = number(); i += 1
                    let b = number()
                    guard space == 2, r <= 100, g <= 100, b <= 100 else { throw Failure(description: "bad colour definition") }
                    func level(_ percent: Int) -> UInt8 { UInt8((percent * 255 + 50) / 100) }
                    palette[color] = (level(r), level(g), level(b))
                }
            case UInt8(ascii: "!"):
                let count = number()
                guard let character = peek(), (63...126).contains(character) else { throw Failure(description: "bad repeat") }
                i += 1
                try paint(character, times: count)
            case UInt8(ascii: "$"):
                x = 0
            case UInt8(ascii: "-"):
                x = 0
                bandTop += 6
            case 63...126:
                try paint(c, times: 1)
            case 0x1B:
                guard peek() == UInt8(ascii: "\\") else { throw Failure(description: "ESC not followed by \\") }
                return Decoded(image: RGBImage(width: width, height: height, pixels: pixels),
                               paintCounts: paintCounts, paletteSize: palette.count)
            default:
                throw Failure(description: "unexpected byte \(c) at \(i - 1)")
            }
        }
        throw Failure(description: "no string terminator")
    }
}

import Camera

/// The picture the fake camera sends: eight colour bars (100 % white, yellow,
/// cyan, green, magenta, red, blue, black) under a stripe that spells the
/// frame's sequence number in 16 black/white cells, most significant first.
///
/// Every edge falls on an even column and row, so each 2×1 (YUYV) or 2×2
/// (NV12, I420) chroma block is one colour and a correct conversion gets the
/// picture back to within rounding.
public enum FakeTestPattern {
    /// Rows the frame-number stripe covers.
    public static let stripeHeight = 8
    public static let stripeCells = 16

    static let bars: [(UInt8, UInt8, UInt8)] = [
        (255, 255, 255), (255, 255, 0), (0, 255, 255), (0, 255, 0),
        (255, 0, 255), (255, 0, 0), (0, 0, 255), (0, 0, 0),
    ]

    /// The pattern as packed RGB24.
    public static func rgb(width: Int, height: Int, frameNumber: Int) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let cellWidth = max(2, (width / stripeCells) & ~1)
        for y in 0..<height {
            for x in 0..<width {
                let evenX = x & ~1
                let color: (UInt8, UInt8, UInt8)
                if (y & ~1) < stripeHeight, height >= 2 * stripeHeight {
                    let cell = evenX / cellWidth
                    let bit = cell < stripeCells ? (frameNumber >> (stripeCells - 1 - cell)) & 1 : 0
                    color = bit == 1 ? (255, 255, 255) : (0, 0, 0)
                } else {
                    color = bars[min(bars.count - 1, evenX * bars.count / width)]
                }
                let offset = (y * width + x) * 3
                pixels[offset] = color.0
                pixels[offset + 1] = color.1
                pixels[offset + 2] = color.2
            }
        }
        return pixels
    }

    /// Reads the frame number back from a (converted) RGB24 picture.
    public static func frameNumber(inRGB pixels: [UInt8], width: Int, height: Int) -> Int {
        let cellWidth = max(2, (width / stripeCells) & ~1)
        var number = 0
        for cell in 0..<stripeCells {
            let x = cell * cellWidth + cellWidth / 2, y = stripeHeight / 2
            let green = pixels[(y * width + x) * 3 + 1]
            number = number << 1 | (green > 128 ? 1 : 0)
        }
        return number
    }

    // MARK: Encoding

    /// BT.601 limited range in floating point: the textbook formulas, written
    /// independently of Camera's PixelConversion so that tests check one
    /// against the other (an oracle, not a second implementation to share).
    static func yuv(_ red: UInt8, _ green: UInt8, _ blue: UInt8) -> (y: UInt8, u: UInt8, v: UInt8) {
        let r = Double(red) / 255, g = Double(green) / 255, b = Double(blue) / 255
        let luma = 0.299 * r + 0.587 * g + 0.114 * b
        let u = (b - luma) / 1.772, v = (r - luma) / 1.402
        func byte(_ value: Double) -> UInt8 { UInt8(max(0, min(255, value.rounded()))) }
        return (byte(16 + 219 * luma), byte(128 + 224 * u), byte(128 + 224 * v))
    }

    /// Writes the pattern for `frameNumber` in `pixelFormat` into `memory`;
    /// returns the bytes used.
    public static func render(into memory: UnsafeMutableRawPointer, capacity: Int, pixelFormat: PixelFormat,
                              width: Int, height: Int, bytesPerLine: Int, frameNumber: Int) -> Int {
        let rgb = rgb(width: width, height: height, frameNumber: frameNumber)
        let bytes = memory.assumingMemoryBound(to: UInt8.self)
        func pixel(_ x: Int, _ y: Int) -> (y: UInt8, u: UInt8, v: UInt8) {
            let offset = (y * width + x) * 3
            return yuv(rgb[offset], rgb[offset + 1], rgb[offset + 2])
        }
        switch pixelFormat {
        case .yuyv:
            for y in 0..<height {
                for x in stride(from: 0, to: width - 1, by: 2) {
                    let left = pixel(x, y), right = pixel(x + 1, y)
                    let out = bytes + y * bytesPerLine + x * 2
                    (out[0], out[1], out[2], out[3]) = (left.y, left.u, right.y, left.v)
                }
            }
            return bytesPerLine * height
        case .nv12:
            let chroma = bytes + bytesPerLine * height
            for y in 0..<height {
                for x in 0..<width {
                    let value = pixel(x, y)
                    bytes[y * bytesPerLine + x] = value.y
                    if x % 2 == 0, y % 2 == 0 {
                        chroma[(y / 2) * bytesPerLine + x] = value.u
                        chroma[(y / 2) * bytesPerLine + x + 1] = value.v
                    }
                }
            }
            return bytesPerLine * height + bytesPerLine * ((height + 1) / 2)
        case .rgb24:
            for y in 0..<height {
                for x in 0..<(width * 3) { bytes[y * bytesPerLine + x] = rgb[y * width * 3 + x] }
            }
            return bytesPerLine * height
        default:
            // Compressed formats: a recognisable, not decodable, payload.
            let marker = Array("FAKE-\(pixelFormat)-\(frameNumber)".utf8)
            let count = min(capacity, max(marker.count, capacity / 10))
            for index in 0..<count { bytes[index] = index < marker.count ? marker[index] : 0 }
            return count
        }
    }
}

import Camera

/// The picture the fake camera sends: eight colour bars (100 % white, yellow,
/// cyan, green, magenta, red, blue, black) under a stripe that spells the
/// frame's sequence number in 16 black/white cells, most significant first.
///
/// Every edge falls on an even column and row, so each 2×1 (YUYV) or 2×2
/// (NV12, I420) chroma block is one colour and repacking between the YUV
/// layouts keeps the picture exactly. No colour maths here: each bar is given
/// both ways, in RGB and in its BT.601 limited-range code (the standard table
/// of 100 % bars), so that tests of the one conversion there is (swscale's, for
/// RGB24 cameras) have an independent reference.
public enum FakeTestPattern {
    /// Rows the frame-number stripe covers.
    public static let stripeHeight = 8
    public static let stripeCells = 16

    typealias Color = (rgb: (UInt8, UInt8, UInt8), yuv: (y: UInt8, u: UInt8, v: UInt8))
    static let white: Color = ((255, 255, 255), (235, 128, 128))
    static let black: Color = ((0, 0, 0), (16, 128, 128))
    static let bars: [Color] = [
        white, ((255, 255, 0), (210, 16, 146)), ((0, 255, 255), (170, 166, 16)), ((0, 255, 0), (145, 54, 34)),
        ((255, 0, 255), (106, 202, 222)), ((255, 0, 0), (81, 90, 240)), ((0, 0, 255), (41, 240, 110)), black,
    ]

    /// The colour at (x, y); constant over each aligned 2×2 block.
    static func color(x: Int, y: Int, width: Int, height: Int, frameNumber: Int) -> Color {
        let evenX = x & ~1
        if (y & ~1) < stripeHeight, height >= 2 * stripeHeight {
            let cellWidth = max(2, (width / stripeCells) & ~1)
            let cell = evenX / cellWidth
            let bit = cell < stripeCells ? (frameNumber >> (stripeCells - 1 - cell)) & 1 : 0
            return bit == 1 ? white : black
        }
        return bars[min(bars.count - 1, evenX * bars.count / width)]
    }

    /// The pattern as packed RGB24.
    public static func rgb(width: Int, height: Int, frameNumber: Int) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let color = color(x: x, y: y, width: width, height: height, frameNumber: frameNumber).rgb
                (pixels[(y * width + x) * 3], pixels[(y * width + x) * 3 + 1], pixels[(y * width + x) * 3 + 2]) = color
            }
        }
        return pixels
    }

    /// The pattern as tightly packed I420 (BT.601 limited range): exactly what a YUYV or NV12
    /// camera's frame repacks to.
    public static func i420(width: Int, height: Int, frameNumber: Int) -> [UInt8] {
        let chromaWidth = (width + 1) / 2, chromaHeight = (height + 1) / 2
        var planes = [UInt8](repeating: 0, count: width * height + 2 * chromaWidth * chromaHeight)
        for y in 0..<height {
            for x in 0..<width {
                let yuv = color(x: x, y: y, width: width, height: height, frameNumber: frameNumber).yuv
                planes[y * width + x] = yuv.y
                if x % 2 == 0, y % 2 == 0 {
                    planes[width * height + (y / 2) * chromaWidth + x / 2] = yuv.u
                    planes[width * height + chromaWidth * chromaHeight + (y / 2) * chromaWidth + x / 2] = yuv.v
                }
            }
        }
        return planes
    }

    /// Reads the frame number back from a packed RGB24 picture.
    public static func frameNumber(inRGB pixels: [UInt8], width: Int, height: Int) -> Int {
        readNumber(width: width) { x, y in pixels[(y * width + x) * 3 + 1] }
    }

    /// Reads the frame number back from an I420 (or any planar YUV) picture's luma.
    public static func frameNumber(inI420 planes: [UInt8], width: Int, height: Int) -> Int {
        readNumber(width: width) { x, y in planes[y * width + x] }
    }

    /// The stripe's cells read at their centres: bright (> 128) is a 1.
    private static func readNumber(width: Int, sample: (_ x: Int, _ y: Int) -> UInt8) -> Int {
        let cellWidth = max(2, (width / stripeCells) & ~1)
        var number = 0
        for cell in 0..<stripeCells {
            number = number << 1 | (sample(cell * cellWidth + cellWidth / 2, stripeHeight / 2) > 128 ? 1 : 0)
        }
        return number
    }

    // MARK: Encoding

    /// Writes the pattern for `frameNumber` in `pixelFormat` into `memory`;
    /// returns the bytes used.
    public static func render(into memory: UnsafeMutableRawPointer, capacity: Int, pixelFormat: PixelFormat,
                              width: Int, height: Int, bytesPerLine: Int, frameNumber: Int) -> Int {
        let bytes = memory.assumingMemoryBound(to: UInt8.self)
        func pixel(_ x: Int, _ y: Int) -> (y: UInt8, u: UInt8, v: UInt8) {
            color(x: x, y: y, width: width, height: height, frameNumber: frameNumber).yuv
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
            let rgb = rgb(width: width, height: height, frameNumber: frameNumber)
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

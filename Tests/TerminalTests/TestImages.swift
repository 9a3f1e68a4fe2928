import Foundation
@testable import Terminal

/// Synthetic frames with known character: smooth, hard-edged, few-coloured.
enum TestImages {
    /// Red across, green down, blue constant: every pixel different.
    static func gradient(width: Int, height: Int) -> RGBImage {
        image(width: width, height: height) { x, y in
            (x * 255 / max(1, width - 1), y * 255 / max(1, height - 1), 128)
        }
    }

    /// Photo-like: each channel a slow sinusoid (under one cycle across the
    /// frame, in its own direction), like sky, skin or a blurred background.
    /// Defined on the unit square, so every size shows the same picture.
    static func smoothField(width: Int, height: Int) -> RGBImage {
        image(width: width, height: height) { x, y in
            let u = Double(x) / Double(width) * 2 * .pi, v = Double(y) / Double(height) * 2 * .pi
            return (Int(128 + 100 * sin(0.8 * u + 0.5 * v)),
                    Int(128 + 90 * sin(0.6 * u - 0.9 * v + 1)),
                    Int(128 + 80 * cos(0.5 * (u + v))))
        }
    }

    /// A hard case for 256 colours: every channel cycles several times, in
    /// different directions, so the frame sweeps a large part of the RGB cube.
    static func busyField(width: Int, height: Int) -> RGBImage {
        image(width: width, height: height) { x, y in
            let fx = Double(x), fy = Double(y)
            return (Int(128 + 100 * sin(fx / 17 + fy / 29)),
                    Int(128 + 90 * sin(fx / 23 - fy / 13 + 1)),
                    Int(128 + 80 * cos((fx + fy) / 31)))
        }
    }

    /// A grid of flat rectangles in `colors.count` distinct colours.
    static func blocks(width: Int, height: Int, columns: Int = 4, rows: Int = 4,
                       colors: [(Int, Int, Int)] = saturated) -> RGBImage {
        image(width: width, height: height) { x, y in
            colors[(y * rows / height * columns + x * columns / width) % colors.count]
        }
    }

    static let saturated: [(Int, Int, Int)] = [
        (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255), (255, 0, 255),
        (0, 0, 0), (255, 255, 255), (128, 128, 128), (200, 100, 50), (12, 34, 56), (250, 240, 230),
        (90, 10, 160), (10, 160, 90), (160, 90, 10), (77, 77, 200),
    ]

    static func image(width: Int, height: Int, _ color: (Int, Int) -> (Int, Int, Int)) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let (r, g, b) = color(x, y)
                let offset = (y * width + x) * 3
                pixels[offset] = UInt8(clamping: r)
                pixels[offset + 1] = UInt8(clamping: g)
                pixels[offset + 2] = UInt8(clamping: b)
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Mean absolute difference of `size`×`size` block averages: what the eye
    /// sees once dithering noise blurs out.
    static func blockMeanAbsoluteError(_ a: RGBImage, _ b: RGBImage, size: Int = 4) -> Double {
        precondition(a.width == b.width && a.height == b.height)
        var total = 0.0, blocks = 0
        for top in stride(from: 0, through: a.height - size, by: size) {
            for left in stride(from: 0, through: a.width - size, by: size) {
                for channel in 0..<3 {
                    var difference = 0
                    for y in top..<(top + size) {
                        for x in left..<(left + size) {
                            let offset = (y * a.width + x) * 3 + channel
                            difference += Int(a.pixels[offset]) - Int(b.pixels[offset])
                        }
                    }
                    total += abs(Double(difference)) / Double(size * size)
                    blocks += 1
                }
            }
        }
        return total / Double(max(1, blocks))
    }

    /// Mean absolute difference per channel value, in 0–255 units.
    static func meanAbsoluteError(_ a: RGBImage, _ b: RGBImage) -> Double {
        precondition(a.width == b.width && a.height == b.height)
        var total = 0
        for i in 0..<a.pixels.count { total += abs(Int(a.pixels[i]) - Int(b.pixels[i])) }
        return Double(total) / Double(max(1, a.pixels.count))
    }
}

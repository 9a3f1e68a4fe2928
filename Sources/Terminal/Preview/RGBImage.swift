/// A frame as the preview sees it: 8-bit RGB, packed, row-major, no padding.
/// The pipeline converts to this once; every encoder reads it directly.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// `width * height * 3` bytes: r, g, b for each pixel, rows top to bottom.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height * 3,
                     "RGBImage: \(pixels.count) bytes for \(width)×\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A uniform image.
    public init(width: Int, height: Int, red: UInt8, green: UInt8, blue: UInt8) {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for offset in stride(from: 0, to: pixels.count, by: 3) {
            pixels[offset] = red
            pixels[offset + 1] = green
            pixels[offset + 2] = blue
        }
        self.init(width: width, height: height, pixels: pixels)
    }

    /// The image at another size. Shrinking averages every source pixel the
    /// output pixel covers (fractional coverage weighted), so fine detail
    /// turns into its mean colour instead of aliasing; growing is bilinear.
    /// Each axis is handled on its own, so one may shrink while the other grows.
    public func resized(width newWidth: Int, height newHeight: Int) -> RGBImage {
        precondition(newWidth > 0 && newHeight > 0, "resized: empty target \(newWidth)×\(newHeight)")
        if newWidth == width && newHeight == height { return self }
        precondition(width > 0 && height > 0, "resized: empty source")
        let horizontal = ResamplingAxis(sourceCount: width, targetCount: newWidth)
        let vertical = ResamplingAxis(sourceCount: height, targetCount: newHeight)

        // Pass 1: rows resampled horizontally into floats (height × newWidth × 3).
        var rows = [Float](repeating: 0, count: height * newWidth * 3)
        pixels.withUnsafeBufferPointer { source in
            rows.withUnsafeMutableBufferPointer { target in
                horizontal.weights.withUnsafeBufferPointer { weights in
                    horizontal.firstSource.withUnsafeBufferPointer { firsts in
                        let taps = horizontal.tapsPerTarget
                        for y in 0..<height {
                            let sourceRow = y * width * 3
                            let targetRow = y * newWidth * 3
                            for x in 0..<newWidth {
                                var r: Float = 0, g: Float = 0, b: Float = 0
                                let first = firsts[x]
                                for tap in 0..<taps {
                                    let weight = weights[x * taps + tap]
                                    if weight == 0 { continue }
                                    let offset = sourceRow + (first + tap) * 3
                                    r += weight * Float(source[offset])
                                    g += weight * Float(source[offset + 1])
                                    b += weight * Float(source[offset + 2])
                                }
                                target[targetRow + x * 3] = r
                                target[targetRow + x * 3 + 1] = g
                                target[targetRow + x * 3 + 2] = b
                            }
                        }
                    }
                }
            }
        }

        // Pass 2: columns resampled vertically, rounded back to bytes.
        var output = [UInt8](repeating: 0, count: newWidth * newHeight * 3)
        let rowLength = newWidth * 3
        rows.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                var accumulator = [Float](repeating: 0, count: rowLength)
                accumulator.withUnsafeMutableBufferPointer { sum in
                    let taps = vertical.tapsPerTarget
                    for y in 0..<newHeight {
                        for i in 0..<rowLength { sum[i] = 0 }
                        let first = vertical.firstSource[y]
                        for tap in 0..<taps {
                            let weight = vertical.weights[y * taps + tap]
                            if weight == 0 { continue }
                            let sourceRow = (first + tap) * rowLength
                            for i in 0..<rowLength { sum[i] += weight * source[sourceRow + i] }
                        }
                        let targetRow = y * rowLength
                        for i in 0..<rowLength {
                            target[targetRow + i] = UInt8(min(255, max(0, sum[i].rounded())))
                        }
                    }
                }
            }
        }
        return RGBImage(width: newWidth, height: newHeight, pixels: output)
    }
}

/// Which source samples each output sample reads along one axis, and with
/// what weights: computed once per resize, so the pixel loops only multiply-add.
struct ResamplingAxis {
    let tapsPerTarget: Int
    /// Index of the first source sample of each target sample.
    let firstSource: [Int]
    /// `targetCount * tapsPerTarget` weights, zero-padded; each group sums to 1.
    let weights: [Float]

    init(sourceCount: Int, targetCount: Int) {
        let scale = Double(sourceCount) / Double(targetCount)
        var firsts = [Int](repeating: 0, count: targetCount)
        if scale >= 1 {
            // Box filter: target i covers source interval [i·scale, (i+1)·scale).
            let taps = Int(scale.rounded(.up)) + 1
            var weights = [Float](repeating: 0, count: targetCount * taps)
            for i in 0..<targetCount {
                let start = Double(i) * scale, end = min(Double(sourceCount), Double(i + 1) * scale)
                let first = Int(start.rounded(.down))
                firsts[i] = first
                var j = first, tap = 0
                while Double(j) < end && j < sourceCount && tap < taps {
                    let covered = min(end, Double(j + 1)) - max(start, Double(j))
                    weights[i * taps + tap] = Float(covered / scale)
                    j += 1
                    tap += 1
                }
            }
            self.tapsPerTarget = taps
            self.weights = weights
        } else {
            // Bilinear: sample centres aligned, edges clamped.
            var weights = [Float](repeating: 0, count: targetCount * 2)
            for i in 0..<targetCount {
                let centre = min(Double(sourceCount - 1), max(0, (Double(i) + 0.5) * scale - 0.5))
                let first = min(sourceCount - 1, Int(centre.rounded(.down)))
                let fraction = centre - Double(first)
                if first + 1 < sourceCount {
                    firsts[i] = first
                    weights[i * 2] = Float(1 - fraction)
                    weights[i * 2 + 1] = Float(fraction)
                } else {
                    firsts[i] = first
                    weights[i * 2] = 1
                }
            }
            self.tapsPerTarget = 2
            self.weights = weights
        }
        self.firstSource = firsts
    }
}

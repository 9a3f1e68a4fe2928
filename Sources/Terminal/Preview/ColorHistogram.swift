/// Pixel counts and colour sums per 5-bit-per-channel cell, and whether each
/// cell holds a single exact colour.
struct ColorHistogram {
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

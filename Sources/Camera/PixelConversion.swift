/// Conversions between packed RGB24 and the YUV layouts cameras and virtual
/// cameras use. BT.601, limited range (Y 16…235, chroma 16…240), the range
/// webcams send and v4l2loopback consumers expect.
///
/// Integer fixed-point math (8 fractional bits) over contiguous rows: these
/// run on every frame, so no per-pixel allocation, no floating point.
public enum PixelConversion {
    // MARK: YUV → RGB

    /// Packed YUYV (Y0 U Y1 V) → RGB24. `width` must be even.
    public static func yuyvToRGB(_ source: UnsafePointer<UInt8>, bytesPerLine: Int, width: Int, height: Int,
                                 into rgb: UnsafeMutablePointer<UInt8>) {
        for y in 0..<height {
            var input = source + y * bytesPerLine
            var output = rgb + y * width * 3
            for _ in 0..<(width / 2) {
                let u = Int(input[1]) - 128, v = Int(input[3]) - 128
                let (redTerm, greenTerm, blueTerm) = chromaTerms(u: u, v: v)
                let luma0 = 298 * (Int(input[0]) - 16) + 128
                let luma1 = 298 * (Int(input[2]) - 16) + 128
                output[0] = clampShift(luma0 + redTerm)
                output[1] = clampShift(luma0 + greenTerm)
                output[2] = clampShift(luma0 + blueTerm)
                output[3] = clampShift(luma1 + redTerm)
                output[4] = clampShift(luma1 + greenTerm)
                output[5] = clampShift(luma1 + blueTerm)
                input += 4
                output += 6
            }
        }
    }

    /// NV12 (Y plane, then interleaved UV at half resolution) → RGB24.
    /// Both planes use `bytesPerLine`; the UV plane follows `height` Y rows.
    public static func nv12ToRGB(_ source: UnsafePointer<UInt8>, bytesPerLine: Int, width: Int, height: Int,
                                 into rgb: UnsafeMutablePointer<UInt8>) {
        let chromaPlane = source + bytesPerLine * height
        for y in 0..<height {
            let chromaRow = chromaPlane + (y / 2) * bytesPerLine
            convertRow(luma: source + y * bytesPerLine, width: width, output: rgb + y * width * 3) { pair in
                (Int(chromaRow[2 * pair]) - 128, Int(chromaRow[2 * pair + 1]) - 128)
            }
        }
    }

    /// Planar I420 (Y, U, V; chroma at half resolution, rounded up) → RGB24.
    public static func i420ToRGB(_ source: UnsafePointer<UInt8>, width: Int, height: Int,
                                 into rgb: UnsafeMutablePointer<UInt8>) {
        let chromaWidth = (width + 1) / 2, chromaHeight = (height + 1) / 2
        let uPlane = source + width * height
        let vPlane = uPlane + chromaWidth * chromaHeight
        for y in 0..<height {
            let uRow = uPlane + (y / 2) * chromaWidth, vRow = vPlane + (y / 2) * chromaWidth
            convertRow(luma: source + y * width, width: width, output: rgb + y * width * 3) { pair in
                (Int(uRow[pair]) - 128, Int(vRow[pair]) - 128)
            }
        }
    }

    /// One row of 4:2:0 luma, two pixels per chroma sample (the last one
    /// alone when the width is odd). `chroma(pair)` gives U−128, V−128.
    @inline(__always)
    private static func convertRow(luma: UnsafePointer<UInt8>, width: Int, output: UnsafeMutablePointer<UInt8>,
                                   chroma: (Int) -> (Int, Int)) {
        var output = output
        for pair in 0..<((width + 1) / 2) {
            let (u, v) = chroma(pair)
            let (redTerm, greenTerm, blueTerm) = chromaTerms(u: u, v: v)
            let x = 2 * pair
            for column in x..<min(x + 2, width) {
                let base = 298 * (Int(luma[column]) - 16) + 128
                output[0] = clampShift(base + redTerm)
                output[1] = clampShift(base + greenTerm)
                output[2] = clampShift(base + blueTerm)
                output += 3
            }
        }
    }

    /// RGB24 rows with padding (`bytesPerLine` ≥ width × 3) → tightly packed RGB24.
    public static func copyRGB(_ source: UnsafePointer<UInt8>, bytesPerLine: Int, width: Int, height: Int,
                               into rgb: UnsafeMutablePointer<UInt8>) {
        for y in 0..<height {
            (rgb + y * width * 3).update(from: source + y * bytesPerLine, count: width * 3)
        }
    }

    // MARK: RGB → YUV

    /// RGB24 → packed YUYV. `width` must be even; each pair shares the
    /// average of its two pixels' chroma.
    public static func rgbToYUYV(_ rgb: UnsafePointer<UInt8>, width: Int, height: Int,
                                 into destination: UnsafeMutablePointer<UInt8>) {
        var input = rgb
        var output = destination
        for _ in 0..<(height * (width / 2)) {
            let r0 = Int(input[0]), g0 = Int(input[1]), b0 = Int(input[2])
            let r1 = Int(input[3]), g1 = Int(input[4]), b1 = Int(input[5])
            output[0] = luma(r0, g0, b0)
            output[2] = luma(r1, g1, b1)
            // Sums of two pixels: one more bit, hence the shift by 9.
            output[1] = chromaU(r0 + r1, g0 + g1, b0 + b1, shift: 9)
            output[3] = chromaV(r0 + r1, g0 + g1, b0 + b1, shift: 9)
            input += 6
            output += 4
        }
    }

    /// RGB24 → planar I420. Odd sizes are fine: the last chroma column/row
    /// averages the pixels that exist.
    public static func rgbToI420(_ rgb: UnsafePointer<UInt8>, width: Int, height: Int,
                                 into destination: UnsafeMutablePointer<UInt8>) {
        let chromaWidth = (width + 1) / 2, chromaHeight = (height + 1) / 2
        var lumaOutput = destination
        var input = rgb
        for _ in 0..<(width * height) {
            lumaOutput.pointee = luma(Int(input[0]), Int(input[1]), Int(input[2]))
            lumaOutput += 1
            input += 3
        }
        let uPlane = destination + width * height
        let vPlane = uPlane + chromaWidth * chromaHeight
        for chromaY in 0..<chromaHeight {
            let top = rgb + (2 * chromaY) * width * 3
            let bottom = 2 * chromaY + 1 < height ? top + width * 3 : top
            for chromaX in 0..<chromaWidth {
                let left = 2 * chromaX * 3
                let right = 2 * chromaX + 1 < width ? left + 3 : left
                let red = Int(top[left]) + Int(top[right]) + Int(bottom[left]) + Int(bottom[right])
                let green = Int(top[left + 1]) + Int(top[right + 1]) + Int(bottom[left + 1]) + Int(bottom[right + 1])
                let blue = Int(top[left + 2]) + Int(top[right + 2]) + Int(bottom[left + 2]) + Int(bottom[right + 2])
                // Sums of four pixels: two more bits, hence the shift by 10.
                uPlane[chromaY * chromaWidth + chromaX] = chromaU(red, green, blue, shift: 10)
                vPlane[chromaY * chromaWidth + chromaX] = chromaV(red, green, blue, shift: 10)
            }
        }
    }

    /// Planar I420 → packed YUYV (4:2:0 → 4:2:2: each chroma row serves two picture rows).
    /// `width` must be even.
    public static func i420ToYUYV(_ i420: UnsafePointer<UInt8>, width: Int, height: Int,
                                  into destination: UnsafeMutablePointer<UInt8>) {
        let chromaWidth = (width + 1) / 2, chromaHeight = (height + 1) / 2
        let uPlane = i420 + width * height, vPlane = uPlane + chromaWidth * chromaHeight
        for y in 0..<height {
            let luma = i420 + y * width
            let u = uPlane + (y / 2) * chromaWidth, v = vPlane + (y / 2) * chromaWidth
            let out = destination + y * width * 2
            for pair in 0..<(width / 2) {
                out[4 * pair] = luma[2 * pair]
                out[4 * pair + 1] = u[pair]
                out[4 * pair + 2] = luma[2 * pair + 1]
                out[4 * pair + 3] = v[pair]
            }
        }
    }

    // MARK: Array conveniences (tests, one-off frames)

    public static func yuyvToRGB(_ yuyv: [UInt8], width: Int, height: Int) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        yuyv.withUnsafeBufferPointer { source in
            rgb.withUnsafeMutableBufferPointer { yuyvToRGB(source.baseAddress!, bytesPerLine: width * 2, width: width, height: height, into: $0.baseAddress!) }
        }
        return rgb
    }

    public static func i420ToRGB(_ i420: [UInt8], width: Int, height: Int) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        i420.withUnsafeBufferPointer { source in
            rgb.withUnsafeMutableBufferPointer { i420ToRGB(source.baseAddress!, width: width, height: height, into: $0.baseAddress!) }
        }
        return rgb
    }

    public static func rgbToYUYV(_ rgb: [UInt8], width: Int, height: Int) -> [UInt8] {
        var yuyv = [UInt8](repeating: 0, count: width * height * 2)
        rgb.withUnsafeBufferPointer { source in
            yuyv.withUnsafeMutableBufferPointer { rgbToYUYV(source.baseAddress!, width: width, height: height, into: $0.baseAddress!) }
        }
        return yuyv
    }

    public static func rgbToI420(_ rgb: [UInt8], width: Int, height: Int) -> [UInt8] {
        var i420 = [UInt8](repeating: 0, count: PixelFormat.yuv420.packedLayout(width: width, height: height)!.frameSize)
        rgb.withUnsafeBufferPointer { source in
            i420.withUnsafeMutableBufferPointer { rgbToI420(source.baseAddress!, width: width, height: height, into: $0.baseAddress!) }
        }
        return i420
    }

    // MARK: Fixed-point pieces

    @inline(__always)
    static func chromaTerms(u: Int, v: Int) -> (red: Int, green: Int, blue: Int) {
        (409 * v, -100 * u - 208 * v, 516 * u)
    }

    @inline(__always)
    static func clampShift(_ value: Int) -> UInt8 {
        let shifted = value >> 8
        return UInt8(truncatingIfNeeded: shifted < 0 ? 0 : (shifted > 255 ? 255 : shifted))
    }

    @inline(__always)
    static func luma(_ red: Int, _ green: Int, _ blue: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: ((66 * red + 129 * green + 25 * blue + 128) >> 8) + 16)
    }

    /// `shift` is 8 plus log2 of how many pixels were summed.
    @inline(__always)
    static func chromaU(_ red: Int, _ green: Int, _ blue: Int, shift: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: ((-38 * red - 74 * green + 112 * blue + (1 << (shift - 1))) >> shift) + 128)
    }

    @inline(__always)
    static func chromaV(_ red: Int, _ green: Int, _ blue: Int, shift: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: ((112 * red - 94 * green - 18 * blue + (1 << (shift - 1))) >> shift) + 128)
    }
}

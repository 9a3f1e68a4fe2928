/// The xterm 256-colour palette's fixed part: the 6×6×6 cube (16–231) and the
/// 24-step gray ramp (232–255). Entries 0–15 are left out on purpose: users
/// theme them, so their colours are unknown.
public enum XtermPalette {
    /// The cube's six levels per channel.
    public static let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

    /// The RGB colour of palette entry `index` (16...255).
    public static func color(of index: Int) -> (red: UInt8, green: UInt8, blue: UInt8) {
        precondition((16...255).contains(index))
        if index >= 232 {
            let level = UInt8(8 + 10 * (index - 232))
            return (level, level, level)
        }
        let cube = index - 16
        return (UInt8(cubeLevels[cube / 36]), UInt8(cubeLevels[cube / 6 % 6]), UInt8(cubeLevels[cube % 6]))
    }

    /// For each channel value, the nearest cube level's index.
    private static let nearestCubeLevel: [UInt8] = (0..<256).map { value in
        UInt8(cubeLevels.indices.min { abs(cubeLevels[$0] - value) < abs(cubeLevels[$1] - value) }!)
    }

    /// The entry nearest to (red, green, blue) in squared RGB distance:
    /// the nearest cube colour or the nearest gray, whichever is closer.
    @inline(__always)
    public static func nearestIndex(red: UInt8, green: UInt8, blue: UInt8) -> Int {
        let r = Int(red), g = Int(green), b = Int(blue)
        let ri = Int(nearestCubeLevel[r]), gi = Int(nearestCubeLevel[g]), bi = Int(nearestCubeLevel[b])
        let cr = cubeLevels[ri] - r, cg = cubeLevels[gi] - g, cb = cubeLevels[bi] - b
        let cubeDistance = cr * cr + cg * cg + cb * cb

        // Gray levels 8, 18, …, 238: the one nearest to the mean (r+g+b)/3 is
        // the nearest gray; rounding (sum/3 − 8)/10 in integers is (sum − 9)/30.
        let sum = r + g + b
        let grayStep = sum < 9 ? 0 : min(23, (sum - 9) / 30)
        let gray = 8 + 10 * grayStep
        let dr = gray - r, dg = gray - g, db = gray - b
        let grayDistance = dr * dr + dg * dg + db * db

        return grayDistance < cubeDistance ? 232 + grayStep : 16 + 36 * ri + 6 * gi + bi
    }
}

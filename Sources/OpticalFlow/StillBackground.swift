/// Where the camera stands still, so does the background: the pixels a dense flow moves that no
/// motion at all explains as well. Things moving in front of a still background — snow, rain,
/// dust, particles in water — fill most of DIS's patches at its coarse levels, and its flow of
/// the background follows them: a still sky comes out moving a few pixels down every frame.
///
/// First the frame: on its textured pixels, no motion explains the two frames at least as well
/// as the dense flow (the median luminance difference, each way's mean change removed, is no
/// larger). A moving camera fails this on nearly every textured pixel. Then, in such frames,
/// each pixel the dense flow moves by `minimumMotion` or more: it stands still where no motion
/// explains the frames at least as well over a (2·radius + 1)² window. Motion under a pixel is
/// never replaced (a slow zoom, a face turning): there no motion matches the input about as
/// well as the true one, and painted strokes would stop following it.
public struct StillBackground: Sendable, Equatable {
    /// Radius of the window the two explanations are compared over, in pixels.
    public var radius = 2
    /// Motion (pixels) below which the dense flow is kept whatever the comparison says.
    public var minimumMotion: Float = 1
    /// Half the central difference (luminance 0…255 a pixel) above which a pixel is textured.
    public var texturedGradient: Float = 6

    public init() {}

    /// The pixels of `current` that stand still, or nil when the camera moves (or too little of
    /// the frame is textured to tell). `flow`: dense, current → previous, on `current`'s grid.
    public func stillPixels(previous: GrayImage, current: GrayImage, flow: FlowField) -> [Bool]? {
        let w = current.width, h = current.height, n = w * h
        precondition(previous.width == w && previous.height == h && flow.width == w && flow.height == h,
                     "frames and flow must be the same size")
        guard n > 0 else { return nil }
        let carried = Warp.backward(previous, flow: flow).image.pixels
        let a = current.pixels, b = previous.pixels
        var still = [Float](repeating: 0, count: n), moved = still
        for i in 0..<n {
            still[i] = a[i] - b[i]
            moved[i] = a[i] - carried[i]
        }
        let stillMean = PlaneStatistics.mean(still), flowMean = PlaneStatistics.mean(moved)
        var stillTextured = DifferenceHistogram(), movedTextured = DifferenceHistogram()
        for y in 0..<h {
            let up = max(y - 1, 0) * w, row = y * w, down = min(y + 1, h - 1) * w
            for x in 0..<w {
                let i = row + x
                still[i] = abs(still[i] - stillMean)
                moved[i] = abs(moved[i] - flowMean)
                let gx = a[row + min(x + 1, w - 1)] - a[row + max(x - 1, 0)], gy = a[down + x] - a[up + x]
                if gx * gx + gy * gy > 4 * texturedGradient * texturedGradient {
                    stillTextured.add(still[i])
                    movedTextured.add(moved[i])
                }
            }
        }
        guard stillTextured.count > n / 50, stillTextured.median <= movedTextured.median else { return nil }
        let stillWindow = BoxBlur.apply(still, width: w, height: h, radius: radius)
        let movedWindow = BoxBlur.apply(moved, width: w, height: h, radius: radius)
        let minimum = minimumMotion * minimumMotion
        var result = [Bool](repeating: false, count: n)
        for i in 0..<n where flow.u[i] * flow.u[i] + flow.v[i] * flow.v[i] >= minimum {
            result[i] = stillWindow[i] <= movedWindow[i]
        }
        return result
    }
}

/// Absolute luminance differences (0…255) counted in bins of 1/8, for their median.
private struct DifferenceHistogram {
    private static let binsPerLevel: Float = 8
    private var bins = [Int](repeating: 0, count: 256 * 8 + 1)
    private(set) var count = 0

    mutating func add(_ difference: Float) {
        bins[Int((difference >= 0 ? min(difference, 256) : 0) * Self.binsPerLevel)] += 1   // NaN in the first bin
        count += 1
    }

    /// The lower edge of the bin holding the middle value (0 when empty).
    var median: Float {
        var seen = 0
        for (bin, number) in bins.enumerated() {
            seen += number
            if 2 * seen > count { return Float(bin) / Self.binsPerLevel }
        }
        return 0
    }
}

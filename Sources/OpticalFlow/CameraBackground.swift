/// Where the camera stands still, or moves the whole view as one, the background goes with it:
/// the pixels a dense flow moves otherwise, that the camera's motion explains as well. Things
/// moving in front of the background — snow, rain, dust, particles in water — fill most of DIS's
/// patches at its coarse levels, and where the background is flat (sky, water, a wall) its flow
/// follows them: a sky comes out moving a pixel or more down every frame, with nothing in the
/// input to say it is wrong, while the painted strokes carried along it smear.
///
/// First the frame: on its textured pixels, no motion explains the two frames at least as well
/// as the dense flow (the median luminance difference, each way's mean change removed, is no
/// larger) — a still camera; or the same once things moving on their own are left out (pixels no
/// motion explains `speckContrast` levels worse, if they are fewer than half), where the dense
/// flow of what is left hardly moves (its median under `minimumMotion`): balls, cars or people
/// crossing a tripod's view, which the dense flow follows, would otherwise outvote the
/// background, and around them DIS smears their motion over it. (Murky water streaming past a
/// moving lens would pass without that: the pixels left out are the ones that show its motion,
/// and what is left — flat murk, compression blocks fixed to the frame — zero motion explains as
/// well as any, while the dense flow there moves with the water.) Otherwise the camera's motion
/// (`CameraMotion`, a shift, zoom and roll) is fitted to the dense flow on the textured pixels it
/// carries well. Where the flow found particles in front, it must explain those pixels nearly as
/// well as the dense flow (`fitTolerance`): a scene of depth, or one large thing moving on its
/// own, fails. Without particles it must explain them better than the dense flow, once the things
/// moving on their own are left out as for the still camera: a flat scene filmed by a moving
/// camera, the dense flow smeared round the things crossing it. Otherwise the dense flow stays:
/// nothing drags it, and where one camera motion explains the frames only as well, it follows the
/// scene's depth better than one motion can.
///
/// Then, in such frames, each pixel whose dense flow is `minimumMotion` (still) or
/// `minimumDeviation` (moving) away from the camera's follows the camera where the camera's
/// motion explains the frames at least as well over a (2·radius + 1)² window. Motion under those
/// distances is never replaced (a slow zoom, a face turning): there any motion near the true one
/// matches the input about as well, and painted strokes would stop following it. With particles
/// in front, the specks the dense flow follows do not vote, and a tie goes to the camera: on flat
/// ground the particles are all that tells the two apart. Without them a tie keeps the dense
/// flow (a weakly textured thing moving on its own).
public struct CameraBackground: Sendable, Equatable {
    /// Radius of the window the two explanations are compared over, in pixels.
    public var radius = 2
    /// With a still camera, motion (pixels) below which the dense flow is kept; and the most the
    /// dense flow of what is left, once things moving on their own are left out, may move for the
    /// camera to be taken as still.
    public var minimumMotion: Float = 1
    /// With a moving camera, distance (pixels) from its motion below which the dense flow is kept.
    public var minimumDeviation: Float = 0.5
    /// Pixels the camera's motion explains worse than the dense flow by this many levels move on
    /// their own: the still camera's test, and the moving camera's without particles, leave them
    /// out; with particles in front, where they fill less than half of the (2·`speckRadius` + 1)²
    /// window around them, they are particles the flow follows, left out of the comparison; there
    /// the camera wins windows it explains within `particleTie` levels of the dense flow.
    public var speckContrast: Float = 10
    public var speckRadius = 3
    public var particleTie: Float = 0.25
    /// Half the central difference (luminance 0…255 a pixel) above which a pixel is textured.
    public var texturedGradient: Float = 6
    /// How much larger (levels) than the dense flow's the camera motion's median difference on
    /// the textured pixels may be: the dense flow also follows the noise a little.
    public var fitTolerance: Float = 0.5
    /// Whether a moving camera is looked for in pairs without particles: the fit, its alignment on
    /// the frames and the comparison run then on every pair a still camera does not explain.
    public var fitsWithoutParticles = true

    public init() {}

    /// The background of `current` and the camera's motion, or nil when neither a still camera
    /// nor one camera motion explains the frames (or too little of the frame is textured to
    /// tell). `flow`: dense, current → previous, on `current`'s grid; `particles`: its match found
    /// particles in front (`FlowMatch.foundParticles`).
    public func background(previous: GrayImage, current: GrayImage, flow: FlowField, particles: Bool = false) -> Background? {
        let w = current.width, h = current.height, n = w * h
        precondition(previous.width == w && previous.height == h && flow.width == w && flow.height == h,
                     "frames and flow must be the same size")
        guard n > 0 else { return nil }
        let a = current.pixels
        let (moved, change) = Self.differences(current, Warp.backward(previous, flow: flow).image)
        let still = Self.differences(current, previous).sizes
        var textured = [Bool](repeating: false, count: n)
        a.withUnsafeBufferPointer { a in
            textured.withUnsafeMutableBufferPointer { textured in
                for y in 0..<h {
                    let up = max(y - 1, 0) * w, row = y * w, down = min(y + 1, h - 1) * w
                    for x in 0..<w {
                        let gx = a[row + min(x + 1, w - 1)] - a[row + max(x - 1, 0)], gy = a[down + x] - a[up + x]
                        textured[row + x] = gx * gx + gy * gy > 4 * texturedGradient * texturedGradient
                    }
                }
            }
        }
        let stillMedians = medians(explained: still, moved: moved, on: textured, motion: flow)
        guard stillMedians.count > n / 50 else { return nil }
        let motion: CameraMotion, explained: [Float], minimum: Float
        if stillMedians.all.explained <= stillMedians.all.moved
            || stillMedians.rest.map({ $0.explained <= $0.moved && $0.motion < minimumMotion }) == true {
            (motion, explained, minimum) = (.still, still, minimumMotion)
        } else {
            guard particles || fitsWithoutParticles,
                  let fitted = CameraMotion.fit(to: flow, on: textured, carriedWell: moved, below: max(2 * stillMedians.all.moved, 1))?
                    .aligned(previous: previous, current: current, on: textured)
            else { return nil }
            // The dense flow's brightness change: particles the camera leaves unexplained would shift
            // its own, and on flat ground, where the two explain the frames alike, decide between them.
            let camera = Self.differences(current, Warp.backward(previous, flow: fitted.flow(width: w, height: h)).image,
                                     change: change).sizes
            let cameraMedians = medians(explained: camera, moved: moved, on: textured)
            if particles {
                guard cameraMedians.all.explained <= cameraMedians.all.moved + fitTolerance else { return nil }
            } else {
                guard let rest = cameraMedians.rest, rest.explained < rest.moved else { return nil }
            }
            (motion, explained, minimum) = (fitted, camera, minimumDeviation)
        }
        // What each explanation leaves, over the pixels that vote.
        var explainedVotes = explained, movedVotes = moved, tie: Float = 0
        if particles {
            // Specks the dense flow follows and the camera's motion leaves unexplained do not vote.
            var unexplained = [Float](repeating: 0, count: n)
            for i in 0..<n where explained[i] - moved[i] > speckContrast { unexplained[i] = 1 }
            let share = BoxBlur.apply(unexplained, width: w, height: h, radius: speckRadius)
            for i in 0..<n where unexplained[i] == 1 && share[i] < 0.5 { (explainedVotes[i], movedVotes[i]) = (0, 0) }
            tie = particleTie
        }
        let explainedWindow = BoxBlur.apply(explainedVotes, width: w, height: h, radius: radius)
        let movedWindow = BoxBlur.apply(movedVotes, width: w, height: h, radius: radius)
        var pixels = [Bool](repeating: false, count: n), agrees = pixels
        explainedWindow.withUnsafeBufferPointer { explainedWindow in
        movedWindow.withUnsafeBufferPointer { movedWindow in
        flow.u.withUnsafeBufferPointer { u in
        flow.v.withUnsafeBufferPointer { v in
        pixels.withUnsafeMutableBufferPointer { pixels in
        agrees.withUnsafeMutableBufferPointer { agrees in
            for y in 0..<h {
                for x in 0..<w {
                    let i = y * w + x
                    let (du, dv) = motion.displacement(x: Float(x), y: Float(y))
                    let (eu, ev) = (u[i] - du, v[i] - dv)
                    agrees[i] = explainedWindow[i] <= movedWindow[i] + tie
                    if eu * eu + ev * ev >= minimum * minimum { pixels[i] = agrees[i] }
                }
            }
        }}}}}}
        return Background(pixels: pixels, agrees: agrees, motion: motion)
    }

    /// Median differences left by `explained` and by the dense flow (`moved`) over the pixels `on`:
    /// all of them, and the rest once the pixels `explained` leaves `speckContrast` levels worse
    /// (things moving on their own) are left out — nil when those are half or more — with the
    /// median size of the `motion` there (pixels; 0 without one).
    private func medians(explained: [Float], moved: [Float], on selected: [Bool], motion flow: FlowField? = nil)
        -> (count: Int, all: (explained: Float, moved: Float), rest: (explained: Float, moved: Float, motion: Float)?) {
        var explainedAll = DifferenceHistogram(), movedAll = DifferenceHistogram()
        var explainedRest = DifferenceHistogram(), movedRest = DifferenceHistogram(), motionRest = DifferenceHistogram()
        for i in selected.indices where selected[i] {
            explainedAll.add(explained[i])
            movedAll.add(moved[i])
            if explained[i] - moved[i] <= speckContrast {
                explainedRest.add(explained[i])
                movedRest.add(moved[i])
                if let flow { motionRest.add((flow.u[i] * flow.u[i] + flow.v[i] * flow.v[i]).squareRoot()) }
            }
        }
        let rest = 2 * explainedRest.count > explainedAll.count ? (explainedRest.median, movedRest.median, motionRest.median) : nil
        return (explainedAll.count, (explainedAll.median, movedAll.median), rest)
    }

    /// |a − b| at each pixel, after a brightness change is removed (so a fade does not count):
    /// `change`, else their mean difference, which is returned.
    private static func differences(_ a: GrayImage, _ b: GrayImage, change: Float? = nil) -> (sizes: [Float], change: Float) {
        var d = [Float].uninitialized(a.pixels.count)
        a.pixels.withUnsafeBufferPointer { a in
            b.pixels.withUnsafeBufferPointer { b in
                d.withUnsafeMutableBufferPointer { d in for i in d.indices { d[i] = a[i] - b[i] } }
            }
        }
        let (sizes, mean) = PlaneStatistics.absoluteDeviations(d, from: change)
        return (sizes, mean)
    }
}

/// The pixels of a frame that go with the camera, and the camera's motion.
public struct Background: Sendable {
    /// Per pixel of the current frame: its flow should be `motion`'s.
    public let pixels: [Bool]
    /// Per pixel: `motion` explains its window at least as well as the dense flow, however near
    /// the two are (`pixels` are those of them whose flow is far enough from `motion`'s to replace).
    public let agrees: [Bool]
    public let motion: CameraMotion
}

/// A motion of the whole view, current → previous frame: a shift, a zoom and a roll about the
/// frame's centre (a similarity). A pixel p of the current frame was at
/// p + shift + [[zoom, −roll], [roll, zoom]]·(p − centre) in the previous one.
public struct CameraMotion: Sendable, Equatable {
    public var shiftX: Float, shiftY: Float
    public var zoom: Float, roll: Float
    public var centreX: Float, centreY: Float

    public static let still = CameraMotion(shiftX: 0, shiftY: 0, zoom: 0, roll: 0, centreX: 0, centreY: 0)

    public init(shiftX: Float, shiftY: Float, zoom: Float, roll: Float, centreX: Float, centreY: Float) {
        (self.shiftX, self.shiftY, self.zoom, self.roll, self.centreX, self.centreY) = (shiftX, shiftY, zoom, roll, centreX, centreY)
    }

    public func displacement(x: Float, y: Float) -> (u: Float, v: Float) {
        let dx = x - centreX, dy = y - centreY
        return (shiftX + zoom * dx - roll * dy, shiftY + roll * dx + zoom * dy)
    }

    public func flow(width: Int, height: Int) -> FlowField {
        var field = FlowField(zeroWidth: width, height: height)
        for y in 0..<height {
            for x in 0..<width { (field.u[y * width + x], field.v[y * width + x]) = displacement(x: Float(x), y: Float(y)) }
        }
        return field
    }

    /// `field`'s pixels that are `pixels` of a grid `step` times finer (`width` wide: pixel
    /// (x, y) of the field is its (step·x, step·y)) given this motion, in the field's own pixels.
    public func replace(in field: inout FlowField, at pixels: [Bool], width: Int, step: Int = 1) {
        precondition(field.width == (width + step - 1) / step && field.height == (pixels.count / width + step - 1) / step,
                     "the grids must be `step` apart")
        let fw = field.width, s = Float(step)
        for y in 0..<field.height {
            for x in 0..<fw where pixels[y * step * width + x * step] {
                let (u, v) = displacement(x: Float(x * step), y: Float(y * step))
                (field.u[y * fw + x], field.v[y * fw + x]) = (u / s, v / s)
            }
        }
    }

    /// The same motion the other way, previous → current: p = (I + S)⁻¹·(q − centre − shift) + centre.
    public var inverse: CameraMotion {
        let d = (1 + zoom) * (1 + zoom) + roll * roll
        let (a, b) = ((1 + zoom) / d, roll / d)   // (I + S)⁻¹ = [[a, b], [−b, a]]
        return CameraMotion(shiftX: -(a * shiftX + b * shiftY), shiftY: -(-b * shiftX + a * shiftY),
                            zoom: a - 1, roll: -b, centreX: centreX, centreY: centreY)
    }

    /// Fit to `flow` over the pixels `on` whose warp difference `carriedWell` is below `below`
    /// (pixels the flow carries badly — particles, occlusions — left out), every other row and
    /// column: from the median shift, three rounds of least squares over the pixels within
    /// max(½ px, twice the median distance) of the motion so far. Particles the flow follows, and
    /// things moving on their own, are carried well but far from the camera's motion. Nil when
    /// too few pixels are left to fit.
    static func fit(to flow: FlowField, on selected: [Bool], carriedWell: [Float], below: Float) -> CameraMotion? {
        let w = flow.width, h = flow.height
        let candidates = sampled(width: w, height: h, margin: 0).filter { selected[$0] && carriedWell[$0] < below }
        guard candidates.count >= 64 else { return nil }
        // Shifts within ±128 px to an eighth of a pixel, distances within 32 px to a 64th.
        var us = DifferenceHistogram(), vs = DifferenceHistogram()
        for i in candidates { us.add(flow.u[i] + 128); vs.add(flow.v[i] + 128) }
        var motion = CameraMotion(shiftX: us.median - 128, shiftY: vs.median - 128,
                                  zoom: 0, roll: 0, centreX: Float(w - 1) / 2, centreY: Float(h - 1) / 2)
        var distance = [Float](repeating: 0, count: candidates.count)
        for _ in 0..<3 {
            var distances = DifferenceHistogram()
            for (k, i) in candidates.enumerated() {
                let (du, dv) = motion.displacement(x: Float(i % w), y: Float(i / w))
                distance[k] = ((flow.u[i] - du) * (flow.u[i] - du) + (flow.v[i] - dv) * (flow.v[i] - dv)).squareRoot()
                distances.add(8 * distance[k])
            }
            let limit = max(0.5, 2 * distances.median / 8)
            var equations = NormalEquations(unknowns: 4), used = 0
            for (k, i) in candidates.enumerated() where distance[k] < limit {
                let dx = Double(Float(i % w) - motion.centreX), dy = Double(Float(i / w) - motion.centreY)
                equations.add(SIMD4(1, 0, dx, -dy), Double(flow.u[i]))
                equations.add(SIMD4(0, 1, dy, dx), Double(flow.v[i]))
                used += 1
            }
            guard used >= 64, let x = equations.solution() else { return nil }
            (motion.shiftX, motion.shiftY, motion.zoom, motion.roll) = (Float(x[0]), Float(x[1]), Float(x[2]), Float(x[3]))
        }
        return motion
    }

    /// The motion aligned on the frames themselves: Gauss–Newton steps on the luminance difference
    /// between `current` and `previous` carried along the motion (plus a brightness offset), over
    /// the pixels `on` of every other row and column, each step leaving out the pixels whose
    /// difference is more than three times the median (particles, things moving on their own).
    /// The flow's fit starts it: a dense flow dragged a little by particles drags its fit too, and
    /// carried every frame along a motion a fifth of a pixel off, the history smears.
    func aligned(previous: GrayImage, current: GrayImage, on selected: [Bool], steps: Int = 5) -> CameraMotion {
        let w = current.width, h = current.height
        let pixels = Self.sampled(width: w, height: h, margin: 1).filter { selected[$0] }
        guard pixels.count >= 64 else { return self }
        // previous and its central differences, sampled bilinearly where the motion carries each pixel from.
        let p = previous.pixels
        var gx = [Float](repeating: 0, count: w * h), gy = gx
        for y in 1..<(h - 1) {
            for x in 1..<(w - 1) {
                let i = y * w + x
                (gx[i], gy[i]) = ((p[i + 1] - p[i - 1]) / 2, (p[i + w] - p[i - w]) / 2)
            }
        }
        var motion = self, offset: Float = 0
        var residual = [Float](repeating: 0, count: pixels.count), gradient = [SIMD2<Float>](repeating: .zero, count: pixels.count)
        for _ in 0..<steps {
            var sizes = DifferenceHistogram()
            for (k, i) in pixels.enumerated() {
                let (x, y) = (i % w, i / w)
                let (du, dv) = motion.displacement(x: Float(x), y: Float(y))
                let sx = min(max(Float(x) + du, 1), Float(w - 2)), sy = min(max(Float(y) + dv, 1), Float(h - 2))
                let x0 = min(Int(sx), w - 3), y0 = min(Int(sy), h - 3), fx = sx - Float(x0), fy = sy - Float(y0)
                let j = y0 * w + x0
                func sample(_ plane: [Float]) -> Float {
                    let top = plane[j] + fx * (plane[j + 1] - plane[j])
                    let bottom = plane[j + w] + fx * (plane[j + w + 1] - plane[j + w])
                    return top + fy * (bottom - top)
                }
                residual[k] = sample(p) + offset - current.pixels[i]
                gradient[k] = SIMD2(sample(gx), sample(gy))
                sizes.add(abs(residual[k]))
            }
            let limit = max(3 * sizes.median, 2)
            var equations = NormalEquations(unknowns: 5)
            for (k, i) in pixels.enumerated() where abs(residual[k]) < limit {
                let g = SIMD2<Double>(Double(gradient[k].x), Double(gradient[k].y))
                let dx = Double(Float(i % w) - centreX), dy = Double(Float(i / w) - centreY)
                equations.add(SIMD8(g.x, g.y, g.x * dx + g.y * dy, -g.x * dy + g.y * dx, 1, 0, 0, 0), Double(residual[k]))
            }
            guard let step = equations.solution() else { break }
            motion.shiftX -= Float(step[0]); motion.shiftY -= Float(step[1])
            motion.zoom -= Float(step[2]); motion.roll -= Float(step[3])
            offset -= Float(step[4])
            if abs(step[0]) + abs(step[1]) < 0.002 { break }
        }
        return motion
    }

    /// Every other pixel of every other row, at least `margin` pixels inside the frame.
    private static func sampled(width w: Int, height h: Int, margin: Int) -> [Int] {
        stride(from: margin, to: h - margin, by: 2).flatMap { y in stride(from: margin, to: w - margin, by: 2).map { y * w + $0 } }
    }
}

/// Σ JᵀJ and Σ Jᵀr of a least-squares problem of up to eight unknowns, one row at a time.
struct NormalEquations {
    private var matrix: [SIMD8<Double>]
    private var right = SIMD8<Double>()
    let unknowns: Int

    init(unknowns: Int) {
        precondition((1...8).contains(unknowns))
        self.unknowns = unknowns
        matrix = [SIMD8<Double>](repeating: SIMD8(), count: unknowns)
    }

    /// A row J (lanes past `unknowns` zero) with its value r.
    mutating func add(_ row: SIMD8<Double>, _ value: Double) {
        for k in 0..<unknowns { matrix[k] += row * row[k] }
        right += row * value
    }

    mutating func add(_ row: SIMD4<Double>, _ value: Double) {
        add(SIMD8(lowHalf: row, highHalf: SIMD4()), value)
    }

    /// The least-squares solution (Gauss–Jordan, partial pivoting), or nil when the rows leave it undetermined.
    func solution() -> [Double]? {
        var m = matrix, r = right
        for c in 0..<unknowns {
            guard let p = (c..<unknowns).max(by: { abs(m[$0][c]) < abs(m[$1][c]) }), abs(m[p][c]) > 1e-9 else { return nil }
            m.swapAt(c, p)
            (r[c], r[p]) = (r[p], r[c])
            for row in 0..<unknowns where row != c {
                let f = m[row][c] / m[c][c]
                m[row] -= f * m[c]
                r[row] -= f * r[c]
            }
        }
        return (0..<unknowns).map { r[$0] / m[$0][$0] }
    }
}

/// Values in 0…256 (differences of levels; shifted or scaled flows) counted in bins of 1/8, for their median.
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

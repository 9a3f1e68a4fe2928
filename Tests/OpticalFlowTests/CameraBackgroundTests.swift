import XCTest
@testable import OpticalFlow

/// `CameraBackground`: a background behind moving particles, or around objects crossing a still
/// or panning view, goes with the camera, still or moving; an exact flow, an object moving on its own, two
/// motions at once and motion under a pixel keep the dense flow.
final class CameraBackgroundTests: XCTestCase {
    private let (w, h) = (160, 120)
    private let texture = SyntheticMotion.Texture(seed: 7)

    private func background(shiftX: Float = 0, shiftY: Float = 0) -> [Float] {
        var pixels = [Float](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w { pixels[y * w + x] = texture.value(Float(x) - shiftX, Float(y) - shiftY) }
        }
        return pixels
    }

    private func uniformFlow(u: Float, v: Float) -> FlowField {
        FlowField(width: w, height: h, u: [Float](repeating: u, count: w * h), v: [Float](repeating: v, count: w * h))
    }

    /// 3×3 white flakes on a still background, 5 px lower in the current frame; the dense flow
    /// dragged along with them over the whole frame (current → previous: 4.5 px up).
    func testABackgroundBehindFallingParticlesStandsStill() throws {
        var rng = SyntheticMotion.Rng(state: 3)
        let flakes = (0..<60).map { _ in (x: Int(rng.next() * Double(w - 3)), y: Int(rng.next() * Double(h - 8))) }
        var previous = background(), current = previous
        var near = [Bool](repeating: false, count: w * h)
        for flake in flakes {
            for dy in 0..<3 {
                for dx in 0..<3 {
                    previous[(flake.y + dy) * w + flake.x + dx] = 255
                    current[(flake.y + 5 + dy) * w + flake.x + dx] = 255
                }
            }
            for y in max(flake.y - 3, 0)..<min(flake.y + 11, h) {
                for x in max(flake.x - 3, 0)..<min(flake.x + 6, w) { near[y * w + x] = true }
            }
        }
        let background = try XCTUnwrap(CameraBackground().background(
            previous: GrayImage(width: w, height: h, pixels: previous), current: GrayImage(width: w, height: h, pixels: current),
            flow: uniformFlow(u: 0, v: -4.5)), "a still camera was taken for a moving one")
        XCTAssertEqual(background.motion, .still)
        let still = background.pixels
        let behind = (0..<(w * h)).filter { !near[$0] }
        let standing = behind.filter { still[$0] }.count
        XCTAssertGreaterThan(Double(standing) / Double(behind.count), 0.95,
                             "\(standing) of \(behind.count) background pixels stand still")
    }

    /// The whole view moved (3, 2) px, and the flow says so exactly: the camera's motion is found
    /// (particles or not), and no pixel needs it.
    func testAMovingCameraWithAnExactFlowKeepsIt() throws {
        let background = try XCTUnwrap(CameraBackground().background(
            previous: GrayImage(width: w, height: h, pixels: background()),
            current: GrayImage(width: w, height: h, pixels: background(shiftX: 3, shiftY: 2)), flow: uniformFlow(u: -3, v: -2),
            particles: true))
        XCTAssertEqual(background.motion.shiftX, -3, accuracy: 0.05)
        XCTAssertEqual(background.motion.shiftY, -2, accuracy: 0.05)
        XCTAssertEqual(background.pixels.filter { $0 }.count, 0)
    }

    /// The camera pans (1.3, 0.6) px a frame over a scene whose right half is flat; 3×3 flakes
    /// fall 6 px. The dense flow is right on the textured left half and dragged 2 px down on the
    /// flat right half, as DIS's is behind snow: the right half goes with the camera, the motion
    /// found from the frames to a twentieth of a pixel although the flow's own fit is dragged.
    /// Where a moving camera is looked for only with particles (live), a pair without keeps the
    /// dense flow.
    func testABackgroundBehindParticlesGoesWithAMovingCamera() throws {
        let (panX, panY): (Float, Float) = (1.3, 0.6)
        func scene(_ x: Float, _ y: Float) -> Float { x < Float(w / 2) ? texture.value(x, y) : 90 + 0.1 * y }
        var previous = [Float](repeating: 0, count: w * h), current = previous
        for y in 0..<h {
            for x in 0..<w {
                previous[y * w + x] = scene(Float(x), Float(y))
                current[y * w + x] = scene(Float(x) - panX, Float(y) - panY)
            }
        }
        var rng = SyntheticMotion.Rng(state: 5)
        for _ in 0..<40 {
            let (x, y) = (Int(rng.next() * Double(w - 3)), Int(rng.next() * Double(h - 9)))
            for dy in 0..<3 {
                for dx in 0..<3 {
                    previous[(y + dy) * w + x + dx] = 250
                    current[(y + 6 + dy) * w + x + dx] = 250
                }
            }
        }
        var flow = uniformFlow(u: -panX, v: -panY)
        for y in 0..<h { for x in (w / 2 + 4)..<w { flow.v[y * w + x] -= 2 } }
        let (p, c) = (GrayImage(width: w, height: h, pixels: previous), GrayImage(width: w, height: h, pixels: current))
        var live = CameraBackground()
        live.fitsWithoutParticles = false
        XCTAssertNil(live.background(previous: p, current: c, flow: flow),
                     "without particles in front, a moving camera was looked for")
        let background = try XCTUnwrap(CameraBackground().background(previous: p, current: c, flow: flow, particles: true),
                                       "the camera's motion was not found")
        XCTAssertEqual(background.motion.shiftX, -panX, accuracy: 0.05)
        XCTAssertEqual(background.motion.shiftY, -panY, accuracy: 0.05)
        XCTAssertEqual(background.motion.zoom, 0, accuracy: 0.001)
        XCTAssertEqual(background.motion.roll, 0, accuracy: 0.001)
        let flat = (8..<(h - 8)).flatMap { y in ((w / 2 + 8)..<(w - 8)).map { y * w + $0 } }
        XCTAssertGreaterThan(Double(flat.filter { background.pixels[$0] }.count) / Double(flat.count), 0.9,
                             "the flat half did not go with the camera")
    }

    /// The left half of the view moves 3 px right, the right half 3 px left, and the flow says so:
    /// no one camera motion explains it.
    func testTwoMotionsKeepTheirFlows() {
        var previous = background(), current = previous, flow = uniformFlow(u: 0, v: 0)
        for y in 0..<h {
            for x in 0..<w {
                let shift: Float = x < w / 2 ? 3 : -3
                current[y * w + x] = texture.value(Float(x) - shift, Float(y))
                previous[y * w + x] = texture.value(Float(x), Float(y))
                flow.u[y * w + x] = -shift
            }
        }
        XCTAssertNil(CameraBackground().background(
            previous: GrayImage(width: w, height: h, pixels: previous), current: GrayImage(width: w, height: h, pixels: current),
            flow: flow, particles: true))
    }

    /// A zoom and roll and their inverse bring every pixel back; the alignment finds a sub-pixel
    /// shift from a start 0.4 px off.
    func testTheMotionInvertsAndAligns() {
        let motion = CameraMotion(shiftX: 1.5, shiftY: -0.7, zoom: 0.02, roll: -0.01, centreX: 80, centreY: 60)
        for (x, y) in [(0, 0), (159, 0), (40, 100), (159, 119)] as [(Float, Float)] {
            let (u, v) = motion.displacement(x: x, y: y)
            let (iu, iv) = motion.inverse.displacement(x: x + u, y: y + v)
            XCTAssertEqual(x + u + iu, x, accuracy: 1e-3)
            XCTAssertEqual(y + v + iv, y, accuracy: 1e-3)
        }
        let previous = GrayImage(width: w, height: h, pixels: background())
        let current = GrayImage(width: w, height: h, pixels: background(shiftX: 0.35, shiftY: -0.2))
        let start = CameraMotion(shiftX: 0.05, shiftY: 0.2, zoom: 0, roll: 0, centreX: 79.5, centreY: 59.5)
        let aligned = start.aligned(previous: previous, current: current, on: [Bool](repeating: true, count: w * h))
        XCTAssertEqual(aligned.shiftX, -0.35, accuracy: 0.03)
        XCTAssertEqual(aligned.shiftY, 0.2, accuracy: 0.03)
    }

    /// A textured 40×40 square moves 4 px right across the still background; the flow is exact.
    func testAnObjectMovingOnItsOwnKeepsItsMotion() throws {
        let square = SyntheticMotion.Texture(seed: 11)
        var previous = background(), current = previous
        var flow = uniformFlow(u: 0, v: 0)
        for y in 40..<80 {
            for x in 60..<100 { previous[y * w + x] = square.value(Float(x), Float(y)) }
            for x in 64..<104 {
                current[y * w + x] = square.value(Float(x - 4), Float(y))
                flow.u[y * w + x] = -4
            }
        }
        let still = CameraBackground().background(
            previous: GrayImage(width: w, height: h, pixels: previous), current: GrayImage(width: w, height: h, pixels: current),
            flow: flow)?.pixels
        let inside = (44..<76).flatMap { y in (68..<100).map { y * w + $0 } }
        XCTAssertEqual(inside.filter { still?[$0] ?? false }.count, 0, "the moving square was stopped")
    }

    /// Two textured 40×40 squares crossing a view the camera moves by (panX, panY) px, 6 px a
    /// frame each way, over frames with camera noise (uniform, σ ≈ 1.7, new in each frame); the
    /// flow is exact but for the squares' motion dragged `smear` px round them, as DIS's coarse
    /// patches do. Returns the frames, the flow, the pixels beyond the comparison window's reach of
    /// a square that the flow drags, and the squares' inner pixels in the current frame.
    private func crossingSquares(panX: Float, panY: Float, smear: Int)
        -> (previous: GrayImage, current: GrayImage, flow: FlowField, dragged: [Int], inside: [Int]) {
        let square = SyntheticMotion.Texture(seed: 13)
        let objects: [(x: Int, y: Int, dx: Int, dy: Int)] = [(20, 20, 6, 0), (90, 60, -6, 0)]
        var previous = background(), current = background(shiftX: panX, shiftY: panY)
        var flow = uniformFlow(u: -panX, v: -panY)
        var covered = [Bool](repeating: false, count: w * h), drags = [Bool](repeating: false, count: w * h)
        for o in objects {
            for y in (o.y - smear)..<(o.y + o.dy + 40 + smear) {
                for x in (o.x - smear)..<(o.x + o.dx + 40 + smear) {
                    (flow.u[y * w + x], flow.v[y * w + x]) = (Float(-o.dx), Float(-o.dy))
                    drags[y * w + x] = true
                }
            }
            for y in 0..<40 {
                for x in 0..<40 {
                    let value = square.value(Float(x + 3 * o.x), Float(y))
                    previous[(o.y + y) * w + o.x + x] = value
                    current[(o.y + o.dy + y) * w + o.x + o.dx + x] = value
                    covered[(o.y + y) * w + o.x + x] = true
                    covered[(o.y + o.dy + y) * w + o.x + o.dx + x] = true
                }
            }
        }
        var rng = SyntheticMotion.Rng(state: 17)
        for i in 0..<(w * h) {
            previous[i] += Float(rng.next() * 6 - 3)
            current[i] += Float(rng.next() * 6 - 3)
        }
        let clear = FlowConfidence(width: w, height: h, mask: covered.map { $0 ? 0 : 1 }).widened(radius: 2).mask
        let inside = objects.flatMap { o in (2..<38).flatMap { y in (2..<38).map { (o.y + o.dy + y) * w + o.x + o.dx + $0 } } }
        return (GrayImage(width: w, height: h, pixels: previous), GrayImage(width: w, height: h, pixels: current), flow,
                (0..<(w * h)).filter { clear[$0] == 1 && drags[$0] }, inside)
    }

    /// The squares cross a still view, their motion dragged 5 px round them. Their pixels outvote
    /// the background's on the frame's medians, but left out, the camera is still: the background
    /// around them goes with it, the squares keep their motion.
    func testObjectsCrossingAStillViewLeaveItStill() throws {
        let scene = crossingSquares(panX: 0, panY: 0, smear: 5)
        let background = try XCTUnwrap(CameraBackground().background(previous: scene.previous, current: scene.current,
                                                                     flow: scene.flow), "the still camera was not found")
        XCTAssertEqual(background.motion, .still)
        let standing = scene.dragged.filter { background.pixels[$0] }.count
        XCTAssertGreaterThan(Double(standing) / Double(scene.dragged.count), 0.9,
                             "\(standing) of \(scene.dragged.count) pixels around the squares")
        XCTAssertEqual(scene.inside.filter { background.pixels[$0] }.count, 0, "a moving square was stopped")
    }

    /// The squares cross a view the camera pans (2.3, 0.8) px a frame, without particles, their
    /// motion dragged 8 px round them: left out, the camera's motion explains the rest better than
    /// the dragged flow, so the drag goes with the camera and the squares keep their motion. Where
    /// a moving camera is looked for only with particles (live), the dense flow stays.
    func testObjectsCrossingAPanningViewLeaveItToTheCamera() throws {
        let (panX, panY): (Float, Float) = (2.3, 0.8)
        let scene = crossingSquares(panX: panX, panY: panY, smear: 8)
        let background = try XCTUnwrap(CameraBackground().background(previous: scene.previous, current: scene.current,
                                                                     flow: scene.flow), "the camera's motion was not found")
        XCTAssertEqual(background.motion.shiftX, -panX, accuracy: 0.05)
        XCTAssertEqual(background.motion.shiftY, -panY, accuracy: 0.05)
        let panning = scene.dragged.filter { background.pixels[$0] }.count
        XCTAssertGreaterThan(Double(panning) / Double(scene.dragged.count), 0.9,
                             "\(panning) of \(scene.dragged.count) pixels around the squares")
        XCTAssertEqual(scene.inside.filter { background.pixels[$0] }.count, 0, "a moving square was made to pan")
        var live = CameraBackground()
        live.fitsWithoutParticles = false
        XCTAssertNil(live.background(previous: scene.previous, current: scene.current, flow: scene.flow))
    }

    /// Murky water streaming 7 px a frame past a moving lens: a low-contrast texture that moves, under
    /// compression blocks fixed to the frame (8×8, a step of 8 levels) and camera noise; the flow
    /// is exact. The texture's pixels show the motion, and left out as things moving on their
    /// own, what is left — the blocks' edges — the still camera explains best; but the dense flow
    /// of what is left moves 7 px: the camera is not still, and no pixel is stopped.
    func testMurkStreamingPastAMovingLensIsNotAStillCamera() {
        let shift: Float = 7
        func frame(_ t: Int) -> GrayImage {
            var pixels = [Float](repeating: 0, count: w * h)
            var rng = SyntheticMotion.Rng(state: UInt64(40 + t))
            for y in 0..<h {
                for x in 0..<w {
                    let murk = 100 + 0.8 * (texture.value(Float(x) - shift * Float(t), Float(y)) - 128)
                    let block = Float((x / 8 + y / 8) % 2) * 8
                    pixels[y * w + x] = murk + block + Float(rng.next() * 4 - 2)
                }
            }
            return GrayImage(width: w, height: h, pixels: pixels)
        }
        let background = CameraBackground().background(previous: frame(0), current: frame(1), flow: uniformFlow(u: -shift, v: 0))
        XCTAssertNotEqual(background?.motion, .still)
        XCTAssertEqual(background?.pixels.filter { $0 }.count ?? 0, 0, "pixels of the streaming murk were stopped")
    }

    /// Two identical frames and a flow of 0.6 px: no motion explains them better, but motion
    /// under a pixel is never replaced (at 1.5 px it is); the still camera agrees with them all the same.
    func testMotionUnderAPixelIsKept() {
        let frame = GrayImage(width: w, height: h, pixels: background())
        let under = CameraBackground().background(previous: frame, current: frame, flow: uniformFlow(u: -0.6, v: 0))
        XCTAssertEqual(under?.pixels.filter { $0 }.count ?? 0, 0)
        XCTAssertGreaterThan(under?.agrees.filter { $0 }.count ?? 0, w * h * 9 / 10)
        let over = CameraBackground().background(previous: frame, current: frame, flow: uniformFlow(u: -1.5, v: 0))
        XCTAssertGreaterThan(over?.pixels.filter { $0 }.count ?? 0, w * h * 9 / 10)
    }

    /// Frames too small or too flat to tell keep their flow, without tripping on their edges.
    func testTinyAndFlatFramesKeepTheFlow() {
        for (width, height) in [(1, 1), (1, 7), (5, 1), (3, 3)] {
            let n = width * height
            let frame = GrayImage(width: width, height: height, pixels: (0..<n).map { Float($0 * 40 % 256) })
            let flow = FlowField(width: width, height: height, u: [Float](repeating: 2, count: n), v: [Float](repeating: 0, count: n))
            let background = CameraBackground().background(previous: frame, current: frame, flow: flow)
            XCTAssertTrue(background == nil || background!.pixels.count == n, "\(width)×\(height)")
        }
        let flat = GrayImage(width: w, height: h, pixels: [Float](repeating: 90, count: w * h))
        XCTAssertNil(CameraBackground().background(previous: flat, current: flat, flow: uniformFlow(u: 3, v: 0)))
    }
}

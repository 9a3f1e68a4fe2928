import XCTest
@testable import OpticalFlow

/// `StillBackground`: a still camera's background behind moving particles stands still; a moving
/// camera, an object moving on its own and motion under a pixel keep the dense flow.
final class StillBackgroundTests: XCTestCase {
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
        let still = try XCTUnwrap(StillBackground().stillPixels(
            previous: GrayImage(width: w, height: h, pixels: previous), current: GrayImage(width: w, height: h, pixels: current),
            flow: uniformFlow(u: 0, v: -4.5)), "a still camera was taken for a moving one")
        let background = (0..<(w * h)).filter { !near[$0] }
        let standing = background.filter { still[$0] }.count
        XCTAssertGreaterThan(Double(standing) / Double(background.count), 0.95,
                             "\(standing) of \(background.count) background pixels stand still")
    }

    /// The whole view moved (3, 2) px, and the flow says so exactly.
    func testAMovingCameraKeepsTheFlow() {
        let still = StillBackground().stillPixels(
            previous: GrayImage(width: w, height: h, pixels: background()),
            current: GrayImage(width: w, height: h, pixels: background(shiftX: 3, shiftY: 2)), flow: uniformFlow(u: -3, v: -2))
        XCTAssertNil(still)
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
        let still = StillBackground().stillPixels(
            previous: GrayImage(width: w, height: h, pixels: previous), current: GrayImage(width: w, height: h, pixels: current),
            flow: flow)
        let inside = (44..<76).flatMap { y in (68..<100).map { y * w + $0 } }
        XCTAssertEqual(inside.filter { still?[$0] ?? false }.count, 0, "the moving square was stopped")
    }

    /// Two identical frames and a flow of 0.6 px: no motion explains them better, but motion
    /// under a pixel is never replaced (at 1.5 px it is).
    func testMotionUnderAPixelIsKept() {
        let frame = GrayImage(width: w, height: h, pixels: background())
        let under = StillBackground().stillPixels(previous: frame, current: frame, flow: uniformFlow(u: -0.6, v: 0))
        XCTAssertEqual(under?.filter { $0 }.count ?? 0, 0)
        let over = StillBackground().stillPixels(previous: frame, current: frame, flow: uniformFlow(u: -1.5, v: 0))
        XCTAssertGreaterThan(over?.filter { $0 }.count ?? 0, w * h * 9 / 10)
    }

    /// Frames too small or too flat to tell keep their flow, without tripping on their edges.
    func testTinyAndFlatFramesKeepTheFlow() {
        for (width, height) in [(1, 1), (1, 7), (5, 1), (3, 3)] {
            let n = width * height
            let frame = GrayImage(width: width, height: height, pixels: (0..<n).map { Float($0 * 40 % 256) })
            let flow = FlowField(width: width, height: height, u: [Float](repeating: 2, count: n), v: [Float](repeating: 0, count: n))
            let still = StillBackground().stillPixels(previous: frame, current: frame, flow: flow)
            XCTAssertTrue(still == nil || still!.count == n, "\(width)×\(height)")
        }
        let flat = GrayImage(width: w, height: h, pixels: [Float](repeating: 90, count: w * h))
        XCTAssertNil(StillBackground().stillPixels(previous: flat, current: flat, flow: uniformFlow(u: 3, v: 0)))
    }
}

import XCTest
@testable import OpticalFlow

final class ConsistencyTests: XCTestCase {
    private func constantFlow(_ w: Int, _ h: Int, _ u: Float, _ v: Float) -> FlowField {
        FlowField(width: w, height: h, u: [Float](repeating: u, count: w * h), v: [Float](repeating: v, count: w * h))
    }

    func testPureTranslationHasNoInteriorOcclusionNorBoundaries() {
        let (w, h) = (40, 30)
        for (du, dv) in [(Float(3), Float(-2)), (1.5, 0.5), (-7.25, 4.75)] {
            let fw = constantFlow(w, h, du, dv), bw = constantFlow(w, h, -du, -dv)
            let m = Consistency.masks(flow: bw, reverse: fw)
            XCTAssertFalse(m.motionBoundary.contains(true), "uniform flow has no motion boundary")
            let c = Consistency.confidenceInNextFrame(forward: fw, backward: bw)
            let mx = Int(abs(du).rounded(.up)) + 1, my = Int(abs(dv).rounded(.up)) + 1
            for y in my..<(h - my) {
                for x in mx..<(w - mx) {
                    XCTAssertFalse(m.occluded[y * w + x], "interior \(x),\(y) for d=(\(du),\(dv))")
                    XCTAssertEqual(c.mask[y * w + x], 1)
                }
            }
            // Content entering the frame (its source x − d lies outside frame t) is flagged.
            if du > 0 { XCTAssertTrue(m.occluded[h / 2 * w + 0]) } else { XCTAssertTrue(m.occluded[h / 2 * w + w - 1]) }
        }
    }

    /// A square sprite moves by d over a static background. Frame t: sprite at
    /// [x0, x0+s) × [y0, y0+s); frame t+1: shifted by (dx, 0).
    private struct Sprite {
        let w = 64, h = 48, x0 = 20, y0 = 14, s = 16, dx = 6
        func inSprite(_ x: Int, _ y: Int, frame: Int) -> Bool {
            let ox = x0 + frame * dx
            return x >= ox && x < ox + s && y >= y0 && y < y0 + s
        }
        /// Forward flow t→t+1 on frame t's grid: d on the sprite, 0 on the background.
        var forward: FlowField {
            var f = FlowField(zeroWidth: w, height: h)
            for y in 0..<h { for x in 0..<w where inSprite(x, y, frame: 0) { f.u[y * w + x] = Float(dx) } }
            return f
        }
        /// Backward flow t+1→t on frame t+1's grid: −d on the sprite, 0 on the background
        /// (including the uncovered strip, whose background did not move).
        var backward: FlowField {
            var f = FlowField(zeroWidth: w, height: h)
            for y in 0..<h { for x in 0..<w where inSprite(x, y, frame: 1) { f.u[y * w + x] = -Float(dx) } }
            return f
        }
    }

    func testSpriteUncoveredRegionIsOccludedInNextFrame() {
        let sp = Sprite()
        let (w, h) = (sp.w, sp.h)
        let m = Consistency.masks(flow: sp.backward, reverse: sp.forward)
        var uncovered = 0, uncoveredFlagged = 0, otherFlagged = 0, other = 0
        for y in 0..<h {
            for x in 0..<w {
                // Visible background in t+1 that was under the sprite in t.
                let isUncovered = sp.inSprite(x, y, frame: 0) && !sp.inSprite(x, y, frame: 1)
                if isUncovered {
                    uncovered += 1
                    if m.occluded[y * w + x] { uncoveredFlagged += 1 }
                } else {
                    other += 1
                    if m.occluded[y * w + x] { otherFlagged += 1 }
                }
            }
        }
        XCTAssertEqual(uncovered, sp.dx * sp.s)
        XCTAssertEqual(uncoveredFlagged, uncovered, "every disoccluded pixel is marked")
        XCTAssertLessThan(Double(otherFlagged), 0.01 * Double(other), "the rest is mostly consistent")
        XCTAssertEqual(otherFlagged, 0, "exact fields: nothing else is occluded")

        let c = Consistency.confidenceInNextFrame(forward: sp.forward, backward: sp.backward)
        let inside = (sp.y0 + sp.s / 2) * w + sp.x0 + sp.dx + sp.s / 2
        XCTAssertEqual(c.mask[inside], 1, "sprite interior is reliable")
        XCTAssertEqual(c.mask[(sp.y0 + 3) * w + sp.x0 + 2], 0, "uncovered strip is unreliable")
        XCTAssertEqual(c.mask[5 * w + 5], 1, "far background is reliable")
    }

    func testTheReverseOfATranslationIsItsNegation() {
        let (w, h) = (40, 30)
        for (du, dv) in [(Float(3), Float(-2)), (1.5, 0.5), (-7.25, 4.75)] {
            let bw = constantFlow(w, h, du, dv), reverse = bw.reversed(crowding: 2)
            let m = Consistency.masks(flow: bw, reverse: reverse)
            let mx = Int(abs(du).rounded(.up)) + 1, my = Int(abs(dv).rounded(.up)) + 1
            for y in my..<(h - my) {
                for x in mx..<(w - mx) {
                    XCTAssertFalse(m.occluded[y * w + x], "interior \(x),\(y) for d=(\(du),\(dv))")
                    // Where a whole pixel's worth lands (the places that interior pixels land on).
                    let landing = (y + Int(dv.rounded(.down))) * w + x + Int(du.rounded(.down)) + 1
                    XCTAssertEqual(reverse.u[landing], -du, accuracy: 1e-4)
                    XCTAssertEqual(reverse.v[landing], -dv, accuracy: 1e-4)
                }
            }
        }
    }

    /// The sprite's exact backward flow: the strip it uncovers (motion 0) lands where the sprite's
    /// leading columns (motion −d) land too; the reverse there agrees with neither.
    func testTheReverseFlagsWhatTheSpriteUncovers() {
        let sp = Sprite()
        let (w, h) = (sp.w, sp.h)
        let m = Consistency.masks(flow: sp.backward, reverse: sp.backward.reversed(crowding: 2))
        for y in 0..<h {
            for x in 0..<w {
                let uncovered = sp.inSprite(x, y, frame: 0) && !sp.inSprite(x, y, frame: 1)
                let leading = sp.inSprite(x, y, frame: 1) && x < sp.x0 + 2 * sp.dx
                XCTAssertEqual(m.occluded[y * w + x], uncovered || leading, "at \(x),\(y)")
            }
        }
    }

    /// DIS drags the sprite's motion over the strip it uncovers, falling smoothly to 0 behind it:
    /// the strip and the background behind it land squeezed onto a third of their width, with
    /// motions too alike to clash. The crowding limit flags most of the strip (not the column next to
    /// the sprite, whose place holds exactly two pixels' worth); without it most of the strip passes.
    func testTheReverseFlagsAMotionSmearedOverWhatWasUncovered() {
        let sp = Sprite()
        let w = sp.w
        var bw = sp.backward
        let smear = 9, start = sp.x0 + sp.dx - smear   // the ramp's columns: start ..< the sprite's left edge
        for y in sp.y0..<(sp.y0 + sp.s) {
            for x in start..<(sp.x0 + sp.dx) { bw.u[y * w + x] = -Float(sp.dx) * Float(x - start + 1) / Float(smear) }
        }
        func flaggedInStrip(_ reverse: FlowField) -> Int {
            let m = Consistency.masks(flow: bw, reverse: reverse)
            var count = 0
            for y in sp.y0..<(sp.y0 + sp.s) {
                for x in sp.x0..<(sp.x0 + sp.dx) where m.occluded[y * w + x] { count += 1 }
            }
            return count
        }
        let strip = sp.dx * sp.s
        let limited = flaggedInStrip(bw.reversed(crowding: 2)), unlimited = flaggedInStrip(bw.reversed())
        print("smeared strip: \(limited) of \(strip) flagged with the crowding limit, \(unlimited) without")
        XCTAssertGreaterThanOrEqual(limited, strip * 4 / 5, "the uncovered strip is flagged")
        XCTAssertLessThan(unlimited, strip / 2, "motions alike: no clash without the limit")
        // Far background and the sprite's inside stay trusted.
        let m = Consistency.masks(flow: bw, reverse: bw.reversed(crowding: 2))
        XCTAssertFalse(m.occluded[5 * w + 5])
        XCTAssertFalse(m.occluded[(sp.y0 + sp.s / 2) * w + sp.x0 + sp.dx + sp.s / 2])
    }

    /// A still background whose flow came out a little off (0.6 px, as DIS's over a flat sky), put
    /// back to no motion in blocks (where the camera explained it as well) beside blocks kept: the
    /// patchwork jumps by 0.6 px at every block's edge, where nothing moves. Its boundaries are looked
    /// for in the flow as found, which has none.
    func testBoundariesAreThoseOfTheFlowAsFound() {
        let (w, h) = (40, 32)
        let found = constantFlow(w, h, 0.6, 0)
        var replaced = found
        for y in 0..<h { for x in 0..<w where (x / 4 + y / 4) % 2 == 0 { (replaced.u[y * w + x], replaced.v[y * w + x]) = (0, 0) } }
        let reverse = replaced.reversed()
        let patchwork = Consistency.masks(flow: replaced, reverse: reverse).motionBoundary.filter { $0 }.count
        let asFound = Consistency.masks(flow: replaced, reverse: reverse, boundariesOf: found)
        XCTAssertGreaterThan(patchwork, w * h / 3, "the patchwork's edges read as motion boundaries")
        XCTAssertFalse(asFound.motionBoundary.contains(true))
        XCTAssertEqual(asFound.occluded, Consistency.masks(flow: replaced, reverse: reverse).occluded, "the occlusion test is the replaced flow's")
    }

    func testSpriteMotionBoundariesFollowItsEdges() {
        let sp = Sprite()
        let (w, h) = (sp.w, sp.h)
        let m = Consistency.masks(flow: sp.backward, reverse: sp.forward)
        let left = sp.x0 + sp.dx, right = left + sp.s - 1, top = sp.y0, bottom = sp.y0 + sp.s - 1
        for y in top...bottom {
            XCTAssertTrue(m.motionBoundary[y * w + left], "left edge row \(y)")
            XCTAssertTrue(m.motionBoundary[y * w + left - 1], "just outside left edge row \(y)")
            XCTAssertTrue(m.motionBoundary[y * w + right], "right edge row \(y)")
        }
        for x in left...right {
            XCTAssertTrue(m.motionBoundary[top * w + x], "top edge col \(x)")
            XCTAssertTrue(m.motionBoundary[bottom * w + x], "bottom edge col \(x)")
        }
        // Nothing further than one pixel from an edge.
        for y in 0..<h {
            for x in 0..<w where m.motionBoundary[y * w + x] {
                let nearX = x >= left - 1 && x <= right + 1, nearY = y >= top - 1 && y <= bottom + 1
                XCTAssertTrue(nearX && nearY, "boundary at \(x),\(y) is far from the sprite")
                let interior = x > left + 1 && x < right - 1 && y > top + 1 && y < bottom - 1
                XCTAssertFalse(interior, "boundary inside the sprite at \(x),\(y)")
            }
        }
        // The confidence drops motion boundaries unless told not to.
        let withB = Consistency.confidenceInNextFrame(forward: sp.forward, backward: sp.backward)
        let without = Consistency.confidenceInNextFrame(forward: sp.forward, backward: sp.backward,
                                                        includeMotionBoundaries: false)
        XCTAssertEqual(withB.mask[(top + 5) * w + right], 0)
        XCTAssertEqual(without.mask[(top + 5) * w + right], 1)
    }

    func testSpriteCoveredRegionIsOccludedInCurrentFrame() {
        // Swapped roles: on frame t's grid, the background the sprite will cover is occluded.
        let sp = Sprite()
        let (w, h) = (sp.w, sp.h)
        let c = Consistency.confidenceInCurrentFrame(forward: sp.forward, backward: sp.backward)
        for y in 0..<h {
            for x in 0..<w {
                let willBeCovered = !sp.inSprite(x, y, frame: 0) && sp.inSprite(x, y, frame: 1)
                XCTAssertEqual(c.mask[y * w + x], willBeCovered ? 0 : 1, "at \(x),\(y)")
            }
        }
    }

    func testFeatheredConfidenceKeepsOccludedAtZero() {
        let sp = Sprite()
        let w = sp.w
        let hard = Consistency.confidenceInNextFrame(forward: sp.forward, backward: sp.backward)
        let soft = Consistency.confidenceInNextFrame(forward: sp.forward, backward: sp.backward, feather: 2)
        XCTAssertEqual(soft, hard.feathered(radius: 2))
        for i in 0..<hard.mask.count {
            XCTAssertGreaterThanOrEqual(soft.mask[i], 0)
            XCTAssertLessThanOrEqual(soft.mask[i], 1)
            if hard.mask[i] == 0 { XCTAssertEqual(soft.mask[i], 0) }
            XCTAssertLessThanOrEqual(soft.mask[i], hard.mask[i] + 1e-6)
        }
        XCTAssertEqual(soft.mask[5 * w + 5], 1, accuracy: 1e-6, "far from any unreliable pixel")
        // Two pixels left of the uncovered strip (reliable background): partially trusted.
        let near = soft.mask[(sp.y0 + 8) * w + sp.x0 - 2]
        XCTAssertEqual(hard.mask[(sp.y0 + 8) * w + sp.x0 - 2], 1)
        XCTAssertGreaterThan(near, 0)
        XCTAssertLessThan(near, 1)
        XCTAssertEqual(hard.feathered(radius: 0), hard)
    }

    /// Widening takes each pixel's lowest confidence within the radius: a square (2r+1) on a side
    /// round one unreliable pixel, clipped at the frame's edge, and nothing else changes.
    func testWidenedConfidenceGrowsTheUnreliableSide() {
        let (w, h) = (12, 9)
        var mask = [Float](repeating: 1, count: w * h)
        mask[4 * w + 5] = 0      // inside
        mask[0 * w + 11] = 0.25  // in a corner
        let widened = FlowConfidence(width: w, height: h, mask: mask).widened(radius: 2)
        for y in 0..<h { for x in 0..<w {
            let inner = abs(x - 5) <= 2 && abs(y - 4) <= 2, corner = x >= 9 && y <= 2
            let expected: Float = inner ? 0 : (corner ? 0.25 : 1)
            XCTAssertEqual(widened.mask[y * w + x], expected, "at (\(x), \(y))")
        } }
        XCTAssertEqual(FlowConfidence(width: w, height: h, mask: mask).widened(radius: 0).mask, mask)
    }

    /// Closing fills an unreliable spot of 3×3 and leaves an unreliable region of 8×6 as it was.
    func testClosedConfidenceFillsSpotsAndKeepsRegions() {
        let (w, h) = (24, 16)
        var mask = [Float](repeating: 1, count: w * h)
        for y in 2..<5 { for x in 2..<5 { mask[y * w + x] = 0 } }       // a spot
        for y in 8..<14 { for x in 12..<20 { mask[y * w + x] = 0 } }    // a region
        let closed = FlowConfidence(width: w, height: h, mask: mask).closed(radius: 2)
        for y in 0..<h { for x in 0..<w {
            let region = (12..<20).contains(x) && (8..<14).contains(y)
            XCTAssertEqual(closed.mask[y * w + x], region ? 0 : 1, "at (\(x), \(y))")
        } }
    }

    /// A flow and its reverse given on the full grid and on one twice as coarse (the same motion, in
    /// each grid's pixels): with `coarser(by: 2)`'s thresholds both tests decide alike at each
    /// coarse pixel and the full pixel on it. The motion is a zoom (whose constant gradient the
    /// boundary test weighs against the growing motion) and a reverse off by an error growing
    /// across the frame (which the occlusion test weighs against its absolute term), so that both
    /// decisions change inside the frame.
    func testCoarserThresholdsDecideAsOnTheFullGrid() {
        let (w, h) = (128, 96)
        func fields(step: Int) -> (flow: FlowField, reverse: FlowField) {
            let (fw, fh) = (w / step, h / step), s = Float(step)
            var a = FlowField(zeroWidth: fw, height: fh), b = a
            for y in 0..<fh {
                for x in 0..<fw {
                    let (X, Y) = (Float(x * step), Float(y * step))   // on the full grid
                    let i = y * fw + x
                    (a.u[i], a.v[i]) = (0.04 * (X - 64) / s, 0.04 * (Y - 48) / s)
                    (b.u[i], b.v[i]) = (-a.u[i] + 1.6 * X / Float(w) / s, -a.v[i])
                }
            }
            return (a, b)
        }
        var thresholds = Consistency.Thresholds.ruder2016
        thresholds.occlusionAbsolute = 1
        thresholds.boundaryAbsolute = 0.0005
        let full = fields(step: 1), coarse = fields(step: 2)
        let onFull = Consistency.masks(flow: full.flow, reverse: full.reverse, thresholds: thresholds)
        func differences(_ t: Consistency.Thresholds) -> (occluded: Int, boundary: Int, occludedOnFull: Int, boundaryOnFull: Int) {
            let m = Consistency.masks(flow: coarse.flow, reverse: coarse.reverse, thresholds: t)
            var counts = (0, 0, 0, 0)
            for y in 4..<(h / 2 - 4) {
                for x in 4..<(w / 2 - 4) {
                    let i = y * (w / 2) + x, j = 2 * y * w + 2 * x
                    if m.occluded[i] != onFull.occluded[j] { counts.0 += 1 }
                    if m.motionBoundary[i] != onFull.motionBoundary[j] { counts.1 += 1 }
                    if onFull.occluded[j] { counts.2 += 1 }
                    if onFull.motionBoundary[j] { counts.3 += 1 }
                }
            }
            return counts
        }
        let scaled = differences(thresholds.coarser(by: 2)), unscaled = differences(thresholds)
        print("coarse grid against full: \(scaled) with coarser(by: 2), \(unscaled) with the full grid's thresholds")
        XCTAssertGreaterThan(scaled.occludedOnFull, 100, "the occlusion test flags part of the frame")
        XCTAssertGreaterThan(scaled.boundaryOnFull, 20, "the boundary test flags part of the frame")
        XCTAssertLessThan(unscaled.occludedOnFull + unscaled.boundaryOnFull, 2 * 56 * 40, "and leaves part of it")
        XCTAssertEqual(scaled.occluded, 0)
        XCTAssertEqual(scaled.boundary, 0)
        XCTAssertGreaterThan(unscaled.occluded, 20, "the check tells the thresholds apart")
        XCTAssertGreaterThan(unscaled.boundary, 20, "the check tells the thresholds apart")
    }

    /// A confidence brought to a grid twice as fine is bilinear between the coarse pixels, each
    /// coarse pixel's value on the fine pixel over it, the border replicated (odd sizes too).
    func testUpsampledConfidenceIsBilinear() {
        let coarse = FlowConfidence(width: 3, height: 2, mask: [1, 0, 1,
                                                                0, 1, 1])
        let fine = coarse.upsampled(by: 2, toWidth: 5, height: 4)
        XCTAssertEqual(fine.mask, [1, 0.5, 0, 0.5, 1,
                                   0.5, 0.5, 0.5, 0.75, 1,
                                   0, 0.5, 1, 1, 1,
                                   0, 0.5, 1, 1, 1])
    }
}

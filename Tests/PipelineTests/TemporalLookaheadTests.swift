import XCTest
import MediaIO
import OpticalFlow
@testable import Pipeline

/// The two-way blend's second pass (`TemporalLookahead`) on the synthetic pan of
/// `TemporalBlenderTests`: a per-frame look that is the scene plus fresh noise every frame.
final class TemporalLookaheadTests: XCTestCase, SyntheticPan {
    let (w, h) = (192, 144)
    /// What the frames were painted from (only composing reads it).
    let original = try! [UInt8](repeating: 0, count: 4).withUnsafeBytes {
        try VideoFrame(width: 2, height: 2, pixelFormatName: "gray", pts: 0, bytes: $0)
    }

    /// Frames of the pan, their per-frame looks (noise ±`amplitude`) and their forward and reverse links.
    struct Clip {
        var truth: [[Float]], stylized: [[Float]], motions: [MotionFrame]
        var links: [TemporalLink?], reverseLinks: [TemporalLink?]
    }

    func clip(frames: Int, amplitude: Float = 24, cutAt cut: Int? = nil, settings: TemporalSettings) -> Clip {
        let truth = (0..<frames).map { t in cut.map { t >= $0 } ?? false ? otherShot(t) : scene(t) }
        let motions = truth.map(motion)
        let stylized = truth.enumerated().map { flicker($1, seed: $0 + 1, amplitude: amplitude) }
        var links: [TemporalLink?] = [nil], reverseLinks: [TemporalLink?] = [nil]
        for t in 1..<frames {
            let link = Temporal.link(previous: motions[t - 1], current: motions[t], settings: settings)
            links.append(link)
            reverseLinks.append(link.isCut ? nil
                                : Temporal.link(previous: motions[t], current: motions[t - 1], settings: settings))
        }
        return Clip(truth: truth, stylized: stylized, motions: motions, links: links, reverseLinks: reverseLinks)
    }

    /// Another shot: 12-pixel blocks of random colours, panning by a pixel a frame.
    func otherShot(_ t: Int) -> [Float] {
        let n = w * h
        var rgb = [Float](repeating: 0, count: 3 * n)
        for c in 0..<3 { for y in 0..<h { for x in 0..<w {
            var state = UInt64(((x + t) / 12) * 7919 + (y / 12) * 104_729 + c * 15_485_863 + 1) &* 0x9E37_79B9_7F4A_7C15
            state ^= state >> 29
            rgb[c * n + y * w + x] = Float(state % 200) + 28
        } } }
        return rgb
    }

    /// The frames as they come out: blended forwards, then through a lookahead of `settings.lookahead`
    /// (none at 0), each with its index; and the indices each `add` gave back.
    func run(_ clip: Clip, settings: TemporalSettings) -> (frames: [(index: Int, pixels: [Float])], batches: [[Int]]) {
        let forward = TemporalBlender(settings: settings)
        let lookahead = settings.lookahead > 0 ? TemporalLookahead<Int>(settings: settings) : nil
        var out: [(Int, [Float])] = [], batches: [[Int]] = []
        for t in clip.stylized.indices {
            var frame = StylizedFrame(original: original, pixels: clip.stylized[t],
                                      width: w, height: h, link: clip.links[t])
            let carried = forward.blend(&frame.pixels, width: w, height: h, link: frame.link)
            frame.reverseLink = clip.reverseLinks[t]
            guard let lookahead else { out.append((t, frame.pixels)); continue }
            let done = lookahead.add(.init(frame: frame, continues: carried, payload: t))
            batches.append(done.map(\.payload))
            out += done.map { ($0.payload, $0.frame!.pixels) }
        }
        if let lookahead {
            let done = lookahead.finish()
            batches.append(done.map(\.payload))
            out += done.map { ($0.payload, $0.frame!.pixels) }
        }
        return (out, batches)
    }

    /// Lai et al.'s warping error of consecutive frames along the scene's own flows, and the floor's.
    func warpingError(_ frames: [[Float]], _ clip: Clip) -> (output: Double, floor: Double) {
        var output = WarpingError.Accumulator(), floor = WarpingError.Accumulator()
        let unit = { (x: [Float]) in x.map { $0 / 255 } }
        for t in 1..<frames.count {
            let forward = OpticalFlow.dis(from: clip.motions[t - 1].flow, to: clip.motions[t].flow, settings: .fast)
            let backward = OpticalFlow.dis(from: clip.motions[t].flow, to: clip.motions[t - 1].flow, settings: .fast)
            let mask = Consistency.confidenceInCurrentFrame(forward: forward, backward: backward)
            output.add(outputT: unit(frames[t - 1]), outputT1: unit(frames[t]), flowForward: forward, mask: mask)
            floor.add(outputT: unit(clip.truth[t - 1]), outputT1: unit(clip.truth[t]), flowForward: forward, mask: mask)
        }
        return (output.mean, floor.mean)
    }

    func settings(lookahead: Int) -> TemporalSettings { sized { $0.lookahead = lookahead } }

    /// The frames after each one take out most of what flicker the forward blend leaves, and the
    /// strokes keep their strength (fine detail within 10% of the forward blend's).
    func testTheFramesAfterTakeOutMoreFlicker() {
        let clip = clip(frames: 16, settings: settings(lookahead: 4))
        let oneWay = run(clip, settings: settings(lookahead: 0)).frames.map(\.pixels)
        let twoWay = run(clip, settings: settings(lookahead: 4)).frames.map(\.pixels)
        let perFrame = warpingError(clip.stylized, clip), a = warpingError(oneWay, clip), b = warpingError(twoWay, clip)
        let closed = { (e: Double) in (perFrame.output - e) / (perFrame.output - perFrame.floor) }
        print("lookahead: warping error per-frame \(perFrame.output), forward \(a.output) (closed \(closed(a.output))), "
              + "two-way \(b.output) (closed \(closed(b.output))), floor \(perFrame.floor)")
        XCTAssertLessThan(b.output - perFrame.floor, 0.8 * (a.output - perFrame.floor),
                          "the lookahead left \(b.output) against the forward blend's \(a.output) (floor \(perFrame.floor))")
        let middle = 4..<12
        let fine = { (frames: [[Float]]) in middle.map { self.fineRMS(frames[$0]) }.reduce(0, +) / Double(middle.count) }
        XCTAssertEqual(fine(twoWay), fine(oneWay), accuracy: 0.1 * fine(oneWay), "the second pass changed the strokes' strength")
    }

    /// Every frame comes out once, in order, at most 3 × lookahead after it went in; at a cut
    /// everything before it comes out at once, and the cut starts a fresh history both ways:
    /// the first frame after it is the forward blend's (nothing before the cut reaches it) and
    /// the last frame before it owes nothing to the frames after.
    func testFramesComeOutOnceInOrderAndNotAcrossACut() {
        let cutAt = 9, lookahead = 3
        let clip = clip(frames: 20, cutAt: cutAt, settings: settings(lookahead: lookahead))
        XCTAssertTrue(clip.links[cutAt]!.isCut, "the other shot was not taken for a cut")
        let (frames, batches) = run(clip, settings: settings(lookahead: lookahead))
        XCTAssertEqual(frames.map(\.index), Array(0..<20))
        var given = 0
        for (t, batch) in batches.enumerated() where t < 20 {
            given += batch.count
            XCTAssertLessThanOrEqual(t + 1 - given, 3 * lookahead, "\(t + 1 - given) frames held after frame \(t)")
        }
        let givenBefore = batches[..<cutAt].reduce(0) { $0 + $1.count }
        XCTAssertEqual(batches[cutAt], Array(givenBefore..<cutAt), "the frames before the cut were held past it")

        let oneWay = run(clip, settings: settings(lookahead: 0)).frames.map(\.pixels)
        // The last frame before the cut: blended back from itself only, so as forwards.
        XCTAssertTrue(frames[cutAt - 1].pixels == oneWay[cutAt - 1], "the frame before the cut took something from after it")
        // Frames before it are changed by the second pass.
        XCTAssertGreaterThan(rms(frames[cutAt - 3].pixels, minus: oneWay[cutAt - 3]), 1)
    }

    /// A frame given out with `lookahead` frames after it (a batch's end) is close to the same frame
    /// blended back from the end of the shot: the backward history forgets where it started.
    func testABatchEndsCloseToTheWholeShot() {
        let clip = clip(frames: 32, settings: settings(lookahead: 8))
        let batched = run(clip, settings: settings(lookahead: 8)).frames.map(\.pixels)
        let whole = run(clip, settings: settings(lookahead: 32)).frames.map(\.pixels)
        let oneWay = run(clip, settings: settings(lookahead: 0)).frames.map(\.pixels)
        // Frame 15 ends the first batch (frames 0–15 finished with 16–23 after them).
        let apart = rms(batched[15], minus: whole[15]), change = rms(whole[15], minus: oneWay[15])
        print("a batch's last frame: \(apart) from the whole shot's, whose second pass changed it by \(change)")
        XCTAssertLessThan(apart, 0.4 * change)
    }
}

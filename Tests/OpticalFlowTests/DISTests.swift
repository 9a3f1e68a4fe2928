import Foundation
import XCTest
@testable import OpticalFlow

final class DISTests: XCTestCase {
    static let presets: [(String, DISSettings)] = [("ultrafast", .ultrafast), ("fast", .fast), ("medium", .medium)]
    static let w = 320, h = 240

    func testPresetsMatchOpenCV() {
        XCTAssertEqual([DISSettings.ultrafast.finestScale, DISSettings.fast.finestScale, DISSettings.medium.finestScale], [2, 2, 1])
        XCTAssertEqual([DISSettings.ultrafast.patchSize, DISSettings.fast.patchSize, DISSettings.medium.patchSize], [8, 8, 8])
        XCTAssertEqual([DISSettings.ultrafast.patchStride, DISSettings.fast.patchStride, DISSettings.medium.patchStride], [4, 4, 3])
        XCTAssertEqual([DISSettings.ultrafast.gradientDescentIterations, DISSettings.fast.gradientDescentIterations,
                        DISSettings.medium.gradientDescentIterations], [12, 16, 25])
        XCTAssertEqual([DISSettings.ultrafast.variationalRefinementIterations, DISSettings.fast.variationalRefinementIterations,
                        DISSettings.medium.variationalRefinementIterations], [0, 5, 5])
    }

    func testLevelsNeeded() {
        // OpenCV: coarsest = round(log2(max(w,h) / (4·patch))): 640 / 32 = 20 → 4, so 5 levels.
        XCTAssertEqual(FlowFrame.levelsNeeded(width: 640, height: 480, patchSize: 8), 5)
        XCTAssertEqual(FlowFrame.levelsNeeded(width: 320, height: 240, patchSize: 8), 4)
        XCTAssertEqual(FlowFrame.levelsNeeded(width: 16, height: 16, patchSize: 8), 1)
        let f = FlowFrame(GrayImage(width: 640, height: 480, pixels: [Float](repeating: 0, count: 640 * 480)), levels: 5)
        XCTAssertEqual(f.levelCount, 5)
        XCTAssertEqual(f.levels[4].width, 40)
        XCTAssertEqual(f.levels[4].height, 30)
    }

    func testZeroMotionGivesZeroFlow() {
        let pair = SyntheticMotion.translation(width: Self.w, height: Self.h, dx: 0, dy: 0)
        for (name, s) in Self.presets {
            let f = SyntheticMotion.flow(pair, s)
            let e = SyntheticMotion.epe(f, pair.truth, border: 0)
            print("DIS zero motion \(name): EPE \(e)")
            XCTAssertLessThan(e, 0.02, name)
        }
    }

    func testSubpixelTranslation() {
        let pair = SyntheticMotion.translation(width: Self.w, height: Self.h, dx: 3.4, dy: -1.7)
        var errors: [String: Float] = [:]
        for (name, s) in Self.presets {
            let e = SyntheticMotion.epe(SyntheticMotion.flow(pair, s), pair.truth)
            errors[name] = e
            print("DIS translation (3.4, -1.7) \(name): EPE \(e)")
        }
        XCTAssertLessThan(errors["ultrafast"]!, 0.5)
        XCTAssertLessThan(errors["fast"]!, 0.4)
        XCTAssertLessThan(errors["medium"]!, 0.3)
    }

    func testLargeTranslationAcrossLevels() {
        let pair = SyntheticMotion.translation(width: Self.w, height: Self.h, dx: -14.6, dy: 9.3, seed: 5)
        for (name, s) in Self.presets {
            let e = SyntheticMotion.epe(SyntheticMotion.flow(pair, s), pair.truth, border: 20)
            print("DIS translation (-14.6, 9.3) \(name): EPE \(e)")
            XCTAssertLessThan(e, 1.0, name)
        }
    }

    func testAffineRotationScale() {
        let pair = SyntheticMotion.affine(width: Self.w, height: Self.h, degrees: 3, scale: 1.04, dx: 1.5, dy: -0.8)
        var sum: [String: Float] = [:]
        for (name, s) in Self.presets {
            let e = SyntheticMotion.epe(SyntheticMotion.flow(pair, s), pair.truth, border: 12)
            sum[name] = e
            print("DIS affine (3°, ×1.04) \(name): EPE \(e)")
            XCTAssertLessThan(e, 1.0, name)
        }
        XCTAssertLessThanOrEqual(min(sum["fast"]!, sum["medium"]!), sum["ultrafast"]! * 1.05)
    }

    /// `fast` ending at ½ size (the temporal blend's flows), with plain SSD and with the trimmed distance.
    static var plainAndTrimmed: (DISSettings, DISSettings) {
        var plain = DISSettings.fast
        plain.finestScale = 1
        var trimmed = plain
        trimmed.trimmedDistance = DISSettings.TrimmedDistance(cut: 4, noiseScale: 2)
        return (plain, trimmed)
    }

    /// Flakes in front of a translating scene drag plain SSD's patches; the trimmed distance
    /// follows the scene behind them, and on clean frames it changes little.
    func testTrimmedDistanceFollowsTheSceneBehindFlakes() {
        let (plain, trimmed) = Self.plainAndTrimmed
        let clean = SyntheticMotion.translation(width: Self.w, height: Self.h, dx: 2.3, dy: -1.1, seed: 7)
        let flaked = SyntheticMotion.withFlakes(clean)
        let behind = flaked.mask!
        let errors = [plain, trimmed].map { s in
            (clean: SyntheticMotion.epe(SyntheticMotion.flow(clean, s), clean.truth),
             flaked: SyntheticMotion.epe(SyntheticMotion.flow(flaked, s), flaked.truth, include: { behind[$0] }))
        }
        print("DIS behind flakes: plain EPE \(errors[0].flaked), trimmed \(errors[1].flaked); clean \(errors[0].clean), \(errors[1].clean)")
        XCTAssertLessThan(errors[1].flaked, errors[0].flaked * 0.6)
        XCTAssertLessThan(errors[1].clean, errors[0].clean * 1.15 + 0.02)
    }

    /// With the particle test, a clean pair keeps plain SSD's flow exactly, and a pair with flakes
    /// all over gets the trimmed distance's.
    func testParticleTestTrimsOnlyPairsWithParticles() {
        let (plain, always) = Self.plainAndTrimmed
        var tested = always
        tested.particleTest = DISSettings.ParticleTest(contrast: 30, noiseScale: 1, largest: 4, share: 0.045, levelSize: 240)
        let clean = SyntheticMotion.translation(width: Self.w, height: Self.h, dx: -1.6, dy: 0.8, seed: 11)
        let flaked = SyntheticMotion.withFlakes(clean)
        func same(_ a: FlowField, _ b: FlowField) -> Bool {
            a.u.map(\.bitPattern) == b.u.map(\.bitPattern) && a.v.map(\.bitPattern) == b.v.map(\.bitPattern)
        }
        let cleanFlows = [plain, always, tested].map { SyntheticMotion.flow(clean, $0) }
        XCTAssertTrue(same(cleanFlows[2], cleanFlows[0]), "a clean pair keeps plain SSD")
        XCTAssertFalse(same(cleanFlows[1], cleanFlows[0]), "the trimmed distance changes the flow")
        let flakedFlows = [plain, always, tested].map { SyntheticMotion.flow(flaked, $0) }
        XCTAssertTrue(same(flakedFlows[2], flakedFlows[1]), "flakes everywhere: the trimmed distance")
        XCTAssertFalse(same(flakedFlows[2], flakedFlows[0]))
        func found(_ pair: SyntheticMotion.Pair) -> Bool {
            OpticalFlow.match(from: FlowFrame(pair.from), to: FlowFrame(pair.to),
                              settings: tested).foundParticles
        }
        XCTAssertTrue(found(flaked), "the match says it found particles")
        XCTAssertFalse(found(clean))
        // A test that only reports: every pair gets the trimmed distance, once, and the flag is the same.
        var reporting = tested
        reporting.particleTest?.matchesAgain = false
        for (pair, flows, particles) in [(clean, cleanFlows, false), (flaked, flakedFlows, true)] {
            let match = OpticalFlow.match(from: FlowFrame(pair.from), to: FlowFrame(pair.to), settings: reporting)
            XCTAssertTrue(same(match.flow, flows[1]), "the trimmed distance for every pair")
            XCTAssertEqual(match.foundParticles, particles)
        }
    }

    /// The particle test along a flow found otherwise (the reverse of the other direction's, in the
    /// temporal link): along the scene's true motion, flakes all over pass it and a clean pair does
    /// not; patches whose flow is NaN are left out.
    func testParticleShareAlongAGivenFlow() {
        var settings = Self.plainAndTrimmed.1
        settings.particleTest = DISSettings.ParticleTest(contrast: 30, noiseScale: 1, largest: 4, share: 0.045, levelSize: 240)
        let clean = SyntheticMotion.translation(width: Self.w, height: Self.h, dx: -1.6, dy: 0.8, seed: 11)
        let flaked = SyntheticMotion.withFlakes(clean)
        func share(_ pair: SyntheticMotion.Pair, _ flow: FlowField) -> Float? {
            OpticalFlow.particleShare(from: FlowFrame(pair.from), to: FlowFrame(pair.to), along: flow, settings: settings)
        }
        let (withFlakes, without) = (share(flaked, flaked.truth) ?? 0, share(clean, clean.truth) ?? 1)
        print("particle share along the true motion: \(withFlakes) with flakes, \(without) without")
        XCTAssertGreaterThan(withFlakes, 0.045)
        XCTAssertLessThan(without, 0.01)
        let coarse = OpticalFlow.particleShare(from: FlowFrame(flaked.from), to: FlowFrame(flaked.to),
                                               along: flaked.truth.subsampled(by: 2), gridStep: 2, settings: settings)
        XCTAssertEqual(coarse, withFlakes, "the same motion given on a grid twice as coarse")
        var undefined = flaked.truth
        undefined.u = undefined.u.map { _ in .nan }
        XCTAssertEqual(share(flaked, undefined), 0, "no patch with a flow: none holds a speck")
        settings.particleTest = nil
        XCTAssertNil(share(flaked, flaked.truth), "no test, no share")
    }

    /// The trimmed distance of CKernels' 8×8 kernel and of the Swift loop that takes the other
    /// patches agree (a patch inside the frame, with flakes in it).
    func testTrimmedDistanceKernelMatchesTheSwiftLoop() {
        let pair = SyntheticMotion.withFlakes(SyntheticMotion.translation(width: 64, height: 48, dx: 1.3, dy: 0.6), spacing: 6)
        let l0 = FlowFrame(pair.from, levels: 1).levels[0], l1 = FlowFrame(pair.to, levels: 1).levels[0]
        for (cut, noise) in [(Float(4), Float(0)), (2.5, 2), (20, 0)] {
            let trim = DISLevel.Trim(DISSettings.TrimmedDistance(cut: cut, noiseScale: noise))
            let (du, dv): (Float, Float) = (1.1, 0.45)
            l0.pixels.withUnsafeBufferPointer { i0 in l1.pixels.withUnsafeBufferPointer { i1 in
            l0.gx.withUnsafeBufferPointer { gx in l0.gy.withUnsafeBufferPointer { gy in
                for (px, py) in [(8, 8), (20, 13), (40, 30)] {
                    let kernel = DISLevel.patchSums(i0.baseAddress!, i1.baseAddress!, gx.baseAddress!, gy.baseAddress!,
                                                    w: 64, h: 48, P: 8, px: px, py: py, du: du, dv: dv, invN: 1.0 / 64, trim: trim)
                    let loop = DISLevel.trimmedSums(i0.baseAddress!, i1.baseAddress!, gx.baseAddress!, gy.baseAddress!,
                                                    w: 64, h: 48, P: 8, px: px, py: py, fxp: Float(px) + du, fyp: Float(py) + dv,
                                                    trim: trim)
                    XCTAssertFalse(kernel.masked)
                    XCTAssertTrue(kernel.trimmed && loop.trimmed)
                    for (a, b) in [(kernel.sgx, loop.sgx), (kernel.sgy, loop.sgy), (kernel.sw, loop.sw), (kernel.msd, loop.msd),
                                   (kernel.standouts, loop.standouts)] {
                        XCTAssertEqual(a, b, accuracy: 1e-3 * max(abs(a), 1), "cut \(cut) at (\(px), \(py))")
                    }
                }
            }}}}
        }
    }

    func testSpriteOverMovingBackground() {
        let origin: (Float, Float) = (110, 70), side = 100
        let d: (Float, Float) = (-4.3, 2.6), b: (Float, Float) = (1.0, 0.5)
        let pair = SyntheticMotion.sprite(width: Self.w, height: Self.h, side: side, at: origin, sprite: d, background: b)
        let w = Self.w, margin: Float = 10
        // Inside: sprite pixels ≥ margin from its edge. Outside: background ≥ margin + |d| from the sprite.
        func inside(_ i: Int) -> Bool {
            let x = Float(i % w), y = Float(i / w)
            return x >= origin.0 + margin && x < origin.0 + Float(side) - margin
                && y >= origin.1 + margin && y < origin.1 + Float(side) - margin
        }
        func outside(_ i: Int) -> Bool {
            let x = Float(i % w), y = Float(i / w), m = margin + 5
            return x < origin.0 - m || x >= origin.0 + Float(side) + m || y < origin.1 - m || y >= origin.1 + Float(side) + m
        }
        for (name, s) in Self.presets {
            let f = SyntheticMotion.flow(pair, s)
            let ein = SyntheticMotion.epe(f, pair.truth, include: inside)
            let eout = SyntheticMotion.epe(f, pair.truth, include: outside)
            let all = SyntheticMotion.epe(f, pair.truth)
            print("DIS sprite \(name): EPE inside \(ein), outside \(eout), all \(all)")
            XCTAssertLessThan(ein, 1.0, name)
            XCTAssertLessThan(eout, 0.5, name)
        }
    }

    /// A sprite moving 20 px a frame over a slowly moving background (a wide band of covered
    /// background has no match): the sprite and the background away from it still track.
    func testFastSpriteOverMovingBackground() {
        let origin: (Float, Float) = (90, 60), side = 120
        let d: (Float, Float) = (18, 10), b: (Float, Float) = (1.0, 0.5)
        let pair = SyntheticMotion.sprite(width: Self.w, height: Self.h, side: side, at: origin, sprite: d, background: b)
        let w = Self.w, margin: Float = 12
        func inside(_ i: Int) -> Bool {
            let x = Float(i % w), y = Float(i / w)
            return x >= origin.0 + margin && x < origin.0 + Float(side) - margin
                && y >= origin.1 + margin && y < origin.1 + Float(side) - margin
        }
        func away(_ i: Int) -> Bool {   // background farther from the sprite than its motion
            let x = Float(i % w), y = Float(i / w), m = margin + 24
            return x < origin.0 - m || x >= origin.0 + Float(side) + m || y < origin.1 - m || y >= origin.1 + Float(side) + m
        }
        for (name, s) in Self.presets {
            let f = SyntheticMotion.flow(pair, s)
            let ein = SyntheticMotion.epe(f, pair.truth, include: inside)
            let eaway = SyntheticMotion.epe(f, pair.truth, include: away)
            print("DIS fast sprite \(name): EPE inside \(ein), background away from it \(eaway)")
            XCTAssertLessThan(ein, 1.0, name)
            XCTAssertLessThan(eaway, 0.5, name)
        }
    }

    /// Patches near the frame edge whose displaced window leaves the frame: only the visible samples
    /// count, so the outer band tracks as well as (nearly) the rest instead of sticking to replicated edges.
    func testOuterBandWithContentLeavingTheFrame() {
        let pair = SyntheticMotion.affine(width: Self.w, height: Self.h, degrees: 2, scale: 1.06, dx: 3, dy: -2, seed: 7)
        let w = Self.w, h = Self.h, band = 24
        func outer(_ i: Int) -> Bool {
            let x = i % w, y = i / w
            return (x < band || x >= w - band || y < band || y >= h - band) && x >= 2 && x < w - 2 && y >= 2 && y < h - 2
        }
        for (name, s) in Self.presets {
            let f = SyntheticMotion.flow(pair, s)
            let eOuter = SyntheticMotion.epe(f, pair.truth, border: 0, include: outer)
            print("DIS outer band (\(band) px) \(name): EPE \(eOuter)")
            XCTAssertLessThan(eOuter, 1.5, name)   // clamped samples: 5.5 / 4.0 / 0.43
        }
    }

    func testFinerPresetsNotWorseThanUltrafastOnAverage() {
        let pairs = [
            SyntheticMotion.translation(width: Self.w, height: Self.h, dx: 3.4, dy: -1.7),
            SyntheticMotion.affine(width: Self.w, height: Self.h, degrees: -2, scale: 0.97, dx: -2.2, dy: 1.1, seed: 7),
        ]
        var mean: [String: Float] = [:]
        for (name, s) in Self.presets {
            mean[name] = pairs.map { SyntheticMotion.epe(SyntheticMotion.flow($0, s), $0.truth) }.reduce(0, +) / Float(pairs.count)
        }
        print("DIS mean EPE over cases: \(mean)")
        XCTAssertLessThanOrEqual(mean["fast"]!, mean["ultrafast"]! * 1.05)
        XCTAssertLessThanOrEqual(mean["medium"]!, mean["ultrafast"]! * 1.05)
    }

    func testGroundTruthInitialDoesNotHurt() {
        let pair = SyntheticMotion.affine(width: Self.w, height: Self.h, degrees: 2, scale: 1.02, dx: 6, dy: -3, seed: 9)
        for (name, s) in Self.presets {
            let plain = SyntheticMotion.epe(SyntheticMotion.flow(pair, s), pair.truth)
            let seeded = SyntheticMotion.epe(SyntheticMotion.flow(pair, s, initial: pair.truth), pair.truth)
            print("DIS initial=truth \(name): EPE \(seeded) (without: \(plain))")
            XCTAssertLessThanOrEqual(seeded, plain * 1.1 + 0.02, name)
        }
    }

    func testVariationalRefinementHelpsOnSmoothMotion() {
        let pair = SyntheticMotion.affine(width: Self.w, height: Self.h, degrees: 3, scale: 1.04, dx: 1.5, dy: -0.8)
        var off = DISSettings.fast
        off.variationalRefinementIterations = 0
        let eOff = SyntheticMotion.epe(SyntheticMotion.flow(pair, off), pair.truth, border: 12)
        let eOn = SyntheticMotion.epe(SyntheticMotion.flow(pair, .fast), pair.truth, border: 12)
        print("DIS affine fast: EPE \(eOn) with variational refinement, \(eOff) without")
        XCTAssertLessThan(eOn, eOff)
    }

    func testBrightnessChangeIsTolerated() {
        // Mean normalization: a global +20 brightness offset in the second frame.
        var pair = SyntheticMotion.translation(width: Self.w, height: Self.h, dx: 2.3, dy: 1.2)
        pair.to.pixels = pair.to.pixels.map { $0 + 20 }
        let e = SyntheticMotion.epe(SyntheticMotion.flow(pair, .ultrafast), pair.truth)
        print("DIS translation with +20 brightness ultrafast: EPE \(e)")
        XCTAssertLessThan(e, 0.6)
    }

    /// The refinement's gradient-constancy term (γ, as in OpenCV) adds data to the refinement where
    /// the image has texture, so it follows motion that varies across the frame instead of
    /// smoothing it away: rows sliding sideways by different amounts (a wave with a period of 80 px).
    func testGradientConstancyFollowsMotionThatVariesAcrossTheFrame() {
        let wave = { (y: Float) in 2 * sin(2 * Float.pi * y / 80) }
        let pair = SyntheticMotion.warpPair(width: Self.w, height: Self.h, seed: 5,
                                            forward: { x, y in (x + wave(y), y) }, inverse: { x, y in (x - wave(y), y) })
        var without = DISSettings.fast
        without.variationalRefinementGamma = 0
        let eWith = SyntheticMotion.epe(SyntheticMotion.flow(pair, .fast), pair.truth, border: 12)
        let eWithout = SyntheticMotion.epe(SyntheticMotion.flow(pair, without), pair.truth, border: 12)
        print("DIS rows sliding by a wave, fast: EPE \(eWith) with gradient constancy, \(eWithout) without")
        XCTAssertLessThan(eWith, eWithout * 0.8)
    }

    func testTinyImageDoesNotCrash() {
        let g = GrayImage(width: 5, height: 4, pixels: [Float](repeating: 1, count: 20))
        let f = OpticalFlow.dis(from: FlowFrame(g), to: FlowFrame(g))
        XCTAssertEqual(f, FlowField(zeroWidth: 5, height: 4))
        let g2 = GrayImage(width: 13, height: 9, pixels: (0..<117).map { Float($0 % 7) * 10 })
        let f2 = OpticalFlow.dis(from: FlowFrame(g2), to: FlowFrame(g2), settings: .medium)
        XCTAssertEqual(f2.width, 13)
        XCTAssertTrue(f2.u.allSatisfy { $0.isFinite })
    }

    /// Speed print only (meaningful in a release build).
    func testSpeed640x480() {
        #if DEBUG
        print("DIS speed: skipped in debug builds")
        #else
        let pair = SyntheticMotion.translation(width: 640, height: 480, dx: 3.4, dy: -1.7)
        let a = FlowFrame(pair.from), b = FlowFrame(pair.to)
        for (name, s) in Self.presets {
            _ = OpticalFlow.dis(from: a, to: b, settings: s)
            let reps = 5
            let t0 = Date()
            for _ in 0..<reps { _ = OpticalFlow.dis(from: a, to: b, settings: s) }
            let ms = Date().timeIntervalSince(t0) * 1000 / Double(reps)
            print(String(format: "DIS speed 640x480 %@: %.1f ms per pair (frames prepared once)", name, ms))
        }
        let t0 = Date()
        for _ in 0..<5 { _ = FlowFrame(pair.from) }
        print(String(format: "DIS speed 640x480 FlowFrame preparation: %.1f ms", Date().timeIntervalSince(t0) * 200))
        #endif
    }
}


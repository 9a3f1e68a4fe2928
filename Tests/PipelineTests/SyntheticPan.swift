import Foundation
import OpticalFlow
@testable import Pipeline

/// A textured scene panning by a known sub-pixel motion, and per-frame looks that are the scene
/// plus fresh noise every frame (what a style network's brush strokes do to a video), for the
/// tests of the temporal blend.
protocol SyntheticPan {
    var w: Int { get }
    var h: Int { get }
}

extension SyntheticPan {
    /// Smooth colour texture seen through a window moving by (1.5, 0.75) px a frame.
    func scene(_ t: Int) -> [Float] { view(t, turned: false) }

    /// `turned`: the texture turned a quarter (another shot of the same kind of scene).
    func view(_ t: Int, turned: Bool) -> [Float] {
        let n = w * h
        var rgb = [Float](repeating: 0, count: 3 * n)
        let (ox, oy) = (1.5 * Float(t), 0.75 * Float(t))
        for y in 0..<h {
            for x in 0..<w {
                let (u, v) = turned ? (Float(y) + ox, Float(x) + oy) : (Float(x) + ox, Float(y) + oy)
                let a = sin(0.21 * u) * cos(0.17 * v), b = sin(0.07 * u + 0.11 * v), c = cos(0.13 * u - 0.05 * v)
                rgb[y * w + x] = 128 + 60 * a + 30 * b
                rgb[n + y * w + x] = 128 + 50 * b - 30 * c
                rgb[2 * n + y * w + x] = 128 + 55 * c + 25 * a
            }
        }
        return rgb
    }

    /// The settings for frames of this size, with one change.
    func sized(_ change: (inout TemporalSettings) -> Void) -> TemporalSettings {
        var settings = TemporalSettings(frameWidth: w, height: h)
        change(&settings)
        return settings
    }

    /// Built for the temporal settings at this size (gradients on every level their flow uses,
    /// which covers the `.fast` flows of the measurement too).
    func motion(_ rgb: [Float]) -> MotionFrame {
        let settings = TemporalSettings(frameWidth: w, height: h)
        return rgb.withUnsafeBufferPointer { MotionFrame(planar: $0.baseAddress!, width: w, height: h, settings: settings.flow) }
    }

    /// Deterministic noise in ±amplitude.
    func flicker(_ rgb: [Float], seed: Int, amplitude: Float) -> [Float] {
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 | 1
        return rgb.map { value in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return value + amplitude * (Float(state % 2001) / 1000 - 1)
        }
    }

    /// RMS of the detail finer than a 3×3 box blur, away from the borders.
    func fineRMS(_ rgb: [Float]) -> Double {
        rms(rgb, minus: BoxBlur.apply(rgb, width: w, height: 3 * h, radius: 1))
    }

    /// RMS of `rgb − reference` over the three planes, away from the borders.
    func rms(_ rgb: [Float], minus reference: [Float]) -> Double {
        var sum = 0.0, count = 0
        for c in 0..<3 { for y in 8..<(h - 8) { for x in 8..<(w - 8) {
            let i = c * w * h + y * w + x
            let d = Double(rgb[i] - reference[i])
            sum += d * d; count += 1
        } } }
        return (sum / Double(count)).squareRoot()
    }
}

import Foundation
@testable import OpticalFlow

/// Synthetic image pairs with exact ground-truth flow, made from continuous procedural textures
/// (so any warp can be rendered exactly, without resampling error).
enum SyntheticMotion {
    /// A deterministic generator (SplitMix64) so the tests are reproducible.
    struct Rng {
        var state: UInt64
        mutating func next() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Double(z >> 11) / Double(1 << 53)
        }
    }

    /// A continuous texture: a sum of oriented sinusoids with varied wavelengths (4–40 px) and
    /// Gaussian blobs, in 0…255. Rich gradients in every direction, no exact periodicity.
    struct Texture {
        var waves: [(kx: Float, ky: Float, phase: Float, amp: Float)] = []
        var blobs: [(x: Float, y: Float, s: Float, a: Float)] = []

        init(seed: UInt64, extent: Float = 800) {
            var rng = Rng(state: seed)
            for _ in 0..<24 {
                let wavelength = 4 + 36 * rng.next()
                let angle = 2 * Double.pi * rng.next()
                let k = 2 * Double.pi / wavelength
                waves.append((Float(k * cos(angle)), Float(k * sin(angle)), Float(2 * .pi * rng.next()),
                              Float(8 + 14 * rng.next() * wavelength / 40)))
            }
            for _ in 0..<60 {
                blobs.append((Float(rng.next()) * extent - 100, Float(rng.next()) * extent - 100,
                              Float(6 + 20 * rng.next()), Float(rng.next() * 80 - 40)))
            }
        }

        func value(_ x: Float, _ y: Float) -> Float {
            var s: Float = 128
            for w in waves { s += w.amp * sin(w.kx * x + w.ky * y + w.phase) / 3 }
            for b in blobs {
                let dx = x - b.x, dy = y - b.y
                let d2 = dx * dx + dy * dy
                if d2 < 9 * b.s * b.s { s += b.a * exp(-d2 / (2 * b.s * b.s)) }
            }
            return min(max(s, 0), 255)
        }
    }

    struct Pair {
        var from: GrayImage
        var to: GrayImage
        var truth: FlowField
        /// Where the truth is meaningful for the region of interest (e.g. inside the sprite), if any.
        var mask: [Bool]? = nil
    }

    /// Motion given as a map `forward(x, y)` from frame-0 position to frame-1 position and its inverse.
    static func warpPair(width: Int, height: Int, seed: UInt64,
                         forward: (Float, Float) -> (Float, Float),
                         inverse: (Float, Float) -> (Float, Float)) -> Pair {
        let tex = Texture(seed: seed)
        var p0 = [Float](repeating: 0, count: width * height), p1 = p0, u = p0, v = p0
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x
                let fx = Float(x), fy = Float(y)
                p0[i] = tex.value(fx, fy)
                let (sx, sy) = inverse(fx, fy)
                p1[i] = tex.value(sx, sy)
                let (tx, ty) = forward(fx, fy)
                u[i] = tx - fx; v[i] = ty - fy
            }
        }
        return Pair(from: GrayImage(width: width, height: height, pixels: p0),
                    to: GrayImage(width: width, height: height, pixels: p1),
                    truth: FlowField(width: width, height: height, u: u, v: v))
    }

    static func translation(width: Int, height: Int, dx: Float, dy: Float, seed: UInt64 = 1) -> Pair {
        warpPair(width: width, height: height, seed: seed,
                 forward: { ($0 + dx, $1 + dy) }, inverse: { ($0 - dx, $1 - dy) })
    }

    /// Rotation by `degrees` and scaling by `scale` about the image centre, plus a translation.
    static func affine(width: Int, height: Int, degrees: Float, scale: Float, dx: Float, dy: Float, seed: UInt64 = 2) -> Pair {
        let cx = Float(width) / 2, cy = Float(height) / 2
        let a = degrees * .pi / 180
        let c = scale * cos(a), s = scale * sin(a)
        let det = c * c + s * s
        return warpPair(width: width, height: height, seed: seed,
                        forward: { x, y in
                            let px = x - cx, py = y - cy
                            return (c * px - s * py + cx + dx, s * px + c * py + cy + dy)
                        },
                        inverse: { x, y in
                            let px = x - cx - dx, py = y - cy - dy
                            return ((c * px + s * py) / det + cx, (-s * px + c * py) / det + cy)
                        })
    }

    /// The pair with bright flakes (discs of radius 1…2.5 px, one per `spacing`² pixels) drawn over
    /// each frame at independent random places, like snow falling fast in front of the scene; the
    /// mask marks frame-0 pixels at least 3 px from any flake in either frame.
    static func withFlakes(_ pair: Pair, spacing: Int = 12, seed: UInt64 = 9) -> Pair {
        let w = pair.from.width, h = pair.from.height
        var rng = Rng(state: seed)
        var frames = [pair.from.pixels, pair.to.pixels]
        var clear = [Bool](repeating: true, count: w * h)
        for k in 0..<2 {
            for _ in 0..<(w * h / (spacing * spacing)) {
                let cx = Float(rng.next()) * Float(w), cy = Float(rng.next()) * Float(h)
                let r = 1 + 1.5 * Float(rng.next())
                for y in max(0, Int(cy - r) - 3)...min(h - 1, Int(cy + r) + 3) {
                    for x in max(0, Int(cx - r) - 3)...min(w - 1, Int(cx + r) + 3) {
                        let d = ((Float(x) - cx) * (Float(x) - cx) + (Float(y) - cy) * (Float(y) - cy)).squareRoot()
                        clear[y * w + x] = clear[y * w + x] && d > r + 3
                        let cover = min(max(r + 0.5 - d, 0), 1)
                        frames[k][y * w + x] += cover * (245 - frames[k][y * w + x])
                    }
                }
            }
        }
        return Pair(from: GrayImage(width: w, height: h, pixels: frames[0]), to: GrayImage(width: w, height: h, pixels: frames[1]),
                    truth: pair.truth, mask: clear)
    }

    /// A textured square sprite (side `side`) moving by `sprite` over a background moving by `background`.
    /// The mask marks frame-0 pixels of the sprite.
    static func sprite(width: Int, height: Int, side: Int, at origin: (Float, Float),
                       sprite d: (Float, Float), background b: (Float, Float)) -> Pair {
        let bg = Texture(seed: 3), fg = Texture(seed: 4)
        var p0 = [Float](repeating: 0, count: width * height), p1 = p0, u = p0, v = p0
        var mask = [Bool](repeating: false, count: width * height)
        let s = Float(side)
        func inSprite(_ x: Float, _ y: Float, _ ox: Float, _ oy: Float) -> Bool {
            x >= ox && x < ox + s && y >= oy && y < oy + s
        }
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x
                let fx = Float(x), fy = Float(y)
                if inSprite(fx, fy, origin.0, origin.1) {
                    p0[i] = fg.value(fx - origin.0, fy - origin.1)
                    u[i] = d.0; v[i] = d.1; mask[i] = true
                } else {
                    p0[i] = bg.value(fx, fy)
                    u[i] = b.0; v[i] = b.1
                }
                let ox1 = origin.0 + d.0, oy1 = origin.1 + d.1
                p1[i] = inSprite(fx, fy, ox1, oy1) ? fg.value(fx - ox1, fy - oy1) : bg.value(fx - b.0, fy - b.1)
            }
        }
        return Pair(from: GrayImage(width: width, height: height, pixels: p0),
                    to: GrayImage(width: width, height: height, pixels: p1),
                    truth: FlowField(width: width, height: height, u: u, v: v), mask: mask)
    }

    /// Mean endpoint error over pixels at least `border` from the image edge, optionally only where
    /// `include(i)` holds.
    static func epe(_ f: FlowField, _ t: FlowField, border: Int = 8, include: ((Int) -> Bool)? = nil) -> Float {
        var sum: Double = 0, n = 0
        for y in border..<(f.height - border) {
            for x in border..<(f.width - border) {
                let i = y * f.width + x
                if let include, !include(i) { continue }
                let du = f.u[i] - t.u[i], dv = f.v[i] - t.v[i]
                sum += Double((du * du + dv * dv).squareRoot()); n += 1
            }
        }
        return n == 0 ? 0 : Float(sum / Double(n))
    }

    static func flow(_ pair: Pair, _ settings: DISSettings, initial: FlowField? = nil) -> FlowField {
        let a = FlowFrame(pair.from), b = FlowFrame(pair.to)
        return OpticalFlow.dis(from: a, to: b, settings: settings, initial: initial)
    }
}

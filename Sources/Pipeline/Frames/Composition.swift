import MediaIO

/// How a painted frame becomes the picture that goes out: MediaIO scales it to the original's
/// size and layout, and the look's strength mixes it with the original there, plane by plane —
/// result = original + strength·(stylized − original) — on Y only with `preserveColors`, the
/// chroma staying the original's.
extension FrameConverter {
    func compose(_ frame: StylizedFrame, strength: Float, preserveColors: Bool,
                 chroma: ChromaLayout = .subsampled) throws(PipelineError) -> VideoFrame {
        // Strength 1 in full colour leaves the stylized picture as it is: no need for the original's planes.
        let mix: (([MutablePlane], [Plane]) -> Void)? = strength == 1 && !preserveColors ? nil : { picture, original in
            for (index, (plane, source)) in zip(picture, original).enumerated() {
                Self.blend(plane, toward: source, keeping: index > 0 && preserveColors ? 0 : strength)
            }
        }
        do throws(MediaError) {
            return try frame.pixels.withUnsafeBufferPointer { (buffer) throws(MediaError) in
                try compose(stylized: buffer.baseAddress!, width: frame.width, height: frame.height,
                            original: frame.original, chroma: chroma, mix: mix)
            }
        } catch { throw PipelineError(error) }
    }

    /// plane = original + strength·(plane − original) on 8-bit samples, in 16-bit fixed point
    /// (strength 1 leaves the plane, strength 0 copies the original's).
    private static func blend(_ plane: MutablePlane, toward original: Plane, keeping strength: Float) {
        let (width, height) = (min(plane.width, original.width), min(plane.height, original.height))
        if strength == 1 { return }
        if strength == 0 {
            for y in 0..<height { (plane.base + y * plane.stride).update(from: original.base + y * original.stride, count: width) }
            return
        }
        let alpha = Int((strength * 65536).rounded())
        for y in 0..<height {
            let o = original.base + y * original.stride
            let t = plane.base + y * plane.stride
            for x in 0..<width {
                let base = Int(o[x])
                t[x] = UInt8(clamping: base + ((Int(t[x]) - base) * alpha + 32768) >> 16)
            }
        }
    }
}

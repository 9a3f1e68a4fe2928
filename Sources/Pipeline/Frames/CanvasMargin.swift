/// A band of pixels around a picture: added before optimizing it, cut off after. VGG16's zero
/// padding makes an optimized picture's outermost pixels a bright frame; painted on a larger
/// canvas, that frame falls in the margin.
struct CanvasMargin {
    enum Fill { case mirror, nearest, zero }

    let width: Int, height: Int, margin: Int
    var paddedWidth: Int { width + 2 * margin }
    var paddedHeight: Int { height + 2 * margin }

    /// Planes of width × height (planar, `planes.count / (width · height)` of them), with the margin filled.
    func pad(_ planes: [Float], _ fill: Fill) -> [Float] {
        let (w, h, m, pw, ph) = (width, height, margin, paddedWidth, paddedHeight)
        let channels = planes.count / (w * h)
        var out = [Float](repeating: 0, count: channels * pw * ph)
        func source(_ i: Int, _ n: Int) -> Int? {
            if i >= 0 && i < n { return i }
            switch fill {
            case .zero: return nil
            case .nearest: return min(max(i, 0), n - 1)
            case .mirror:
                guard n > 1 else { return 0 }
                var j = i
                while j < 0 || j >= n { j = j < 0 ? -j : 2 * (n - 1) - j }   // reflect about the edge pixels
                return j
            }
        }
        for c in 0..<channels {
            for y in 0..<ph {
                guard let sy = source(y - m, h) else { continue }
                for x in 0..<pw {
                    guard let sx = source(x - m, w) else { continue }
                    out[(c * ph + y) * pw + x] = planes[(c * h + sy) * w + sx]
                }
            }
        }
        return out
    }

    /// The width × height middle of padded planes.
    func crop(_ planes: [Float]) -> [Float] {
        let (w, h, m, pw, ph) = (width, height, margin, paddedWidth, paddedHeight)
        let channels = planes.count / (pw * ph)
        var out = [Float](repeating: 0, count: channels * w * h)
        for c in 0..<channels {
            for y in 0..<h {
                let from = (c * ph + y + m) * pw + m, to = (c * h + y) * w
                for x in 0..<w { out[to + x] = planes[from + x] }
            }
        }
        return out
    }
}

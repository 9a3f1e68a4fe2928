
/// The BT.601 colour transform temporal blending measures in (Y 0…255, Cb/Cr ±128), one place
/// for both directions. Linear, so `rgb` also turns Y, Cb, Cr *differences* into R, G, B ones.
enum BT601 {
    @inline(__always) static func luma(_ r: Float, _ g: Float, _ b: Float) -> Float { 0.299 * r + 0.587 * g + 0.114 * b }

    @inline(__always) static func ycbcr(_ r: Float, _ g: Float, _ b: Float) -> (y: Float, cb: Float, cr: Float) {
        let y = luma(r, g, b)
        return (y, 0.564 * (b - y), 0.713 * (r - y))
    }

    @inline(__always) static func rgb(_ y: Float, _ cb: Float, _ cr: Float) -> (r: Float, g: Float, b: Float) {
        let r = y + cr / 0.713, b = y + cb / 0.564
        return (r, (y - 0.299 * r - 0.114 * b) / 0.587, b)
    }
}


/// The size the network sees: the frame scaled so its longer side is at most
/// `maxSize`, rounded to multiples of `multiple` (4 for a Johnson network's two
/// stride-2 stages, 8 for the realtime networks' three) so the stages divide evenly
/// (the output is scaled back to the frame's size).
public typealias NetworkSize = PictureSize

extension PictureSize {
    public init(fitting frameWidth: Int, _ frameHeight: Int, maxSize: Int, multiple: Int = 4) {
        let longer = max(frameWidth, frameHeight)
        let scale = longer > maxSize ? Double(maxSize) / Double(longer) : 1
        let m = Double(max(multiple, 1))
        func round(_ v: Double) -> Int { max(Int(m), Int((v / m).rounded()) * Int(m)) }
        self.init(width: round(Double(frameWidth) * scale), height: round(Double(frameHeight) * scale))
    }
}

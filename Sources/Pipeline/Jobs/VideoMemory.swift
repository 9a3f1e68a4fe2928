import StyleEngine

/// The memory a video job needs for its pictures, from their size, so that a file claiming a
/// picture too large for this machine is refused with one line before anything is decoded.
///
/// The H.264 encoder dominates: x264 (preset medium) keeps its lookahead, reference and
/// per-thread pictures, each with half-pel planes; measured as peak RSS of `ffmpeg -c:v libx264`
/// over 90 frames, that is about 140 4:2:0 pictures at 4K and above. The pipeline's own frames
/// in flight (queued originals, the one being composed) add a few more, and the two-way blend
/// holds up to three times its lookahead (`TemporalLookahead`), each frame with its source
/// picture and, at network size, its painted picture and reverse link.
enum VideoMemory {
    static let picturesHeld = 150
    /// A held frame's painted picture (3 floats) and reverse link (flow, confidence, brightness
    /// change, contrast share: 5 floats), a pixel at network size.
    static let heldBytesPerNetworkPixel = 32

    /// Bytes the job's pictures take at `width`×`height`, with `lookahead` frames of the two-way
    /// blend painted at `networkPixels` each.
    static func estimate(width: Int, height: Int, lookahead: Int = 0, networkPixels: Int = 0) -> Int {
        let held = 3 * lookahead
        let (area, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow else { return .max }
        let (pictures, overflow2) = (area * 3 / 2).multipliedReportingOverflow(by: picturesHeld + held)
        let (painted, overflow3) = (networkPixels * heldBytesPerNetworkPixel).multipliedReportingOverflow(by: held)
        let (bytes, overflow4) = pictures.addingReportingOverflow(painted)
        return overflow2 || overflow3 || overflow4 ? .max : bytes
    }

    /// Throws, naming the size, when `estimate` exceeds `limit`.
    static func check(width: Int, height: Int, lookahead: Int = 0, networkPixels: Int = 0, input: String,
                      limit: Int) throws(PipelineError) {
        let needed = estimate(width: width, height: height, lookahead: lookahead, networkPixels: networkPixels)
        guard needed > limit else { return }
        throw PipelineError(.input, "\(input): a \(width)×\(height) video needs about \(StyleSession.describe(bytes: needed)) "
                            + "of memory to stylize and encode, more than the \(StyleSession.describe(bytes: limit)) there is; "
                            + "scale it down first")
    }
}

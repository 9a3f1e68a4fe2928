import StyleEngine

/// The memory a video job needs for its pictures, from their size, so that a file claiming a
/// picture too large for this machine is refused with one line before anything is decoded.
///
/// The H.264 encoder dominates: x264 (preset medium) keeps its lookahead, reference and
/// per-thread pictures, each with half-pel planes; measured as peak RSS of `ffmpeg -c:v libx264`
/// over 90 frames, that is about 140 4:2:0 pictures at 4K and above. The pipeline's own frames
/// in flight (queued originals, the one being composed) add a few more.
enum VideoMemory {
    static let picturesHeld = 150

    /// Bytes the job's pictures take at `width`×`height`.
    static func estimate(width: Int, height: Int) -> Int {
        let (area, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow else { return .max }
        let (bytes, overflow2) = (area * 3 / 2).multipliedReportingOverflow(by: picturesHeld)
        return overflow2 ? .max : bytes
    }

    /// Throws, naming the size, when `estimate` exceeds `limit`.
    static func check(width: Int, height: Int, input: String, limit: Int) throws(PipelineError) {
        let needed = estimate(width: width, height: height)
        guard needed > limit else { return }
        throw PipelineError(.input, "\(input): a \(width)×\(height) video needs about \(StyleSession.describe(bytes: needed)) "
                            + "of memory to stylize and encode, more than the \(StyleSession.describe(bytes: limit)) there is; "
                            + "scale it down first")
    }
}

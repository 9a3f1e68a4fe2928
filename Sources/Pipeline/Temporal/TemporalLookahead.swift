/// The two-way blend's second pass (files): the forward blend carries each frame's history from
/// the frames before it; this one holds the forward-blended frames until `lookahead` more have
/// come, then blends them again from the newest back, each frame with the one after it carried
/// along the reverse link (`StylizedFrame.reverseLink`), so that a stroke is held by the frames
/// on both sides. The forward blend alone passes on what the network paints anew in each frame
/// at a share of 1 − stability; run again backwards the same share is spread over the frames
/// after it too (docs/temporal.md, "The two-way blend").
///
/// Frames come out in order, in batches of 2 × `lookahead`. Up to 3 × `lookahead` are held: once
/// that many wait, the backward blend starts at the newest, runs through the newest `lookahead`
/// on copies (their turn comes with the next batch, with frames after them) and gives the rest
/// out — one and a half backward blends a frame. Where the history starts afresh (the first
/// frame, a cut) and at the end, what waits before it comes out at once, blended back from its
/// own last frame. Not thread-safe (the output thread's).
final class TemporalLookahead<Payload> {
    /// A frame on its way through: `frame` nil for one shown as it is (it ends a run of blended
    /// frames); `continues`: its forward blend carried the history of the frame before it.
    struct Entry {
        var frame: StylizedFrame?
        let continues: Bool
        let payload: Payload
    }

    let lookahead: Int
    private let blender: TemporalBlender
    private var waiting: [Entry] = []
    private var scratch: [Float] = []

    init(settings: TemporalSettings) {
        precondition(settings.lookahead > 0, "a lookahead of at least one frame")
        lookahead = settings.lookahead
        blender = TemporalBlender(settings: settings)
    }

    /// Takes the next frame, forward-blended; returns the frames now finished, oldest first.
    func add(_ entry: Entry) -> [Entry] {
        guard entry.frame != nil && entry.continues else {
            // Nothing after this frame reaches back past it.
            var done = finish()
            if entry.frame == nil { done.append(entry) } else { waiting.append(entry) }
            return done
        }
        waiting.append(entry)
        let batch = 2 * lookahead
        guard waiting.count >= batch + lookahead else { return [] }
        blendBack(finishing: batch)
        defer { waiting.removeFirst(batch) }
        return Array(waiting.prefix(batch))
    }

    /// Every frame still waiting, blended back from the last one.
    func finish() -> [Entry] {
        blendBack(finishing: waiting.count)
        defer { waiting.removeAll(keepingCapacity: true) }
        return waiting
    }

    /// The backward blend over everything waiting, newest first, starting afresh at the newest;
    /// the oldest `count` frames are blended in place, the rest on a copy (kept as they were).
    private func blendBack(finishing count: Int) {
        for i in waiting.indices.reversed() {
            guard let (width, height) = waiting[i].frame.map({ ($0.width, $0.height) }) else { continue }
            let next = i + 1 < waiting.count && waiting[i + 1].continues ? waiting[i + 1].frame?.reverseLink : nil
            if i < count {
                blender.blend(&waiting[i].frame!.pixels, width: width, height: height, link: next)
            } else {
                scratch.removeAll(keepingCapacity: true)
                scratch.append(contentsOf: waiting[i].frame!.pixels)
                blender.blend(&scratch, width: width, height: height, link: next)
            }
        }
    }
}

import Foundation
import MediaIO

/// What a join did.
public struct SegmentJoinSummary: Sendable {
    public let frames: Int
    public let segments: Int
    public let outputPath: String
    public let outputBytes: Int64
    public let elapsed: Double
}

/// `stylize join`: the painted segments of a plan, copied one after the other into one file (no
/// re-encoding), with the original's audio muxed once; then checked against the original —
/// every frame there, at its time — before the file gets its name. Anything missing or wrong is
/// one line naming the segment, and nothing is written.
public final class SegmentJoin {
    public let plan: SegmentPlan
    private let planFolder: String
    private let output: OutputFile

    public init(planPath: String, outputPath: String, overwrite: Bool) throws(PipelineError) {
        plan = try SegmentPlan.read(path: planPath)
        planFolder = (planPath as NSString).deletingLastPathComponent
        let input = plan.input
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw PipelineError(.input, "\(input): the plan's input is not there (it is needed for its audio and to check the result)")
        }
        let bytes = fileSize(atPath: input) ?? -1
        guard bytes == plan.inputBytes else {
            throw PipelineError(.input, "\(input): not the file the plan was made from (\(bytes) bytes; the plan says \(plan.inputBytes))")
        }
        output = try OutputFile(path: outputPath, inputPath: input, overwrite: overwrite)
    }

    /// The segment's painted file, where the plan says.
    public func segmentPath(_ segment: SegmentPlan.Segment) -> String {
        planFolder.isEmpty ? segment.output : (planFolder as NSString).appendingPathComponent(segment.output)
    }

    public func run() throws(PipelineError) -> SegmentJoinSummary {
        let start = monotonicSeconds()
        do throws(PipelineError) {
            return try join(start: start)
        } catch {
            output.discard()
            throw error
        }
    }

    private func describe(_ segment: SegmentPlan.Segment) -> String { "segment \(segment.index) (\(segment.output))" }

    private func open(_ segment: SegmentPlan.Segment) throws(PipelineError) -> MediaReader {
        let path = segmentPath(segment)
        guard FileManager.default.fileExists(atPath: path) else { throw PipelineError(.input, "\(describe(segment)) is missing") }
        do throws(MediaError) { return try MediaReader(path: path) } catch {
            throw PipelineError(.input, "\(describe(segment)) cannot be read: \(error.message)")
        }
    }

    private func join(start: Double) throws(PipelineError) -> SegmentJoinSummary {
        // Every segment opens and has the same stream as the first, before anything is written.
        let readers = try plan.segments.map { (segment) throws(PipelineError) -> MediaReader in try open(segment) }
        let signature = readers[0].videoSignature
        for (segment, reader) in zip(plan.segments, readers).dropFirst() where reader.videoSignature != signature {
            throw PipelineError(.input, "\(describe(segment)) was encoded differently from segment 0 "
                                + "(\(reader.videoSignatureText) against \(readers[0].videoSignatureText)); paint every segment with the same options")
        }
        let expected = try originalTimes()
        let audio: MediaReader
        do throws(MediaError) { audio = try MediaReader(path: plan.input) } catch { throw PipelineError(error) }

        let writer: StreamCopyWriter
        do throws(MediaError) {
            writer = try StreamCopyWriter(path: output.temporaryPath, containerFrom: output.containerName, video: readers[0],
                                          original: audio, withAudio: true)
        } catch { throw PipelineError(error) }
        defer { writer.close() }
        let tb = writer.timeBase.doubleValue
        var nextAudio: EncodedPacket?
        var audioEnded = false
        var written: [Double] = []
        written.reserveCapacity(plan.frames)
        do throws(MediaError) {
            for (segment, reader) in zip(plan.segments, readers) {
                let shift = Int64((segment.from / tb).rounded())
                var count = 0
                while let packet = try reader.nextPacket(.video) {
                    count += 1
                    guard count <= segment.frames else { break }
                    let time = segment.from + (packet.time ?? 0)
                    // The original's audio up to this picture's time, so the file interleaves as it goes.
                    while !audioEnded {
                        if nextAudio == nil { nextAudio = try audio.nextPacket(.audio); audioEnded = nextAudio == nil }
                        guard let packet = nextAudio, (packet.time ?? 0) <= time else { break }
                        try writer.write(audio: packet)
                        nextAudio = nil
                    }
                    try writer.write(video: packet, movedLaterBy: shift)
                    written.append(time)
                }
                guard count == segment.frames else {
                    throw MediaError(.inputUnreadable, "\(describe(segment)) has \(count < segment.frames ? "" : "more than ")"
                                     + "\(min(count, segment.frames)) frames; the plan says \(segment.frames)"
                                     + (count < segment.frames ? " (cut short, or painted from another range?)" : ""))
                }
            }
            if let packet = nextAudio { try writer.write(audio: packet) }
            while let packet = try audio.nextPacket(.audio) { try writer.write(audio: packet) }
            try check(written: written.sorted(), expected: expected, tolerance: max(tb, readers[0].info.video.timeBase.doubleValue))
            try writer.finish()
        } catch {
            throw PipelineError(error)
        }
        try output.commit()
        return SegmentJoinSummary(frames: written.count, segments: plan.segments.count, outputPath: output.finalPath,
                                  outputBytes: writer.bytesWritten, elapsed: monotonicSeconds() - start)
    }

    /// The original's frame times, in order.
    private func originalTimes() throws(PipelineError) -> [Double] {
        do throws(MediaError) {
            let reader = try MediaReader(path: plan.input)
            var times: [Double] = []
            while let packet = try reader.nextPacket(.video) { times.append(packet.time ?? 0) }
            return times.sorted()
        } catch { throw PipelineError(error) }
    }

    /// Every frame of the original, at its time (within a tick of the coarser time base).
    private func check(written: [Double], expected: [Double], tolerance: Double) throws(MediaError) {
        guard written.count == expected.count else {
            throw MediaError(.inputUnreadable, "the segments have \(written.count) frames; \(plan.input) has \(expected.count)")
        }
        for (k, (got, want)) in zip(written, expected).enumerated() where abs(got - want) > tolerance {
            let segment = plan.segments.last { $0.firstFrame <= k } ?? plan.segments[0]
            throw MediaError(.inputUnreadable, "\(describe(segment)): frame \(k) is at \(TimeRange.format(got)) s; "
                             + "in \(plan.input) it is at \(TimeRange.format(want)) s (painted from another range?)")
        }
    }
}

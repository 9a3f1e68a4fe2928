import Foundation
import XCTest
import MediaIO
import Pipeline
import PresetCatalog

/// The video job through the library API, as an embedding developer uses it.
final class VideoStylizationTests: TemporaryFolderTestCase {
    var clip: URL!
    let frames = 40

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    override func setUpWithError() throws {
        try super.setUpWithError()
        clip = folder.appendingPathComponent("clip.mp4")
        try makeClip(clip, size: "80x60", rate: 20, frames: frames, audio: true)
    }

    func options(output: String) throws -> VideoJobOptions {
        let preset = try PresetCatalog(searchPaths: [Self.repository.appendingPathComponent("Presets").path]).resolve("sketch")
        var options = VideoJobOptions(inputPath: clip.path, outputPath: output, style: StyleSettings(preset: preset))
        options.threads = 2
        return options
    }

    func countFrames(_ path: String) throws -> Int {
        let reader = try MediaReader(path: path)
        var count = 0
        while try reader.nextVideoFrame() != nil { count += 1 }
        return count
    }

    func testEveryFrameComesOutInOrder() throws {
        let output = folder.appendingPathComponent("out.mkv").path
        let job = try VideoStylization(options: try options(output: output))
        var reported: [Int] = []
        let summary = try job.run { reported.append($0.framesDone) }
        XCTAssertEqual(summary.framesWritten, frames)
        XCTAssertFalse(summary.interrupted)
        XCTAssertEqual(reported, reported.sorted(), "progress went backwards")
        XCTAssertEqual(reported.last, frames)
        XCTAssertEqual(try countFrames(output), frames)
    }

    /// A time range is read with frames around it that steady the history — before its start
    /// (the warm-up) and after its end (for the frames before the end to look ahead to) — marked as
    /// context, never written; the range's own frames start at time zero.
    func testATimeRangeIsReadWithContextFramesAroundIt() throws {
        // 20 frames a second: the range holds frames 10 to 29.
        let source = try MediaFileSource(path: clip.path, range: TimeRange(start: 0.5, end: 1.5), warmUpFrames: 3, coolDownFrames: 4)
        var read: [SourceFrame] = []
        while let item = try source.next() {
            if case .frame(let frame) = item { read.append(frame) }
        }
        XCTAssertEqual(read.map(\.context), [Bool](repeating: true, count: 3) + [Bool](repeating: false, count: 20)
                       + [Bool](repeating: true, count: 4))
        XCTAssertEqual(read.first { !$0.context }?.frame.pts, 0)
        // At the file's end there is nothing after the range to read.
        let last = try MediaFileSource(path: clip.path, range: TimeRange(start: 1.5, end: 2.5), coolDownFrames: 4)
        var count = 0
        while let item = try last.next() {
            if case .frame(let frame) = item { XCTAssertFalse(frame.context); count += 1 }
        }
        XCTAssertEqual(count, 10)
    }

    /// Records, for each picture it is shown, the last progress count reported before it.
    final class StatusCheckingPreview: FrameSink {
        var framesDone = 0
        var seen: [Int] = []
        func write(_ frame: VideoFrame) throws(PipelineError) { seen.append(framesDone) }
        func close() {}
    }

    func testThePreviewShowsEveryPictureAfterItsProgressReport() throws {
        let job = try VideoStylization(options: try options(output: folder.appendingPathComponent("p.mkv").path))
        let preview = StatusCheckingPreview()
        _ = try job.run(preview: preview) { preview.framesDone = $0.framesDone }
        // Picture k (from 1) is shown with "k frames" in its status line, not k − 1.
        XCTAssertEqual(preview.seen, Array(1...frames))
    }

    func testFinishRequestWritesAValidShorterFile() throws {
        let output = folder.appendingPathComponent("short.mp4").path
        var opts = try options(output: output)
        opts.threads = 1
        // Frames wait for those after them (up to three times the lookahead): a short one, so that
        // the request comes while the clip is still being read. The frames held are written too.
        opts.lookahead = 4
        let job = try VideoStylization(options: opts)
        let stop = StopSignal()
        let summary = try job.run(stop: stop) { progress in
            if progress.framesDone >= 5 { stop.finish() }
        }
        XCTAssertTrue(summary.interrupted)
        XCTAssertGreaterThanOrEqual(summary.framesWritten, 5)
        XCTAssertLessThan(summary.framesWritten, frames)
        XCTAssertEqual(try countFrames(output), summary.framesWritten, "the file does not hold what the summary says")
    }

    func testAbortLeavesNothing() throws {
        let output = folder.appendingPathComponent("aborted.mp4").path
        let job = try VideoStylization(options: try options(output: output))
        let stop = StopSignal()
        XCTAssertThrowsError(try job.run(stop: stop) { _ in stop.abort() }) { error in
            XCTAssertEqual((error as? PipelineError)?.stage, .aborted)
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        XCTAssertEqual(left, ["clip.mp4"])
    }

    func testAPictureNeedingMoreMemoryThanTheLimitIsRefusedBeforeWork() throws {
        let output = folder.appendingPathComponent("out.mp4").path
        var options = try options(output: output)
        options.memoryLimit = 80 * 60 * 3 / 2 * 10   // ten 80×60 pictures
        XCTAssertThrowsError(try VideoStylization(options: options)) { error in
            let message = (error as? PipelineError)?.message ?? ""
            XCTAssertTrue(message.contains("clip.mp4: a 80×60 video needs about 2 MB of memory"), message)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))
        options.memoryLimit = 80 * 60 * 3 / 2 * 150
        XCTAssertNoThrow(try VideoStylization(options: options))
        // The two-way blend holds up to 48 more frames, each with its source picture and, at network
        // size, its painted picture and reverse link: about 9 MB.
        options.lookahead = 16
        XCTAssertThrowsError(try VideoStylization(options: options))
        options.memoryLimit = 80 * 60 * 3 / 2 * 198 + 80 * 60 * 32 * 48
        XCTAssertNoThrow(try VideoStylization(options: options))
    }

    func testRejectsBadOptionsBeforeWork() throws {
        var opts = try options(output: folder.appendingPathComponent("x.mp4").path)
        var style = try XCTUnwrap(opts.style)
        style.strength = 1.5
        opts.painter = .network(style)
        XCTAssertThrowsError(try VideoStylization(options: opts)) { error in
            XCTAssertEqual((error as? PipelineError)?.stage, .options)
        }
    }
}

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

import Foundation
import XCTest
import MediaIO
@testable import Pipeline
import PresetCatalog

/// The live pipeline with a file played as a camera (`FileAsCameraSource`) and outputs that
/// record what they get.
final class LiveStylizationTests: TemporaryFolderTestCase {
    var clip: URL!
    let frames = 30

    /// Keeps what the pipeline writes.
    final class RecordingOutput: FrameSink {
        var frames: [VideoFrame] = []
        var closed = false
        var failAfter: Int?
        func write(_ frame: VideoFrame) throws(PipelineError) {
            if let failAfter, frames.count >= failAfter { throw PipelineError(.output, "recording output is full") }
            frames.append(frame)
        }
        func close() { closed = true }
    }

    override func setUpWithError() throws {
        try super.setUpWithError()
        clip = folder.appendingPathComponent("clip.mp4")
        try makeClip(clip, size: "160x90", rate: 30, frames: frames)
    }

    func options() throws -> LiveOptions {
        let preset = try PresetCatalog(searchPaths: [VideoStylizationTests.repository.appendingPathComponent("Presets").path])
            .resolve("sketch")
        var options = LiveOptions(styles: [StyleSettings(preset: preset)])
        options.threads = 2
        options.maxSize = 96
        return options
    }

    func testPlaysAFileAsACameraAtTheLiveSize() throws {
        // 16:9 clip into a 4:3 live picture: cropped to fill, not squashed.
        let source = try FileAsCameraSource(path: clip.path, width: 120, height: 90, frameRate: 30)
        let live = try LiveStylization(source: source, options: try options())
        let output = RecordingOutput()
        let controls = LiveControls(styleCount: 1, strength: 1, temporal: true)
        let summary = try live.run(sinks: [output], controls: controls)
        XCTAssertTrue(output.closed)
        XCTAssertEqual(summary.stats.framesIn, frames)
        XCTAssertEqual(summary.stats.framesOut + summary.stats.dropped, frames, "every frame is either shown or counted as dropped")
        XCTAssertGreaterThan(summary.stats.framesOut, 0)
        for frame in output.frames {
            XCTAssertEqual(frame.width, 120)
            XCTAssertEqual(frame.height, 90)
        }
        XCTAssertGreaterThan(summary.stats.latency(percentile: 0.5), 0)
    }

    func testTheLiveSizeFollowsTheFrameRateAndKeepsTheShape() throws {
        // Timed here, so only the far ends are certain: at one frame a second a 160×90 picture
        // fits whole; at 2000 frames a second it cannot (0.65 ms of CPU a frame for two workers).
        let style = try options().styles[0]
        let model = try style.loadModel()
        for temporal in [true, false] {
            let stability: Float? = temporal ? TemporalSettings.defaultStability : nil
            let slow = try LiveFrameCost.sizeHoldingRate(model: model, style: style, sourceWidth: 160, sourceHeight: 90,
                                                         frameRate: 1, workers: 2, stability: stability)
            XCTAssertEqual(slow, NetworkSize(fitting: 160, 90, maxSize: 160, multiple: 8), "temporal \(temporal)")
            let fast = try LiveFrameCost.sizeHoldingRate(model: model, style: style, sourceWidth: 160, sourceHeight: 90,
                                                         frameRate: 2000, workers: 2, stability: stability)
            XCTAssertLessThan(fast.width, slow.width, "temporal \(temporal)")
            XCTAssertEqual(fast.width % 8, 0)
            XCTAssertEqual(fast.height % 8, 0)
            XCTAssertGreaterThan(fast.width, fast.height, "a wide picture stays wide")
        }
        let cost = try LiveFrameCost.measure(model: model, style: style, size: NetworkSize(width: 96, height: 56),
                                             sourceWidth: 160, sourceHeight: 90, workers: 2,
                                             temporal: .live())
        XCTAssertGreaterThan(cost.output, 0)
        XCTAssertLessThan(cost.output, cost.frame, "the blend and composition are part of the frame")
    }

    func testFramesComingFasterThanTheWorkersAreDroppedNotQueued() throws {
        // 2000 fps: far more than 2 workers can stylize, so most frames must be dropped at the
        // source or at the workers' door, not queued (the latency itself is measured by
        // Benchmarks/camera.sh: timings in unit tests on a shared machine mean little).
        let source = try FileAsCameraSource(path: clip.path, width: 160, height: 90, frameRate: 2000, loop: true)
        var opts = try options()
        opts.maxSize = 160
        opts.frameLimit = 20
        let live = try LiveStylization(source: source, options: opts)
        let output = RecordingOutput()
        let summary = try live.run(sinks: [output], controls: LiveControls(styleCount: 1, strength: 1, temporal: true))
        XCTAssertEqual(output.frames.count, 20)
        XCTAssertGreaterThan(summary.stats.dropped, 20, "frames were queued instead of dropped")
        XCTAssertGreaterThanOrEqual(summary.stats.framesIn, summary.stats.framesOut + summary.stats.dropped)
    }

    func testBypassShowsTheCameraPictureAndStrengthZeroMatchesIt() throws {
        let source = try FileAsCameraSource(path: clip.path, width: 160, height: 90, frameRate: 30)
        var opts = try options()
        opts.frameLimit = 5
        let live = try LiveStylization(source: source, options: opts)
        let output = RecordingOutput()
        let controls = LiveControls(styleCount: 1, strength: 1, temporal: true)
        controls.toggleBypass()
        _ = try live.run(sinks: [output], controls: controls)
        let reference = try FrameResizer(width: 160, height: 90).resize(try MediaReader(path: clip.path).nextVideoFrame()!)
        XCTAssertEqual(output.frames.first?.pixelBytes(), reference.pixelBytes(), "bypass changed the picture")
    }

    func testAnOutputErrorEndsTheRunWithThatError() throws {
        let source = try FileAsCameraSource(path: clip.path, width: 160, height: 90, frameRate: 60, loop: true)
        let live = try LiveStylization(source: source, options: try options())
        let output = RecordingOutput()
        output.failAfter = 3
        XCTAssertThrowsError(try live.run(sinks: [output], controls: LiveControls(styleCount: 1, strength: 1, temporal: true))) {
            XCTAssertEqual(($0 as? PipelineError)?.message, "recording output is full")
        }
        XCTAssertTrue(output.closed)
    }

    func testControlsCycleAndClamp() {
        let controls = LiveControls(styleCount: 3, strength: 0.95, temporal: true)
        controls.previousStyle()
        XCTAssertEqual(controls.current.style, 2)
        controls.nextStyle(); controls.nextStyle()
        XCTAssertEqual(controls.current.style, 1)
        controls.strengthUp()
        XCTAssertEqual(controls.current.strength, 1)
        for _ in 0..<15 { controls.strengthDown() }
        XCTAssertEqual(controls.current.strength, 0)
        controls.toggleTemporal()
        XCTAssertFalse(controls.current.temporal)
    }

    func testStatsPercentiles() {
        var stats = LiveStats()
        for i in 1...100 { stats.output(captured: 0, at: Double(i) / 100 + 0.0002) }
        XCTAssertEqual(stats.latency(percentile: 0.5), 0.5, accuracy: 1e-3)
        XCTAssertEqual(stats.latency(percentile: 0.95), 0.95, accuracy: 1e-3)
        XCTAssertEqual(stats.lastLatency, 1.0002, accuracy: 1e-9)
        XCTAssertEqual(stats.meanFPS, 100, accuracy: 1e-6)
        // A stall longer than the bins go is still counted, at their end.
        stats.output(captured: 0, at: 60)
        XCTAssertEqual(stats.latency(percentile: 1), 10, accuracy: 1e-3)
        XCTAssertEqual(stats.latency(percentile: 0.5), 0.51, accuracy: 1e-3)
    }

    /// A window's percentiles count only the frames since an earlier copy (a long run's drift).
    func testStatsPercentilesOverAWindow() {
        var stats = LiveStats()
        for i in 0..<100 { stats.output(captured: Double(i), at: Double(i) + 0.0502) }   // 50 ms each
        let earlier = stats
        for i in 100..<200 { stats.output(captured: Double(i), at: Double(i) + 0.0102) }   // then 10 ms
        XCTAssertEqual(stats.latency(percentile: 0.95, since: earlier), 0.0105, accuracy: 1e-6)
        XCTAssertEqual(stats.latency(percentile: 0.95), 0.0505, accuracy: 1e-6, "the whole run")
        XCTAssertEqual(stats.latency(percentile: 0.5, since: stats), 0, "an empty window")
    }
}

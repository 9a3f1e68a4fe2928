import Foundation
import MediaIO
import OpticalFlow
import StyleEngine

/// How a live run is set up. The look can change while it runs (`LiveControls`).
public struct LiveOptions: Sendable {
    /// The styles the hotkeys cycle through; the run starts with the first.
    public var styles: [StyleSettings]
    /// Longer side of what the network sees; nil chooses it to hold the source's frame rate.
    public var maxSize: Int?
    /// Temporal blending at the start (the `t` hotkey toggles it).
    public var temporal = true
    public var stability: Float = TemporalSettings.liveDefaultStability
    /// CPU threads for stylizing: one worker per thread (frames in flight in parallel).
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Stop after this many frames out (benchmarks, tests); nil runs until the source ends or Ctrl-C.
    public var frameLimit: Int?

    public init(styles: [StyleSettings]) {
        self.styles = styles
    }
}

/// What a live run did.
public struct LiveSummary: Sendable {
    public let stats: LiveStats
    public let networkSize: NetworkSize
    public let workers: Int
    public let elapsed: Double
}

/// Stylizes a live source into live outputs, keeping up with the source by dropping
/// frames rather than falling behind:
///
///     source ─▶ capture thread ──FrameQueue (one slot; full → frame dropped)──▶ worker × N
///                (scale, flow pyramid)                                                  │ network + flow link
///     outputs ◀── output thread (the caller's): blend, compose, write ◀── ReorderBuffer ─┘
///
/// A frame that finds every worker busy is dropped at once instead of waiting, so the
/// picture that goes out is never more than about one frame older than the camera's. The
/// flow link of each frame is to the previous frame that was *kept*, so dropping frames
/// never breaks temporal blending.
public final class LiveStylization {
    public let options: LiveOptions
    public let networkSize: NetworkSize
    private let models: [StyleModel]
    private let source: LiveSource

    /// Loads every style (so a bad one fails now, with one line) and chooses the network size.
    public init(source: LiveSource, options: LiveOptions) throws(PipelineError) {
        guard !options.styles.isEmpty else { throw PipelineError(.options, "no style to show") }
        for style in options.styles { try style.validate() }
        guard options.stability.isFinite, (0...1).contains(options.stability) else {
            throw PipelineError(.options, "--stability must be between 0 and 1 (got \(options.stability))")
        }
        self.options = options
        self.source = source
        models = try options.styles.map { (style) throws(PipelineError) in try style.loadModel() }
        // One size suits every preset: 8 divides the realtime networks' and the quality networks' strides.
        if let maxSize = options.maxSize {
            guard maxSize >= 16 else { throw PipelineError(.options, "--max-size must be at least 16 pixels (got \(maxSize))") }
            networkSize = NetworkSize(fitting: source.width, source.height, maxSize: maxSize, multiple: 8)
        } else {
            networkSize = try Self.sizeHoldingRate(model: models[0], style: options.styles[0], source: source,
                                                   workers: max(1, options.threads), temporal: options.temporal)
        }
    }

    /// The largest network size at which a frame's whole cost fits the CPU the workers have
    /// per frame interval (N workers: N/fps seconds), with 10% to spare. The network is timed
    /// here (blank frame, after a warm-up); everything else a frame costs scales with it,
    /// measured with `Benchmarks/camera.sh` at 640×480 (perf: the network is ~40% of a frame's
    /// CPU with temporal blending — flows, warps, masks, conversions are the rest — and ~65%
    /// without, timed with two workers sharing the CPU), hence the factors 3 and 1.5.
    static func sizeHoldingRate(model: StyleModel, style: StyleSettings, source: LiveSource,
                                workers: Int, temporal: Bool) throws(PipelineError) -> NetworkSize {
        let full = NetworkSize(fitting: source.width, source.height, maxSize: max(source.width, source.height), multiple: 8)
        // Timed on every worker at once: they share caches and memory bandwidth (and, on
        // SMT machines, cores), so one network alone runs far faster than it will in the pipeline.
        let timings = NetworkTimings(count: workers)
        let input = [Float](repeating: 128 * style.preset.inputRange / 255, count: 3 * full.width * full.height)
        let threads = (0..<workers).map { index in
            Worker(name: "stylize.calibrate\(index)") {
                let session = StyleSession(model: model, threads: 1)
                // The median of 5 runs after a warm-up: single runs vary by ±20% here.
                var times: [Double] = []
                for run in 0..<6 {
                    let start = monotonicSeconds()
                    let ok = (try? input.withUnsafeBufferPointer { (b) throws(EngineError) in
                        try session.run(image: b.baseAddress!, channels: 3, height: full.height, width: full.width)
                    }) != nil
                    if !ok { timings.fail(); return }
                    if run > 0 { times.append(monotonicSeconds() - start) }
                }
                timings.record(times.sorted()[times.count / 2], at: index)
            }
        }
        threads.forEach { $0.join() }
        guard let seconds = timings.mean else { throw PipelineError(.engine, "the style network failed on a blank frame") }
        let perFrame = seconds * (temporal ? 3.0 : 1.5)
        let budget = 0.9 * Double(workers) / source.frameRate
        guard perFrame > budget else { return full }
        let scale = (budget / perFrame).squareRoot()
        let longer = max(16, Int(Double(max(full.width, full.height)) * scale))
        return NetworkSize(fitting: source.width, source.height, maxSize: longer, multiple: 8)
    }

    /// Runs until the source ends, `stop` is set, or `options.frameLimit` frames went out.
    /// `status` is called on this thread after each frame written. Errors from the source
    /// (a camera unplugged) or an output end the run with that error.
    public func run(outputs: [LiveOutput], controls: LiveControls, stop: StopSignal = StopSignal(),
                    status: (LiveStats, LiveControls.State) -> Void = { _, _ in }) throws(PipelineError) -> LiveSummary {
        let start = monotonicSeconds()
        let workers = max(1, options.threads)
        let size = networkSize
        let temporalSettings = TemporalSettings.live(stability: options.stability, frameWidth: size.width, height: size.height)
        let failure = FirstError()
        // Ends this run (frame limit reached, an error) without touching the caller's `stop`.
        let ended = StopSignal()

        struct Job { let sequence: Int; var prepared: PreparedFrame; let previous: MotionFrame?; let input: LiveInput; let look: LiveControls.State }
        struct Done { let stylized: StylizedFrame?; let input: LiveInput; let look: LiveControls.State }
        let work = FrameQueue<Job>(capacity: 1)   // one frame waits for the next free worker; more would only age
        // Network-size buffers handed back for reuse (inputs to the capture thread, results to
        // the workers), as in the video job: no frame-sized allocation per frame.
        let inputBuffers = FrameQueue<[Float]>(capacity: workers * 2)
        let resultBuffers = FrameQueue<[Float]>(capacity: workers * 2)
        let finished = ReorderBuffer<Done>(window: workers, producers: workers)
        let counters = CaptureCounters()
        let cancelAll: @Sendable () -> Void = { work.cancel(); finished.cancel() }

        // Capture: reads the source at its pace, prepares each kept frame once (network size,
        // flow pyramid), and hands it to a free worker — or drops it if none is free.
        let source = self.source
        let captureThread = Worker(name: "stylize.capture") {
            let preparer = FramePreparer(size: size, flow: temporalSettings.flow)
            var sequence = 0
            var previous: MotionFrame? = nil
            var previousStyle = -1
            defer { work.close() }
            while stop.state == .running && ended.state == .running {
                let input: LiveInput?
                do throws(PipelineError) { input = try source.next() } catch {
                    failure.record(error); cancelAll(); return
                }
                guard let input else { return }
                counters.captured(skipped: input.dropped)
                let look = controls.current
                if look.bypass {
                    // Nothing to stylize: straight to the output, in order.
                    guard work.push(Job(sequence: sequence, prepared: PreparedFrame(original: input.frame, pixels: [], motion: nil),
                                        previous: nil, input: input, look: look)) else { return }
                    sequence += 1
                    previous = nil
                    continue
                }
                let prepared: PreparedFrame
                do throws(MediaError) { prepared = try preparer.prepare(input.frame, reusing: inputBuffers.tryPop()) } catch {
                    failure.record(PipelineError(error)); cancelAll(); return
                }
                // A new style starts a fresh history: link nothing to a frame of the old look.
                let linkTo = (look.temporal && look.style == previousStyle) ? previous : nil
                guard work.tryPush(Job(sequence: sequence, prepared: prepared, previous: linkTo, input: input, look: look)) else {
                    if work.isCancelled { return }
                    counters.refused()
                    continue
                }
                sequence += 1
                previous = prepared.motion
                previousStyle = look.style
            }
        }

        // Workers: the network (the style the frame was captured with) and the flow link.
        let (models, styles) = (self.models, options.styles)
        let workerThreads = (0..<workers).map { index in
            Worker(name: "stylize.live\(index)") {
                defer { finished.producerFinished() }
                var stylizers: [Int: FrameStylizer] = [:]
                while var job = work.pop() {
                    if job.look.bypass {
                        guard finished.deliver(Done(stylized: nil, input: job.input, look: job.look), sequence: job.sequence) else { return }
                        continue
                    }
                    let style = job.look.style
                    let stylizer = stylizers[style] ?? FrameStylizer(model: models[style], inputRange: styles[style].preset.inputRange,
                                                                     size: size, threads: 1)
                    stylizers[style] = stylizer
                    do throws(PipelineError) {
                        let result = try stylizer.stylize(&job.prepared, previous: job.previous,
                                                          temporal: job.look.temporal ? temporalSettings : nil,
                                                          reusing: resultBuffers.tryPop())
                        inputBuffers.tryPush(job.prepared.pixels)
                        guard finished.deliver(Done(stylized: result, input: job.input, look: job.look), sequence: job.sequence) else { return }
                    } catch {
                        failure.record(error); cancelAll(); return
                    }
                }
            }
        }

        // Output, on this thread: blend with the history, mix with the camera picture, write.
        let composer = FrameConverter()
        let blender = TemporalBlender(settings: temporalSettings)
        var stats = LiveStats()
        do throws(PipelineError) {
            while let done = finished.next() {
                if stop.state == .aborted { break }
                let picture: VideoFrame
                if var frame = done.stylized {
                    if done.look.temporal {
                        blender.blend(&frame.pixels, width: frame.width, height: frame.height, link: frame.link)
                    }
                    do throws(MediaError) {
                        picture = try frame.pixels.withUnsafeBufferPointer { (buffer) throws(MediaError) in
                            try composer.compose(stylized: buffer.baseAddress!, width: frame.width, height: frame.height,
                                                 original: frame.original, strength: done.look.strength,
                                                 preserveColors: styles[done.look.style].preserveColors)
                        }
                    } catch { throw PipelineError(error) }
                    resultBuffers.tryPush(frame.pixels)
                } else {
                    picture = done.input.frame
                }
                for output in outputs { try output.write(picture) }
                let now = monotonicSeconds()
                let captured = counters.totals
                stats.record(capturedFrames: captured.frames, skipped: captured.skipped, refused: captured.refused)
                stats.output(captured: done.input.captured, at: now)
                status(stats, done.look)
                if let limit = options.frameLimit, stats.framesOut >= limit { ended.finish() }
                if (stop.state != .running || ended.state != .running) && stats.framesOut > 0 { break }
            }
        } catch {
            failure.record(error)
        }
        ended.finish()
        cancelAll()
        captureThread.join()
        workerThreads.forEach { $0.join() }
        source.close()
        for output in outputs { output.close() }
        if let error = failure.value { throw error }
        return LiveSummary(stats: stats, networkSize: size, workers: workers, elapsed: monotonicSeconds() - start)
    }
}

/// The capture thread's counts, read by the output thread.
private final class CaptureCounters: @unchecked Sendable {
    private let lock = NSLock()
    private var frames = 0, skipped = 0, refusedFrames = 0

    func captured(skipped count: Int) { lock.withLock { frames += 1 + count; skipped += count } }
    func refused() { lock.withLock { refusedFrames += 1 } }
    var totals: (frames: Int, skipped: Int, refused: Int) { lock.withLock { (frames, skipped, refusedFrames) } }
}

/// Network times measured by the calibration threads.
private final class NetworkTimings: @unchecked Sendable {
    private let lock = NSLock()
    private var seconds: [Double?]
    private var failed = false
    init(count: Int) { seconds = Array(repeating: nil, count: count) }
    func record(_ value: Double, at index: Int) { lock.withLock { seconds[index] = value } }
    func fail() { lock.withLock { failed = true } }
    var mean: Double? {
        lock.withLock {
            let values = seconds.compactMap { $0 }
            return failed || values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        }
    }
}

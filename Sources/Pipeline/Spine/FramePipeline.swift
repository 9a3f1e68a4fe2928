import Foundation
import MediaIO
import StyleEngine

/// The one frame pipeline every mode configures (`stylize video`, `camera`, `preview`):
///
///     source ─▶ source thread ──FrameQueue──▶ worker × N ──ReorderBuffer──▶ output thread (the caller's)
///               (network size,                (flow link,                    temporal blend, compose,
///                flow pyramid, look)           network or                     sinks, in order
///                                              optimization)
///        └──────────── side channel (a file's audio) ───────────────────────────────▶┘
///
/// What differs between modes is configuration: the source, whether a frame that finds
/// every worker busy waits (a file: nothing is lost) or is dropped (a live feed: the picture
/// stays current), where each frame's look comes from, and the sinks. A style painted by
/// optimization (`FrameOptimizer`) runs on one worker, frames in order, and its temporal term
/// takes the temporal blend's place.
public final class FramePipeline {
    /// What happens to a frame that finds every worker busy.
    public enum Admission: Sendable {
        /// It waits: every frame is painted (files). On a stop request the frames in flight
        /// are still finished and written.
        case waitForWorker
        /// It is dropped at once, so the picture that goes out is never more than about one
        /// frame older than the source's (live feeds). A stop request ends the run at the
        /// next frame out.
        case dropWhenBusy
    }

    /// A style the run can paint with, loaded once: a trained network, or pictures whose look
    /// each frame is optimized toward (one worker, in order: each frame starts from the last).
    public struct Style: @unchecked Sendable {
        public enum Method {
            case network(StyleModel, StyleSettings)
            case optimization(PaintingStyle, FrameOptimizer.Settings)
        }
        public let method: Method

        public init(settings: StyleSettings, model: StyleModel) { method = .network(model, settings) }
        public init(painting: PaintingStyle, settings: FrameOptimizer.Settings) { method = .optimization(painting, settings) }

        /// The network's look; nil for an optimization.
        var settings: StyleSettings? {
            if case .network(_, let settings) = method { return settings }
            return nil
        }
        /// Whether the output thread blends each result with the history: an optimization holds
        /// frames together itself (its temporal term), so blending would only smear it.
        var blendsOutput: Bool { settings != nil }
        var preserveColors: Bool {
            switch method {
            case .network(_, let settings): return settings.preserveColors
            case .optimization(let painting, _): return painting.settings.preserveColors
            }
        }
        /// How much of the painted picture goes over the original at `strength`.
        func fade(strength: Float) -> Float { settings?.fade(strength: strength) ?? 1 }
    }

    public struct Progress: Sendable {
        public let stats: LiveStats
        /// The look of the frame just finished.
        public let look: Look
        public let elapsed: Double
    }

    public struct Summary: Sendable {
        public let stats: LiveStats
        public let elapsed: Double
        /// With temporal blending (or an optimization's temporal term): frames that started a
        /// fresh history (the first one, scene cuts, style changes); nil when frames were not linked.
        public let temporalResets: Int?
    }

    public let styles: [Style]
    public let size: NetworkSize
    public let threads: ThreadPlan
    public let admission: Admission
    /// How frames are linked and blended; nil: every frame on its own.
    public let temporal: TemporalSettings?
    /// Stop after this many frames out; nil: until the source ends or a stop request.
    public let frameLimit: Int?

    public init(styles: [Style], size: NetworkSize, threads: ThreadPlan, admission: Admission,
                temporal: TemporalSettings?, frameLimit: Int? = nil) {
        precondition(!styles.isEmpty, "a pipeline needs a style")
        precondition(threads.workers == 1 || styles.allSatisfy { $0.settings != nil },
                     "an optimized style needs its frames in order: one worker")
        self.styles = styles
        self.size = size
        self.threads = threads
        self.admission = admission
        self.temporal = temporal
        self.frameLimit = frameLimit
    }

    /// Runs until the source ends, `stop` says so, or `frameLimit` frames went out; closes the
    /// source and every sink before it returns. `progress` is called on this thread for every
    /// frame, before the sinks receive it (so a status line set there describes that picture).
    /// On success every sink was finished; on an error or an abort none was, and the error
    /// (or `.aborted`) is thrown.
    public func run(source: FrameSource, sinks: [FrameSink], looks: LookProvider, stop: StopSignal = StopSignal(),
                    progress: (Progress) -> Void = { _ in }) throws(PipelineError) -> Summary {
        let start = monotonicSeconds()
        let (size, temporal, admission) = (self.size, self.temporal, self.admission)
        let workers = threads.workers
        // Only a file's frames can wait for the frames after them, and only a blend looks ahead.
        let lookahead = admission == .waitForWorker && styles.contains(where: \.blendsOutput) ? temporal?.lookahead ?? 0 : 0
        let failure = FirstError()
        let styles = self.styles
        // mixable[a][b]: a frame can be painted on its way from style a to style b.
        let mixable = styles.map { a in
            styles.map { b in
                guard let a = a.settings, let b = b.settings else { return false }
                return a.mixes(with: b)
            }
        }
        @Sendable func inputs(for look: Look, _ to: StyleSettings) -> [String: Tensor] {
            guard let fade = look.fade, mixable[fade.from][look.style], let from = styles[fade.from].settings else {
                return to.modelInputs(strength: look.strength)
            }
            return to.modelInputs(strength: look.strength, fadingFrom: from, progress: fade.progress)
        }
        // Ends this run (frame limit reached, an error) without touching the caller's `stop`.
        let ended = StopSignal()

        struct Job { let sequence: Int; var prepared: PreparedFrame?; let previous: MotionFrame?; let input: SourceFrame; let look: Look }
        struct Done { var stylized: StylizedFrame?; let input: SourceFrame; let look: Look }
        // Live: one frame waits for the next free worker; more would only age.
        let work = FrameQueue<Job>(capacity: admission == .waitForWorker ? workers * 2 : 1)
        // Unbounded: a file's audio can run far past its last video frame, and the output
        // thread only drains it between frames. Compressed audio is small.
        let audio = FrameQueue<EncodedPacket>(capacity: .max)
        let finished = ReorderBuffer<Done>(window: admission == .waitForWorker ? workers * 3 : workers, producers: workers)
        // Network-size buffers handed back for reuse (inputs to the source thread, results to
        // the workers): no frame-sized allocation per frame.
        let inputBuffers = FrameQueue<[Float]>(capacity: workers * 4)
        let resultBuffers = FrameQueue<[Float]>(capacity: workers * 4)
        let counters = SourceCounters()
        let cancelAll: @Sendable () -> Void = { work.cancel(); audio.cancel(); finished.cancel() }

        // Source: reads at the source's pace, prepares each admitted frame once (network size,
        // flow pyramid) and links it to the previous admitted frame of the same style.
        let sourceThread = Worker(name: "stylize.source") {
            let preparer = FramePreparer(size: size, flow: temporal?.flow)
            var sequence = 0
            var previous: MotionFrame? = nil
            var previousStyle = -1
            defer { work.close(); audio.close() }
            while stop.state == .running && ended.state == .running {
                let item: SourceItem?
                do throws(PipelineError) { item = try source.next() } catch {
                    failure.record(error); cancelAll(); return
                }
                let input: SourceFrame
                switch item {
                case nil: return
                case .audio(let packet)?:
                    guard audio.push(packet) else { return }
                    continue
                case .frame(let frame)?:
                    input = frame
                }
                counters.captured(skipped: input.dropped)
                let look = looks.current
                var prepared: PreparedFrame? = nil   // nil: shown as it is (bypass)
                if !look.bypass {
                    do throws(MediaError) { prepared = try preparer.prepare(input.frame, reusing: inputBuffers.tryPop()) } catch {
                        failure.record(PipelineError(error)); cancelAll(); return
                    }
                }
                // A new style starts a fresh history: nothing links to a frame of another look,
                // unless the look cross-fades from it (the same network, its mix moving).
                let sameNetwork = look.style == previousStyle
                    || (look.fade.map { $0.from == previousStyle && mixable[$0.from][look.style] } ?? false)
                let linked = !look.bypass && look.temporal && sameNetwork
                let motion = prepared?.motion
                // Handed over whole: a worker that finds the pixels referenced once scales them in
                // place instead of copying them first.
                let job = Job(sequence: sequence, prepared: prepared.take(), previous: linked ? previous : nil,
                              input: input, look: look)
                let admitted = admission == .waitForWorker ? work.push(consume job) : work.tryPush(consume job)
                guard admitted else {
                    if admission == .waitForWorker || work.isCancelled { return }
                    counters.refused()
                    continue
                }
                sequence += 1
                previous = motion
                if !look.bypass { previousStyle = look.style }
            }
        }

        // Workers: the flow link to the previous frame, and the frame's style: its network (mixed
        // with the one it fades from when they share a style bank), or its optimization.
        let perWorker = threads.threadsPerWorker
        let workerThreads = (0..<workers).map { index in
            Worker(name: "stylize.worker\(index)") {
                defer { finished.producerFinished() }
                var stylizers: [Int: FrameStylizer] = [:]
                var optimizers: [Int: FrameOptimizer] = [:]
                while var job = work.pop() {
                    // Taken out of the job, so that the network's scaling of its pixels finds them
                    // referenced once and scales them in place instead of copying them first.
                    guard var prepared = job.prepared.take() else {
                        guard finished.deliver(Done(stylized: nil, input: job.input, look: job.look), sequence: job.sequence) else { return }
                        continue
                    }
                    var link: TemporalLink? = nil, reverseLink: TemporalLink? = nil
                    if job.look.temporal, let temporal, let previous = job.previous, let current = prepared.motion {
                        let forward = Temporal.link(previous: previous, current: current, settings: temporal)
                        if lookahead > 0 && !forward.isCut {
                            // A flow of its own: the forward flow reversed carries less well (second referee,
                            // docs/temporal.md "The two-way blend").
                            reverseLink = Temporal.link(previous: current, current: previous, settings: temporal)
                        }
                        link = forward
                    }
                    let style = job.look.style
                    do throws(PipelineError) {
                        var result: StylizedFrame
                        switch styles[style].method {
                        case .network(let model, let settings):
                            let stylizer = stylizers[style] ?? FrameStylizer(model: model, inputRange: settings.preset.inputRange,
                                                                             size: size, threads: perWorker,
                                                                             precision: settings.precision)
                            stylizers[style] = stylizer
                            result = try stylizer.stylize(&prepared, link: link, reusing: resultBuffers.tryPop(),
                                                          modelInputs: inputs(for: job.look, settings), foldInputs: job.look.fade == nil)
                        case .optimization(let painting, let settings):
                            let optimizer = optimizers[style] ?? FrameOptimizer(style: painting, settings: settings, size: size,
                                                                                threads: perWorker)
                            optimizers[style] = optimizer
                            result = try optimizer.paint(prepared, link: link) {
                                stop.state != .aborted && ended.state == .running
                            }
                        }
                        result.reverseLink = reverseLink
                        inputBuffers.tryPush(prepared.pixels.handedOver())   // referenced once: reused, not copied
                        guard finished.deliver(Done(stylized: result, input: job.input, look: job.look), sequence: job.sequence) else { return }
                    } catch {
                        failure.record(error); cancelAll(); return
                    }
                }
            }
        }

        // Output, on this thread, in order: blend with the history (forwards, then with a lookahead
        // backwards too), mix with the source picture, write.
        let composer = FrameConverter()
        let blender = styles.contains(where: \.blendsOutput) ? temporal.map { TemporalBlender(settings: $0) } : nil
        let lookaheadBlend = lookahead > 0 ? temporal.map { TemporalLookahead<Done>(settings: $0) } : nil
        var freshStarts = 0   // optimized frames with no result before them to start from
        var stats = LiveStats()
        func drainAudio(waiting: Bool) throws(PipelineError) {
            while let packet = waiting ? audio.pop() : audio.tryPop() {
                for sink in sinks { try sink.write(audio: packet) }
            }
        }
        /// Mixes a finished frame with its source picture and writes it; false when the run ends
        /// with it (the frame limit, a live feed's stop, an abort). In place: its pixels are handed
        /// back to the workers, referenced once.
        func output(_ done: inout Done) throws(PipelineError) -> Bool {
            if stop.state == .aborted { return false }
            let picture: VideoFrame
            if var frame = done.stylized.take() {
                // A frame around a time range has steadied the history; it is not part of the output.
                picture = done.input.context ? done.input.frame
                    : try composer.compose(frame, strength: styles[done.look.style].fade(strength: done.look.strength),
                                           preserveColors: styles[done.look.style].preserveColors)
                resultBuffers.tryPush(frame.pixels.handedOver())   // a spare for the workers; dropped when they have enough
            } else {
                picture = done.input.frame
            }
            if done.input.context { return true }
            let captured = counters.totals
            stats.record(capturedFrames: captured.frames, skipped: captured.skipped, refused: captured.refused)
            stats.output(captured: done.input.captured, at: monotonicSeconds())
            progress(Progress(stats: stats, look: done.look, elapsed: monotonicSeconds() - start))
            for sink in sinks { try sink.write(picture) }
            try drainAudio(waiting: false)
            if let frameLimit, stats.framesOut >= frameLimit { return false }
            return !(admission == .dropWhenBusy && stop.state != .running)
        }
        /// A lookahead entry's frame back in its `Done`.
        func restored(_ entry: TemporalLookahead<Done>.Entry) -> Done {
            var done = entry.payload
            if let frame = entry.frame { done.stylized = frame }
            return done
        }
        do throws(PipelineError) {
            // True once every frame the source gave has come out (so the side channel is closed too).
            var sourceDrained = false
            var open = true   // false once the output ended early (frame limit, stop, abort)
            while open {
                guard var done = finished.next() else { sourceDrained = true; break }
                if stop.state == .aborted { break }
                var blended = false, carried = false
                if var frame = done.stylized.take() {   // referenced once: blended in place, not copied first
                    if done.look.temporal && styles[done.look.style].blendsOutput, let blender {
                        carried = blender.blend(&frame.pixels, width: frame.width, height: frame.height, link: frame.link)
                        blended = true
                    } else if done.look.temporal && temporal != nil && frame.link?.isCut ?? true {
                        freshStarts += 1
                    }
                    frame.link = nil   // used; not kept while the frame waits for those after it
                    done.stylized = frame
                }
                guard let lookaheadBlend else { open = try output(&done); continue }
                // Blended frames wait for the frames after them; any other ends the wait.
                let frame = blended ? done.stylized.take() : nil
                for entry in lookaheadBlend.add(.init(frame: frame, continues: carried, payload: done)) where open {
                    var ready = restored(entry)
                    open = try output(&ready)
                }
            }
            if sourceDrained && open, let lookaheadBlend {
                for entry in lookaheadBlend.finish() where open {
                    var ready = restored(entry)
                    open = try output(&ready)
                }
            }
            if sourceDrained && failure.value == nil { try drainAudio(waiting: true) }
        } catch {
            failure.record(error)
        }
        ended.finish()
        cancelAll()
        sourceThread.join()
        workerThreads.forEach { $0.join() }
        inputBuffers.cancel()
        resultBuffers.cancel()
        source.close()

        do throws(PipelineError) {
            if let error = failure.value { throw error }
            if stop.state == .aborted { throw PipelineError(.aborted, "stopped; no output written") }
            // An output without a single picture is no output: a file cut before its first frame
            // must not "succeed" with an empty video.
            if stats.framesOut == 0 {
                if stop.state != .running { throw PipelineError(.aborted, "stopped before the first picture; no output written") }
                throw PipelineError(.input, source.endedEarly.map { "\($0); no video frame could be decoded" }
                                    ?? "\(source.name): no video frame could be decoded (is the file cut short before its first frame?)")
            }
            for sink in sinks { try sink.finish() }
        } catch {
            for sink in sinks { sink.close() }
            throw error
        }
        for sink in sinks { sink.close() }
        return Summary(stats: stats, elapsed: monotonicSeconds() - start,
                       temporalResets: blender.map { $0.resets + freshStarts } ?? (temporal != nil ? freshStarts : nil))
    }
}

/// The source thread's counts, read by the output thread.
private final class SourceCounters: @unchecked Sendable {
    private let lock = NSLock()
    private var frames = 0, skipped = 0, refusedFrames = 0

    func captured(skipped count: Int) { lock.withLock { frames += 1 + count; skipped += count } }
    func refused() { lock.withLock { refusedFrames += 1 } }
    var totals: (frames: Int, skipped: Int, refused: Int) { lock.withLock { (frames, skipped, refusedFrames) } }
}

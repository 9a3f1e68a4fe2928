import Foundation
import MediaIO
import OpticalFlow
import PresetCatalog
import StyleEngine

/// Stylizes one video file: decode → parallel stylize → in-order sequential
/// stage → encode, each stage on its own thread(s), joined by bounded queues.
///
///     reader ──FrameQueue──▶ worker × N ──ReorderBuffer──▶ sequential stage + encoder
///        └────────────────── audio FrameQueue ──────────────────▶┘
///
/// `init` does every check that needs no decoding (input opens, model loads,
/// output is writable) so bad input fails before any work, with one line.
public final class VideoStylization {
    public let options: VideoJobOptions
    public let info: MediaInfo
    public let networkSize: NetworkSize
    public let threads: ThreadPlan
    private let reader: MediaReader
    private let model: StyleModel
    private let output: OutputFile

    public init(options: VideoJobOptions) throws(PipelineError) {
        try options.style.validate()
        guard options.stability.isFinite, (0...1).contains(options.stability) else {
            throw PipelineError(.options, "--stability must be between 0 and 1 (got \(options.stability))")
        }
        guard options.maxSize >= 16 else {
            throw PipelineError(.options, "--max-size must be at least 16 pixels (got \(options.maxSize))")
        }
        self.options = options
        do throws(MediaError) { reader = try MediaReader(path: options.inputPath) } catch { throw PipelineError(error) }
        info = reader.info
        output = try OutputFile(path: options.outputPath, inputPath: options.inputPath, overwrite: options.overwrite)
        model = try options.style.loadModel()
        networkSize = NetworkSize(fitting: info.video.width, info.video.height, maxSize: options.maxSize,
                                  multiple: options.style.preset.sizeMultiple)
        threads = ThreadPlan(threads: options.threads, workers: options.workers)
    }

    /// Runs the job to the end, or until `stop` says otherwise. `progress` is
    /// called after every frame written, on the calling thread. On success the
    /// output file is complete and in place; on any error it is absent.
    /// `preview`, when given, also receives every finished picture, on the same thread, e.g. for
    /// a terminal preview; it must not keep the caller waiting. It comes after that picture's
    /// `progress` call, so a status line set there describes the picture shown.
    public func run(stop: StopSignal = StopSignal(), preview: LiveOutput? = nil,
                    progress: (VideoJobProgress) -> Void = { _ in }) throws(PipelineError) -> VideoJobSummary {
        let start = Date()
        let writer: MediaWriter
        do throws(MediaError) {
            writer = try MediaWriter(path: output.temporaryPath, containerFrom: output.finalPath,
                                     source: info.video, audioFrom: info.audio == nil ? nil : reader,
                                     settings: options.encoder)
        } catch {
            output.discard()
            throw PipelineError(error)
        }

        let failure = FirstError()
        // Each frame travels with the motion frame of the one before it: a worker computes the flow between them.
        let work = FrameQueue<(Int, PreparedFrame, MotionFrame?)>(capacity: threads.workers * 2)
        let temporal: TemporalSettings? = options.temporal && options.stability > 0
            ? TemporalSettings(stability: options.stability, frameWidth: networkSize.width, height: networkSize.height) : nil
        // Spare network-size input buffers, handed back by the workers to the decoder.
        let inputBuffers = FrameQueue<[Float]>(capacity: threads.workers * 4)
        // Unbounded: audio can run far past the last video frame, and the encoder
        // stage only drains it between frames. Compressed audio is small.
        let audio = FrameQueue<AudioPacket>(capacity: .max)
        let finished = ReorderBuffer<StylizedFrame>(window: threads.workers * 3, producers: threads.workers)
        let recycled = FrameQueue<[Float]>(capacity: threads.workers * 4)
        let cancelAll: @Sendable () -> Void = { work.cancel(); audio.cancel(); finished.cancel() }

        // Decoder: the only thread touching the reader. It also converts each frame to the
        // network's size and builds its flow pyramid, once per frame.
        let (reader, size) = (self.reader, networkSize)
        let readerThread = Worker(name: "stylize.decode") {
            let preparer = FramePreparer(size: size, flow: temporal?.flow)
            var sequence = 0
            var previous: MotionFrame? = nil
            defer { work.close(); audio.close() }
            while stop.state == .running {
                let item: MediaItem?
                do throws(MediaError) { item = try reader.next() } catch {
                    failure.record(PipelineError(error)); cancelAll(); return
                }
                switch item {
                case nil: return
                case .video(let frame)?:
                    let prepared: PreparedFrame
                    do throws(MediaError) { prepared = try preparer.prepare(frame, reusing: inputBuffers.tryPop()) } catch {
                        failure.record(PipelineError(error)); cancelAll(); return
                    }
                    guard work.push((sequence, prepared, previous)) else { return }
                    sequence += 1
                    previous = prepared.motion
                case .audio(let packet)?:
                    guard audio.push(packet) else { return }
                }
            }
        }

        // Stylizers: one network session each, results delivered by sequence number.
        let (model, preset, perWorker) = (self.model, options.style.preset, threads.threadsPerWorker)
        let workers = (0..<threads.workers).map { index in
            Worker(name: "stylize.worker\(index)") {
                defer { finished.producerFinished() }
                let stylizer = FrameStylizer(model: model, inputRange: preset.inputRange, size: size, threads: perWorker)
                while let (sequence, prepared, previous) = work.pop() {
                    var frame = prepared
                    do throws(PipelineError) {
                        let result = try stylizer.stylize(&frame, previous: previous, temporal: temporal,
                                                          reusing: recycled.tryPop())
                        inputBuffers.tryPush(frame.pixels)
                        guard finished.deliver(result, sequence: sequence) else { return }
                    } catch {
                        failure.record(error); cancelAll(); return
                    }
                }
            }
        }

        // Sequential stage and encoder, on this thread: frames arrive in order.
        let composer = FrameConverter()
        let blender = temporal.map { TemporalBlender(settings: $0) }
        var written = 0
        func writeAudio(waiting: Bool) throws(MediaError) {
            while let packet = waiting ? audio.pop() : audio.tryPop() { try writer.write(packet) }
        }
        do throws(MediaError) {
            while var frame = finished.next() {
                if stop.state == .aborted { break }
                blender?.blend(&frame.pixels, width: frame.width, height: frame.height, link: frame.link)
                let picture = try frame.pixels.withUnsafeBufferPointer { (buffer) throws(MediaError) in
                    try composer.compose(stylized: buffer.baseAddress!, width: frame.width, height: frame.height,
                                         original: frame.original, strength: options.style.strength,
                                         preserveColors: options.style.preserveColors)
                }
                recycled.tryPush(frame.pixels)   // a spare buffer for the workers; dropped when they have enough
                try writer.write(picture)
                try writeAudio(waiting: false)
                written += 1
                progress(VideoJobProgress(framesDone: written, framesTotal: info.video.frameCount,
                                          elapsed: Date().timeIntervalSince(start), outputBytes: writer.bytesWritten))
                // After the progress report, so a status line it sets describes this picture.
                if let preview {
                    do throws(PipelineError) { try preview.write(picture) } catch { failure.record(error); break }
                }
            }
            if failure.value == nil && stop.state != .aborted { try writeAudio(waiting: true) }
        } catch {
            failure.record(PipelineError(error))
        }
        if failure.value != nil || stop.state == .aborted { cancelAll() }
        readerThread.join()
        workers.forEach { $0.join() }
        recycled.cancel()
        inputBuffers.cancel()

        if stop.state == .aborted || failure.value != nil {
            writer.close()
            output.discard()
            throw failure.value ?? PipelineError(.aborted, "stopped; no output written")
        }
        do throws(MediaError) { try writer.finish() } catch {
            writer.close()
            output.discard()
            throw PipelineError(error)
        }
        let bytes = writer.bytesWritten
        if stop.state == .aborted {   // the second Ctrl-C came while the file was being closed
            output.discard()
            throw PipelineError(.aborted, "stopped; no output written")
        }
        try output.commit()
        let elapsed = Date().timeIntervalSince(start)
        return VideoJobSummary(framesWritten: written, framesExpected: info.video.frameCount,
                               concealedFrames: reader.concealedFrameCount,
                               inputEndedEarly: reader.readError?.message, elapsed: elapsed,
                               outputBytes: bytes, outputPath: output.finalPath,
                               interrupted: stop.state == .finishing, networkSize: networkSize, threads: threads,
                               temporalResets: blender?.resets)
    }
}

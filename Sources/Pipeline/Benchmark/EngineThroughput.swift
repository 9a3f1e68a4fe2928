import Foundation
import PresetCatalog
import StyleEngine

/// The engine-only bound for the video pipeline: the same network, thread
/// split and frame size, with no decoding, conversion or encoding. Each worker
/// runs its own session on its own copy of a fixed test image.
public struct EngineThroughput: Sendable {
    public struct Result: Sendable {
        /// Median wall time of one frame in one worker, milliseconds.
        public let millisecondsPerFrame: Double
        /// Frames finished per second by all workers together.
        public let framesPerSecond: Double
        public let frames: Int
        public let plan: ThreadPlan
    }

    public let modelPath: String
    public let size: NetworkSize
    public let plan: ThreadPlan

    /// A style bank's row weights; nil: the first row alone.
    public let styleWeights: [Float]?
    public let precision: Precision

    public init(modelPath: String, size: NetworkSize, plan: ThreadPlan, styleWeights: [Float]? = nil,
                precision: Precision = .fp32) {
        self.modelPath = modelPath
        self.size = size
        self.plan = plan
        self.styleWeights = styleWeights
        self.precision = precision
    }

    /// The inputs besides the picture: a style bank's weights (as given, or the first row's).
    private func extraInputs(of model: StyleModel) throws(PipelineError) -> [String: Tensor] {
        guard model.inputNames.dropFirst().contains(StyleBank.weightsInput) else { return [:] }
        guard let shape = model.declaredShape(ofInput: StyleBank.weightsInput), shape.count == 1, shape[0] > 0 else {
            throw PipelineError(.style, "\(modelPath): its input '\(StyleBank.weightsInput)' has no fixed length")
        }
        let weights = styleWeights ?? (0..<shape[0]).map { $0 == 0 ? 1 : 0 }
        guard weights.count == shape[0] else {
            throw PipelineError(.style, "\(modelPath) has \(shape[0]) style rows; \(weights.count) weights were given")
        }
        return [StyleBank.weightsInput: Tensor(shape: shape, data: weights)]
    }

    /// `warmup` runs per worker are not timed (they plan the graph and fault in memory).
    public func run(framesPerWorker: Int, warmup: Int = 1) throws(PipelineError) -> Result {
        let model: StyleModel
        do throws(EngineError) {
            try BLAS.load()
            model = try StyleModel(contentsOf: modelPath)
        } catch { throw PipelineError(error) }
        let extras = try extraInputs(of: model)
        // Each session splits its kernels over its own plan.threadsPerWorker
        // threads; OpenBLAS itself stays single-threaded (`BLAS.load()` sets that).
        let (w, h) = (size.width, size.height)
        // A smooth gradient with texture: content does not change the cost, only the shape does.
        var image = [Float](repeating: 0, count: 3 * w * h)
        for c in 0..<3 { for y in 0..<h { for x in 0..<w {
            image[(c * h + y) * w + x] = Float((x * (c + 1) + y * 3 + (x ^ y) % 17) % 256)
        } } }
        let failure = FirstError()
        let collected = Locked<[Double]>([])
        let warmedUp = DispatchGroup(), go = DispatchSemaphore(value: 0)
        var started = monotonicSeconds()
        let workers = (0..<plan.workers).map { index in
            warmedUp.enter()
            return Worker(name: "bench.worker\(index)") { [image] in
                let session = StyleSession(model: model, threads: plan.threadsPerWorker, precision: precision)
                var local: [Double] = []
                var ready = false
                image.withUnsafeBufferPointer { pixels in
                    do throws(EngineError) {
                        for _ in 0..<warmup {
                            _ = try session.run(image: pixels.baseAddress!, channels: 3, height: h, width: w, extraInputs: extras)
                        }
                        ready = true
                        warmedUp.leave()
                        go.wait()
                        for _ in 0..<framesPerWorker {
                            let t0 = monotonicSeconds()
                            _ = try session.run(image: pixels.baseAddress!, channels: 3, height: h, width: w, extraInputs: extras)
                            local.append((monotonicSeconds() - t0) * 1000)
                        }
                    } catch {
                        failure.record(PipelineError(error))
                        if !ready { warmedUp.leave() }   // never leave the others waiting
                    }
                }
                collected.withValue { $0 += local }
            }
        }
        warmedUp.wait()
        started = monotonicSeconds()
        for _ in workers { go.signal() }
        workers.forEach { $0.join() }
        let elapsed = monotonicSeconds() - started
        if let error = failure.value { throw error }
        let durations = collected.withValue { $0 }
        return Result(millisecondsPerFrame: median(durations), framesPerSecond: Double(durations.count) / elapsed,
                      frames: durations.count, plan: plan)
    }
}

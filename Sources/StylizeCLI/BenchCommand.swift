import ArgumentParser
import Foundation
import Pipeline

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time a style network on this machine (no video decoding or encoding).",
        discussion: """
        Prints the steady-state milliseconds per frame and, with several workers, the \
        frames per second they reach together — the upper bound for `stylize video` \
        with the same --threads/--workers.

          stylize bench Presets/starry-night/quality.onnx --size 640x480
          stylize bench model.onnx --size 1280x720 --threads 2 --workers 1 --runs 5

        With --optimization, the model is the loss network (VGG16, from scripts/fetch-loss-network.sh) \
        and the time is that of one loss-and-gradient evaluation of painting by optimization \
        (stylize image --style PICTURE) at --size:

          stylize bench ~/.local/share/stylize/models/vgg16.onnx --optimization --size 384x384
        """
    )

    @Argument(help: ArgumentHelp("The ONNX model to time.", valueName: "model.onnx"))
    var model: String

    @Option(help: ArgumentHelp("Frame size the network sees.", valueName: "WxH"))
    var size: String = "640x480"

    @Option(help: ArgumentHelp("Timed frames per worker.", valueName: "n"))
    var runs: Int = 5

    @Option(help: ArgumentHelp("CPU threads in all (default: all cores).", valueName: "n"))
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: ArgumentHelp("Frames run in parallel (default: one per thread).", valueName: "n"))
    var workers: Int?

    @Option(help: ArgumentHelp("A style bank's row weights, comma-separated (default: the first row alone).", valueName: "w,w,…"))
    var styleWeights: String?

    @Option(help: ArgumentHelp("Arithmetic of the convolutions: auto (the fastest that meets the quality bar here), fp32, bf16 or int8.",
                               valueName: "p"))
    var precision: PrecisionChoice = .fp32

    @Flag(help: "Time painting by optimization's loss and gradient with this loss network instead.")
    var optimization = false

    @Flag(name: .shortAndLong, help: "Print the OpenBLAS core, the CPU's reduced-precision instructions and the precision in use.")
    var verbose = false

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard PictureSize(parsing: size) != nil else { throw ValidationError("--size must look like 640x480") }
        if let styleWeights, parsedWeights == nil {
            throw ValidationError("--style-weights must be numbers separated by commas (got '\(styleWeights)')")
        }
    }

    private var parsedWeights: [Float]? {
        guard let styleWeights else { return nil }
        let values = styleWeights.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
        return values.allSatisfy({ $0?.isFinite == true }) && !values.isEmpty ? values.map { $0! } : nil
    }

    func run() throws {
        if optimization {
            let timing = OptimizationTiming(lossNetworkPath: model, size: PictureSize(parsing: size)!, threads: threads)
            let milliseconds = try reporting { () throws(PipelineError) in try timing.run(runs: runs) }
            print("optimization \(size) \(threads) thread\(threads == 1 ? "" : "s"): "
                  + String(format: "%.1f ms per loss and gradient", milliseconds) + " (median of \(runs))")
            return
        }
        let plan = ThreadPlan(threads: threads, workers: workers)
        let arithmetic = try reporting { () throws(PipelineError) in try precision.resolved() }
        let bench = EngineThroughput(modelPath: model, size: PictureSize(parsing: size)!, plan: plan, styleWeights: parsedWeights,
                                     precision: arithmetic)
        let result = try reporting { () throws(PipelineError) in try bench.run(framesPerWorker: runs) }
        if verbose {
            if let blas = EngineInfo.blas { print("BLAS: \(blas)") }
            print("CPU: \(CPUFeatures.current.summary); precision \(arithmetic.rawValue)")
        }
        let name = URL(fileURLWithPath: model).lastPathComponent
        print("\(name) \(size) \(plan): " + String(format: "%.1f ms/frame, %.2f fps", result.millisecondsPerFrame,
                                                      result.framesPerSecond) + " (\(result.frames) frames)")
    }
}

import ArgumentParser
import Foundation
import Pipeline
import Terminal

struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Stylize a picture (png, jpg, …) into a PNG or JPEG of the same size.",
        discussion: """
        With a preset (or an .onnx network) as the style, a trained network paints the picture \
        in a second. With any picture as the style (--style painting.jpg), the photo itself is \
        optimized until VGG16 sees the photo's content in the painting's textures (Gatys et al.): \
        minutes, not seconds, but any painting works without training. That needs the loss \
        network once: scripts/fetch-loss-network.sh. Ctrl-C writes the best picture so far.

        Examples:
          stylize image photo.jpg -o painted.jpg
          stylize image photo.png -o painted.png --style starry-night --strength 0.8
          stylize image frame.png -o big.png --max-size 2400     # finer strokes, slower
          stylize image photo.jpg -o gatys.png --style painting.jpg --iterations 300
          stylize image photo.jpg -o mix.png --style a.jpg --style b.jpg --mix 0.7,0.3
        """
    )

    @Argument(help: ArgumentHelp("The picture to stylize (anything FFmpeg reads; a video gives its first frame).", valueName: "input"))
    var input: String

    @Option(name: .shortAndLong, help: ArgumentHelp("The result, .png or .jpg.", valueName: "file"))
    var output: String

    @OptionGroup var look: LookOptions

    @Option(help: ArgumentHelp("Longest side, in pixels, that is painted (default \(ImageJobOptions.defaultMaxSize) for a network, "
                               + "\(OptimizationJobOptions(inputPath: "", outputPath: "", painting: PaintingSettings(stylePaths: [])).maxSize) when "
                               + "optimizing); the output keeps the input size.", valueName: "pixels"))
    var maxSize: Int?

    @OptionGroup(title: "Optimization (--style PICTURE)") var optimization: OptimizationOptions

    @Option(help: ArgumentHelp("CPU threads (default: all cores).", valueName: "n"))
    var threads: Int?

    @Flag(help: "Replace the output file if it exists.")
    var force = false

    @Flag(name: .shortAndLong, help: "Print no summary, only errors.")
    var quiet = false

    func run() throws {
        if !look.paintings.isEmpty { return try optimize() }
        if let flag = optimization.givenFlag {
            throw exitWithError("\(flag) is for painting by optimization, with a picture as --style")
        }
        let summary = try reporting { () throws(PipelineError) in
            var options = ImageJobOptions(inputPath: input, outputPath: output, style: try look.settings())
            options.maxSize = maxSize ?? ImageJobOptions.defaultMaxSize
            if let threads { options.threads = threads }
            options.overwrite = force
            return try ImageStylization(options: options).run()
        }
        if !quiet {
            printToStderr("Done: \(summary.width)×\(summary.height) (painted at \(summary.networkSize)) in "
                          + String(format: "%.2f s", summary.elapsed) + " → \(summary.outputPath)")
        }
    }

    private func optimize() throws {
        let job = try reporting { () throws(PipelineError) in
            var options = OptimizationJobOptions(inputPath: input, outputPath: output, painting: try optimization.painting(look))
            if let iterations = optimization.iterations { options.iterations = iterations }
            if let initFrom = optimization.initFrom { options.start = initFrom }
            if let seed = optimization.seed { options.seed = seed }
            if let maxSize { options.maxSize = maxSize }
            if let threads { options.threads = threads }
            options.overwrite = force
            return try StyleOptimization(options: options)
        }
        let stop = StopSignal()
        let interrupts = InterruptHandler(stop: stop) { [quiet] state in
            if !quiet { printToStderr(state == .finishing ? "\nStopping: writing the best picture so far (Ctrl-C again to abort)…" : "\nAborting.") }
        }
        defer { withExtendedLifetime(interrupts) {} }
        if !quiet {
            let sizes = job.sizes.map(\.description).joined(separator: " → ")
            let plan = job.iterationsPerSize.map(String.init).joined(separator: " + ")
            printToStderr("Optimizing at \(sizes), \(plan) L-BFGS iterations; this takes minutes (Ctrl-C writes the best so far).")
        }
        let bar = ProgressBar(label: "Painting", style: quiet ? .silent : nil)
        let summary = try reporting(cleanup: bar.finish) { () throws(PipelineError) in
            try job.run(stop: stop) { p in
                bar.update(done: p.done, total: p.total, elapsed: p.elapsed, unit: "iterations", rateUnit: "it/s",
                           note: "\(p.size), loss " + String(format: "%.4g", p.loss))
            }
        }
        bar.finish()
        if !quiet {
            printToStderr((summary.interrupted ? "Stopped early: " : "Done: ")
                          + "\(summary.width)×\(summary.height) after \(summary.iterations) iterations "
                          + "(\(summary.evaluations) evaluations, loss " + String(format: "%.4g", summary.loss) + ") in "
                          + ProgressBar.format(duration: summary.elapsed) + " → \(summary.outputPath)")
        }
        if summary.interrupted { throw ExitCode(130) }
    }
}

/// Settings of painting by optimization (`stylize image --style PICTURE`).
struct OptimizationOptions: ParsableArguments {
    @Option(help: ArgumentHelp("L-BFGS iterations. A picture: at its first size, each larger size half as many (default: 300). "
                               + "A video: for each frame that starts from the one before; a first frame gets 3× (default: 50).", valueName: "n"))
    var iterations: Int?

    @Option(help: ArgumentHelp("How much the painting's textures count (default: 30).", valueName: "w"))
    var styleWeight: Float?

    @Option(help: ArgumentHelp("How much the photo's content counts (default: 1).", valueName: "w"))
    var contentWeight: Float?

    @Option(help: ArgumentHelp("How large the painting is seen, relative to the picture: larger gives larger strokes (default: 1).", valueName: "factor"))
    var styleScale: Float?

    @Option(name: .customLong("init"), help: ArgumentHelp("Start from the photo (content) or from noise.", valueName: "content|noise"))
    var initFrom: OptimizationJobOptions.Start?

    @Option(help: ArgumentHelp("The noise start's seed.", valueName: "n"))
    var seed: UInt64?

    @Option(help: ArgumentHelp("One weight per --style picture, e.g. 0.7,0.3: a blend of their textures.", valueName: "w,w,…"))
    var mix: String?

    /// The first of these given, for refusing them without a picture as the style.
    var givenFlag: String? {
        [(iterations != nil, "--iterations"), (styleWeight != nil, "--style-weight"), (contentWeight != nil, "--content-weight"),
         (styleScale != nil, "--style-scale"), (initFrom != nil, "--init"), (seed != nil, "--seed"), (mix != nil, "--mix")]
            .first { $0.0 }?.1
    }

    /// The pictures of `look` as the style, with the weights given here; refuses what only a network takes.
    func painting(_ look: LookOptions) throws(PipelineError) -> PaintingSettings {
        guard look.paintings.count == look.style.count else {
            throw PipelineError(.options, "--style takes pictures or a preset, not both")
        }
        if look.strength != nil || look.variant != nil {
            throw PipelineError(.options, "--strength and --variant are for networks; with a picture as --style, use --style-weight")
        }
        var settings = PaintingSettings(stylePaths: look.paintings)
        settings.preserveColors = look.preserveColors
        if let styleWeight { settings.styleWeight = styleWeight }
        if let contentWeight { settings.contentWeight = contentWeight }
        if let styleScale { settings.styleScale = styleScale }
        if let mix { settings.mix = mix.split(separator: ",", omittingEmptySubsequences: false).map { Float($0.trimmingCharacters(in: .whitespaces)) ?? .nan } }
        return settings
    }
}

extension OptimizationJobOptions.Start: ExpressibleByArgument {}

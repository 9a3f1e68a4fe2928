import ArgumentParser
import Foundation
import Pipeline
import Terminal

struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Stylize a picture (png, jpg, …) into a PNG or JPEG of the same size.",
        discussion: """
        Examples:
          stylize image photo.jpg -o painted.jpg
          stylize image photo.png -o painted.png --style starry-night --strength 0.8
          stylize image frame.png -o big.png --max-size 2400     # finer strokes, slower
        """
    )

    @Argument(help: ArgumentHelp("The picture to stylize (anything FFmpeg reads; a video gives its first frame).", valueName: "input"))
    var input: String

    @Option(name: .shortAndLong, help: ArgumentHelp("The result, .png or .jpg.", valueName: "file"))
    var output: String

    @OptionGroup var look: LookOptions

    @Option(help: ArgumentHelp("Longest side, in pixels, that the network paints at; the output keeps the input size.", valueName: "pixels"))
    var maxSize: Int = ImageJobOptions.defaultMaxSize

    @Option(help: ArgumentHelp("CPU threads (default: all cores).", valueName: "n"))
    var threads: Int?

    @Flag(help: "Replace the output file if it exists.")
    var force = false

    @Flag(name: .shortAndLong, help: "Print no summary, only errors.")
    var quiet = false

    func run() throws {
        let summary = try reporting { () throws(PipelineError) in
            var options = ImageJobOptions(inputPath: input, outputPath: output, style: try look.settings())
            options.maxSize = maxSize
            if let threads { options.threads = threads }
            options.overwrite = force
            return try ImageStylization(options: options).run()
        }
        if !quiet {
            printToStderr("Done: \(summary.width)×\(summary.height) (painted at \(summary.networkSize)) in "
                          + String(format: "%.2f s", summary.elapsed) + " → \(summary.outputPath)")
        }
    }
}

import ArgumentParser
import Pipeline

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Learn a new style from a painting in minutes, as a new row of the style bank.",
        discussion: """
        Trains only what the painting needs (every norm's scale and shift) against the bank's \
        shared networks (the quality one, then the realtime one that paints live), with PyTorch \
        on the CPU, then installs the style in your presets folder \
        (stylize presets lists it). Needs the training environment from Stylize's source: \
        Training/setup-venv.sh, then .venv-train/bin/python Training/fetch_data.py. \
        Ctrl-C saves a checkpoint; the same command with --resume goes on.

          stylize train night-cafe.jpg --name night-cafe --title "The Night Café" --artist "Vincent van Gogh"
          stylize video clip.mp4 --style night-cafe
        """
    )

    @Argument(help: ArgumentHelp("The painting: a picture you own or that is public domain.", valueName: "painting"))
    var painting: String

    @Option(help: ArgumentHelp("The new style's name (for --style).", valueName: "name"))
    var name: String

    @Option(help: "The painting's title, for stylize presets.")
    var title: String?

    @Option(help: "The painter.")
    var artist: String?

    @Option(help: ArgumentHelp("Training steps (default: the recipe's, a few minutes on two cores).", valueName: "n"))
    var iterations: Int?

    @Flag(help: "Go on from the checkpoint an interrupted run saved.")
    var resume = false

    func run() throws {
        var options = StyleLearningOptions(paintingPath: painting, name: name)
        options.title = title
        options.artist = artist
        options.iterations = iterations
        options.resume = resume
        let learning = try reporting { () throws(PipelineError) in try StyleLearning(options: options) }
        // Ctrl-C reaches the recipe too (same terminal); a SIGTERM to this process is passed on.
        // Either way the recipe saves a checkpoint and this process ends after it, not before.
        let interrupts = InterruptHandler(stop: StopSignal()) { _ in learning.interrupt() }
        defer { withExtendedLifetime(interrupts) {} }
        let folder = try reporting { () throws(PipelineError) in try learning.run() }
        print("Installed \(name) in \(folder); use it with --style \(name)")
    }
}

import ArgumentParser
import Foundation

@main
struct Stylize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stylize",
        abstract: "Turn videos into moving paintings, on the CPU.",
        discussion: """
        A fast feed-forward style network paints every frame; the audio, frame \
        timing, size and colour metadata of the input are kept.

        Try it on the bundled sample clip with the default style:
          stylize video
        Then on your own clip:
          stylize video holiday.mp4 -o holiday-painted.mp4 --style sketch
          stylize presets            # the styles you can pick
        """,
        version: "0.1.0",
        subcommands: [VideoCommand.self, ImageCommand.self, PresetsCommand.self, BenchCommand.self, FlowCommand.self, MeasureCommand.self],
        defaultSubcommand: nil
    )
}

/// Prints one clear line on stderr and ends the process with `code`.
/// Runtime failures are not usage errors: no help text follows them.
func exitWithError(_ message: CustomStringConvertible, code: Int32 = 1) -> ExitCode {
    FileHandle.standardError.write(Data("stylize: error: \(message)\n".utf8))
    return ExitCode(code)
}

func printToStderr(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

import ArgumentParser
import Foundation
import Pipeline

@main
enum StylizeMain {
    static func main() {
        ProcessSetup.apply()
        Stylize.main()
    }
}

struct Stylize: ParsableCommand {
    /// The release number (packages take theirs from `stylize --version`).
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "stylize",
        abstract: "Turn videos into moving paintings, on the CPU.",
        discussion: """
        A fast feed-forward style network paints every frame; the audio, frame \
        timing, size and colour metadata of the input are kept.

        Try it on the bundled sample clip with the default style:
          stylize video
        Then on your own clip:
          stylize video holiday.mp4 -o holiday-painted.mp4 --style starry-night
          stylize presets            # the styles you can pick
        """,
        version: "\(version) (commit \(BuildInfo.commit))",
        subcommands: [VideoCommand.self, ImageCommand.self, CameraCommand.self, PreviewCommand.self, PlanCommand.self, JoinCommand.self, PresetsCommand.self, TrainCommand.self, BenchCommand.self, FlowCommand.self, MeasureCommand.self],
        defaultSubcommand: nil
    )
}

/// Prints one clear line on stderr and ends the process with `code`.
/// Runtime failures are not usage errors: no help text follows them.
func exitWithError(_ message: CustomStringConvertible, code: Int32 = 1) -> ExitCode {
    FileHandle.standardError.write(Data("stylize: error: \(message)\n".utf8))
    return ExitCode(code)
}

/// A library error in the command line's words: a refused value is named by its flag.
func exitWithError(_ error: PipelineError) -> ExitCode {
    let flags: [PipelineError.Setting: String] = [
        .stability: "--stability", .maxSize: "--max-size", .strength: "--strength", .threads: "--threads",
        .workers: "--workers", .quality: "--crf", .frameRate: "--fps", .pictureSize: "--size", .frameLimit: "--frames",
        .rangeStart: "--from", .rangeEnd: "--to", .warmUp: "--warm-up", .lookahead: "--lookahead", .trainingSteps: "--iterations",
        .iterations: "--iterations", .styleWeight: "--style-weight", .contentWeight: "--content-weight",
        .styleScale: "--style-scale", .styleMix: "--mix", .temporalWeight: "--temporal-weight", .precision: "--precision",
    ]
    let message: String
    switch error.setting {
    case .overwrite?: message = "\(error.message) (use --force to replace it)"
    case .destination?: message = "\(error.message) (or use --output - to write a YUV4MPEG2 stream to stdout)"
    case let setting? where error.requirement != nil && flags[setting] != nil:
        message = "\(flags[setting]!) \(error.requirement!)"
    default: message = error.message
    }
    return exitWithError(message, code: error.stage == .aborted ? 130 : 1)
}

func printToStderr(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Runs `body`, turning a library error into the command line's one line and exit status;
/// `cleanup` first gives the terminal back (progress bar, status line, raw keys, preview screen)
/// so that the line is seen.
func reporting<T>(cleanup: () -> Void = {}, _ body: () throws(PipelineError) -> T) throws -> T {
    do throws(PipelineError) { return try body() } catch {
        cleanup()
        throw exitWithError(error)
    }
}

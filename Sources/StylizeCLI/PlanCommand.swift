import ArgumentParser
import Foundation
import Pipeline
import Terminal

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Cut a video into segments to paint on several machines (a JSON plan).",
        discussion: """
        Segments start on keyframes, at a scene cut where one is near, so each can be painted \
        on its own (stylize video IN --from F --to T) and the results joined without re-encoding \
        (stylize join). Distributed/stylize-ray does all three on a Ray cluster. The same input \
        always gives the same plan.
        """
    )

    @Argument(help: "The video to cut.")
    var input: String

    @Option(help: "How many segments (fewer when the video has too few keyframes).")
    var segments: Int?

    @Option(help: ArgumentHelp("About how long each segment is.", valueName: "seconds"))
    var segmentSeconds: Double?

    @Option(help: "CPU threads each segment asks a machine for.")
    var cpus = 2

    @Flag(help: "Do not look for scene cuts near the boundaries (faster; every seam then gets warm-up frames).")
    var noSceneCuts = false

    @Option(name: .shortAndLong, help: "Write the plan here instead of to standard output.")
    var output: String?

    func validate() throws {
        if segments == nil && segmentSeconds == nil { throw ValidationError("give --segments N or --segment-seconds S") }
        if segments != nil && segmentSeconds != nil { throw ValidationError("give --segments or --segment-seconds, not both") }
    }

    func run() throws {
        var options = SegmentPlanOptions(segments: segments, segmentSeconds: segmentSeconds)
        options.cpus = cpus
        options.sceneCuts = !noSceneCuts
        let plan = try reporting { () throws(PipelineError) in try SegmentPlanner.plan(inputPath: input, options: options) }
        let text = plan.json() + "\n"
        guard let output else { print(text, terminator: ""); return }
        // A device or a pipe (/dev/stdout, a FIFO) is written into; a file is replaced atomically
        // (an atomic write renames over the target, which would replace the device itself).
        if OutputFile.isDeviceOrPipe(output), let handle = FileHandle(forWritingAtPath: output) {
            handle.write(Data(text.utf8))
            try? handle.close()
            return
        }
        do { try text.write(toFile: output, atomically: true, encoding: .utf8) } catch {
            let folder = (output as NSString).deletingLastPathComponent
            throw exitWithError("\(output): cannot write the plan" + (FileManager.default.fileExists(atPath: folder.isEmpty ? "." : folder)
                                                                     ? "" : " (its folder does not exist)"))
        }
    }
}

struct JoinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "join",
        abstract: "Join the painted segments of a plan into one video, with the original's audio.",
        discussion: """
        The segments' video is copied, not re-encoded (seconds for a film), and the original's \
        audio is added once. The result is checked against the original — every frame, at its \
        time — before it gets its name; a missing, damaged or mismatched segment is named and \
        nothing is written.
        """
    )

    @Argument(help: "The plan (stylize plan … -o PLAN); segment files are found beside it.")
    var plan: String

    @Option(name: .shortAndLong, help: "The joined video.")
    var output: String

    @Flag(help: "Replace the output file if it exists.")
    var force = false

    @Flag(name: .shortAndLong, help: "Print only errors.")
    var quiet = false

    func run() throws {
        let summary = try reporting { () throws(PipelineError) in
            try SegmentJoin(planPath: plan, outputPath: output, overwrite: force).run()
        }
        if !quiet {
            printToStderr("Joined \(summary.segments) segment\(summary.segments == 1 ? "" : "s"), \(summary.frames) frames, in "
                          + "\(String(format: "%.1f", summary.elapsed)) s → \(summary.outputPath) (\(ProgressBar.format(bytes: summary.outputBytes)))")
        }
    }
}

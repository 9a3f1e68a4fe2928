import ArgumentParser
import Foundation
import Pipeline

/// Developer command: our DIS optical flow on two raw grayscale frames, timed.
/// Used by Benchmarks/flow-vs-opencv.sh to compare against OpenCV's DIS on the same frames.
struct FlowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flow",
        abstract: "Time DIS optical flow between two raw grayscale frames (developer tool).",
        discussion: """
        The frames are raw, headerless, row-major: 8-bit gray (W×H bytes, e.g. a `.gray` \
        file) or little-endian float32 (4·W×H bytes, values 0…255); the size of the file \
        tells which. Both frames' preparation (pyramids, gradients) and the flow are each timed \
        over --runs runs after one warm-up, single-threaded, and the medians are printed. \
        --output writes the flow as raw float32: all of u, then all of v.

          stylize flow a.gray b.gray --size 640x480 --preset medium --runs 5 --output flow.bin
        """
    )

    @Argument(help: ArgumentHelp("The first frame (raw uint8 or float32 gray).", valueName: "A"))
    var first: String

    @Argument(help: ArgumentHelp("The second frame, same size and format.", valueName: "B"))
    var second: String

    @Option(help: ArgumentHelp("Frame size.", valueName: "WxH"))
    var size: String

    @Option(help: ArgumentHelp("DIS preset (OpenCV's): ultrafast, fast or medium.", valueName: "preset"))
    var preset: FlowTiming.Preset = .fast

    @Flag(help: "Use the patch distance of the temporal blend's flows, which particles (snow, rain, specks) do not drag, instead of OpenCV's SSD.")
    var trimmed = false

    @Option(help: ArgumentHelp("Timed runs (after one warm-up run).", valueName: "n"))
    var runs: Int = 5

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the flow here: raw float32, u then v.", valueName: "FLOW.bin"))
    var output: String?

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard PictureSize(parsing: size) != nil else { throw ValidationError("--size must look like 640x480") }
    }

    func run() throws {
        let size = PictureSize(parsing: self.size)!
        let timing = FlowTiming(width: size.width, height: size.height, preset: preset, trimmed: trimmed)
        let (a, b) = try reporting { () throws(PipelineError) in (try timing.readFrame(first), try timing.readFrame(second)) }
        let result = timing.run(from: a, to: b, runs: runs)
        print("flow \(size.width)x\(size.height) \(preset.rawValue)\(trimmed ? " trimmed" : ""): " + String(format: "%.2f ms (median of %d), frame prep %.2f ms for both frames",
                                                          result.flowMilliseconds, runs, result.preparationMilliseconds))
        if let output {
            var bytes = Data(capacity: 8 * size.width * size.height)
            result.u.withUnsafeBytes { bytes.append(contentsOf: $0) }
            result.v.withUnsafeBytes { bytes.append(contentsOf: $0) }
            guard FileManager.default.createFile(atPath: output, contents: bytes) else { throw exitWithError("cannot write \(output)") }
        }
    }
}

extension FlowTiming.Preset: ExpressibleByArgument {}

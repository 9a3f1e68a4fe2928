import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

@main
enum StylizeMain {
    static func main() {
        keepFreedMemoryMapped()
        Stylize.main()
    }

    /// The video pipeline frees and reallocates the same few megabyte-sized buffers every
    /// frame (flow pyramids, masks, frames in flight). glibc serves blocks that large with
    /// fresh mmaps and returns them on free, so every frame paid for zeroing new pages
    /// (≈ 5–9% of a temporal run in `perf`). Keeping them in the heap makes reuse free:
    /// measured +5–10% end-to-end fps at 640×480. Set here, in the program, not in the
    /// library: an embedding app owns its allocator policy.
    static func keepFreedMemoryMapped() {
        #if canImport(Glibc)
        // mallopt lives in <malloc.h>, which Swift's Glibc module does not import.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let (trimThreshold, mmapThreshold): (Int32, Int32) = (-1, -3)   // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
        _ = mallopt(mmapThreshold, 256 << 20)
        _ = mallopt(trimThreshold, 512 << 20)
        #endif
    }
}

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
          stylize video holiday.mp4 -o holiday-painted.mp4 --style starry-night
          stylize presets            # the styles you can pick
        """,
        version: "0.1.0",
        subcommands: [VideoCommand.self, ImageCommand.self, CameraCommand.self, PreviewCommand.self, PresetsCommand.self, BenchCommand.self, FlowCommand.self, MeasureCommand.self],
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

import ArgumentParser
import Foundation
import Pipeline

struct MeasureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measure",
        abstract: "Measure the flicker of a stylized video against the video it came from.",
        discussion: """
        Prints the warping error (Lai et al. 2018) of OUTPUT: how much each frame differs \
        from the next one moved back along the motion of INPUT, over the pixels where that \
        motion is reliable (per-channel mean squared error on 0–1 values; lower is steadier). \
        Also prints the output's mean gradient (detail/sharpness) and the input's own floor — \
        the error the input itself scores, from flow and interpolation error alone.

          stylize video in.mp4 -o a.mp4 && stylize video in.mp4 -o b.mp4 --no-temporal
          stylize measure in.mp4 a.mp4
          stylize measure in.mp4 b.mp4
        """
    )

    @Argument(help: ArgumentHelp("The original video (motion and masks come from it).", valueName: "input"))
    var input: String

    @Argument(help: ArgumentHelp("The stylized video to measure.", valueName: "output"))
    var output: String

    @Option(help: ArgumentHelp("Longest side, in pixels, the frames are compared at.", valueName: "pixels"))
    var maxSize: Int = 480

    func run() throws {
        do throws(PipelineError) {
            let m = try TemporalMeasure.measure(output: output, input: input, maxSize: maxSize)
            print("size: \(m.size), pairs: \(m.pairs)")
            print(String(format: "warping error: %.6f   (input's own floor: %.6f)", m.warpingError, m.inputWarpingError))
            print(String(format: "mean gradient: %.3f   (input: %.3f)", m.meanGradient, m.inputMeanGradient))
        } catch {
            throw exitWithError(error)
        }
    }
}

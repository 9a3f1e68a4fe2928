import ArgumentParser
import Foundation
import Pipeline
import PresetCatalog
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

    func validate() throws {
        try look.validate()
        guard maxSize >= 16 else { throw ValidationError("--max-size must be at least 16") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let preset: Preset
        do throws(PresetError) { preset = try PresetCatalog().resolve(look.style) } catch { throw exitWithError(error) }
        var options = ImageJobOptions(inputPath: input, outputPath: output, preset: preset)
        options.style = look.settings(preset: preset)
        options.maxSize = maxSize
        if let threads { options.threads = threads }
        options.overwrite = force
        let summary: ImageJobSummary
        do throws(PipelineError) {
            summary = try ImageStylization(options: options).run()
        } catch { throw exitWithError(error) }
        if !quiet {
            printToStderr("Done: \(summary.width)×\(summary.height) (painted at \(summary.networkSize)) in "
                          + String(format: "%.2f s", summary.elapsed) + " → \(summary.outputPath)")
        }
    }
}

/// The options that decide how the result looks, shared by `video` and `image`.
struct LookOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A preset name (see `stylize presets`), a preset folder, or an .onnx file.", valueName: "name|file.onnx"))
    var style: String?

    @Option(help: ArgumentHelp("How much of the style to apply, 0 (none) to 1 (full).", valueName: "0…1"))
    var strength: Float = 1

    @Flag(help: "Keep the original colours; take only light and shade from the style.")
    var preserveColors = false

    @Option(help: ArgumentHelp("Which network of the preset: quality (the full one; the default for files) or realtime "
                               + "(about 1/19 of the work, coarser strokes; the default for the camera).", valueName: "variant"))
    var variant: Preset.Variant?

    func validate() throws {
        guard (0...1).contains(strength) else { throw ValidationError("--strength must be between 0 and 1") }
    }

    /// The styles the live modes' n/p keys cycle through: the chosen one first, then every other
    /// trained preset that has the same network variant (a quality network would not keep up
    /// where a realtime one was chosen).
    func liveStyles(defaultVariant: Preset.Variant) throws(PresetError) -> [StyleSettings] {
        let catalog = PresetCatalog()
        let chosen = try catalog.resolve(style)
        let first = settings(preset: chosen, defaultVariant: defaultVariant)
        let others = catalog.all().filter { $0.name != chosen.name && !$0.isPlaceholder && $0.models[first.variant] != nil }
        return [first] + others.map { settings(preset: $0, defaultVariant: first.variant) }
    }

    /// The look these options ask for, with `preset` (and `defaultVariant` unless --variant says).
    func settings(preset: Preset, defaultVariant: Preset.Variant = .quality) -> StyleSettings {
        var settings = StyleSettings(preset: preset)
        settings.strength = strength
        settings.preserveColors = preserveColors
        settings.variant = variant ?? defaultVariant
        return settings
    }
}

extension Preset.Variant: ExpressibleByArgument {}

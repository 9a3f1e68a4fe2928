import Foundation
import ArgumentParser
import Pipeline
import Terminal

/// The options that decide how the result looks, shared by `video` and `image`.
struct LookOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A preset name (see `stylize presets`), a preset folder, or an .onnx file; "
                               + "or a blend of a style bank's presets, e.g. starry-night:0.6,great-wave:0.4. "
                               + "`stylize image` also takes any picture (.jpg, .png): painted by optimization, "
                               + "slower, with no training; repeat --style to blend pictures.", valueName: "name|file"))
    var style: [String] = []

    /// The pictures given as --style: the optimization's paintings (empty when --style names networks).
    var paintings: [String] { style.filter(Self.isPicture) }

    static func isPicture(_ path: String) -> Bool {
        ["jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff"].contains((path as NSString).pathExtension.lowercased())
    }

    @Option(help: ArgumentHelp("How much of the style to apply, 0 (none) to 1 (full: a style bank's boldest look; "
                               + "default: the preset's usual look, 1 for a plain network).", valueName: "0…1"))
    var strength: Float?

    @Flag(help: "Keep the original colours; take only light and shade from the style.")
    var preserveColors = false

    @Option(help: ArgumentHelp("Which network of the preset: quality (the full one; the default for files) or realtime "
                               + "(about 1/19 of the work, coarser strokes; the default for the camera).", valueName: "variant"))
    var variant: PresetVariant?

    @Option(help: ArgumentHelp("Arithmetic of the network's convolutions: auto (the fastest that keeps the picture, "
                               + "on this CPU), fp32, bf16 (AVX512-BF16) or int8 (AVX512-VNNI or AVX-VNNI).", valueName: "p"))
    var precision: PrecisionChoice = .auto

    /// The look these options ask for (`defaultVariant` unless --variant says).
    func settings(defaultVariant: PresetVariant = .quality) throws(PipelineError) -> StyleSettings {
        if let picture = style.first(where: Self.isPicture) {
            throw PipelineError(.options, "\(picture) is a picture: only stylize image paints with a picture as the style "
                                + "(by optimization); videos and the camera need a preset or an .onnx network")
        }
        guard style.count <= 1 else {
            throw PipelineError(.options, "--style is given \(style.count) times; blend a style bank's presets in one: "
                                + "--style \(style.joined(separator: ":0.5,")):0.5")
        }
        return try StyleSettings(style: style.first, variant: variant, defaultVariant: defaultVariant, strength: strength,
                                 preserveColors: preserveColors, precision: precision)
    }
}

extension PresetVariant: ExpressibleByArgument {}
extension PrecisionChoice: ExpressibleByArgument {}
extension PreviewMode: ExpressibleByArgument {}

/// `--preview-mode`, shared by every command that can show frames in the terminal.
struct PreviewModeOption: ParsableArguments {
    @Option(help: ArgumentHelp("How to draw in the terminal: kitty (graphics protocol), sixel, truecolor or ansi256 "
                               + "(half-blocks ▀). Default: detected from the terminal.", valueName: "mode"))
    var previewMode: PreviewMode?

    /// A preview on the terminal (stdout's, else stderr's), or the error to report.
    func sink() throws(PipelineError) -> TerminalPreviewSink {
        guard let descriptor = TerminalPreviewSink.terminalDescriptor else {
            throw PipelineError(.output, "a preview draws in a terminal, and neither stdout nor stderr is one")
        }
        return TerminalPreviewSink(mode: TerminalPreviewSink.resolvedMode(previewMode, descriptor: descriptor), descriptor: descriptor)
    }
}

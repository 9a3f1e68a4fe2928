import ArgumentParser
import Pipeline

struct PresetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "presets",
        abstract: "List the styles you can pass to --style.",
        discussion: """
        Styles are folders holding preset.json and ONNX models. They are looked for in \
        $STYLIZE_PRESETS, $XDG_DATA_HOME/stylize/presets (~/.local/share/stylize/presets), \
        and the Presets/ folder that ships with Stylize. Any .onnx file also works: --style my-model.onnx
        """
    )

    @Flag(name: .long, help: "Also print the folders searched and each model's path.")
    var verbose = false

    func run() throws {
        let presets = Styles.all()
        if presets.isEmpty {
            throw exitWithError("no style presets found (looked in \(Styles.searchPaths.joined(separator: ", ")))")
        }
        let width = presets.map(\.name.count).max() ?? 0
        for preset in presets {
            var line = preset.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + preset.title
            if let artist = preset.artist { line += " — \(artist)" }
            let variants = preset.models.keys.map(\.rawValue).sorted().joined(separator: ", ")
            line += "  [\(variants)]"
            if let look = preset.bank {
                line += look.addedRows == nil ? "  (style bank row" : "  (your row of the style bank"
                let banked = PresetVariant.allCases.filter { preset.bankLook(for: $0) != nil && preset.models[$0] != nil }
                if banked.count < preset.models.count { line += " for " + banked.map(\.rawValue).joined(separator: ", ") }
                line += look.boldRow == nil ? ")" : ", bold at --strength 1)"
            }
            if preset.isDefault { line += "  (default)" }
            print(line)
            if verbose { for (variant, path) in preset.models { print("    \(variant.rawValue): \(path)") } }
        }
        if verbose { print("\nSearched: " + Styles.searchPaths.joined(separator: ", ")) }
    }
}

import Camera
import PresetCatalog

/// A style preset: a painting's networks on disk (see `Styles`).
public typealias StylePreset = Preset
/// Which of a preset's networks: quality (the full one) or realtime (for live feeds).
public typealias PresetVariant = Preset.Variant
/// The pixel layout written to a virtual camera.
public typealias VirtualCameraFormat = LoopbackOutput.Format

/// Finding styles: preset names, preset folders and .onnx files, in the places
/// `PresetCatalog` searches.
public enum Styles {
    /// The preset `name` names (a preset, a folder or an .onnx file); nil: the default preset.
    public static func resolve(_ name: String?) throws(PipelineError) -> StylePreset {
        do throws(PresetError) { return try PresetCatalog().resolve(name) } catch { throw PipelineError(error) }
    }

    /// Every preset found, by name.
    public static func all() -> [StylePreset] { PresetCatalog().all() }

    /// The folders searched, in order.
    public static var searchPaths: [String] { PresetCatalog().searchPaths }

    /// The clip that ships with Stylize, when it is where the installation put it.
    public static func sampleClip() -> String? { PresetCatalog.sampleClip() }

    /// The styles a live feed's n/p keys cycle through: `first`, then every other trained preset
    /// with a network of the same variant (a quality network would not keep up where a realtime
    /// one was chosen), with `first`'s strength and colour choice.
    public static func cycle(startingWith first: StyleSettings) -> [StyleSettings] {
        let others = all().filter { $0.name != first.preset.name && !$0.isPlaceholder && $0.models[first.variant] != nil }
        return [first] + others.map { preset in
            var settings = first
            settings.preset = preset
            return settings
        }
    }
}

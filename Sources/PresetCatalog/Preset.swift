import Foundation

/// A style the user can pick by name: a folder holding `preset.json` and one
/// ONNX model per variant.
///
/// ```
/// Presets/starry-night/
///   preset.json      {"title": …, "models": {"quality": "quality.onnx", "realtime": "realtime.onnx"}, …}
///   quality.onnx
/// ```
public struct Preset: Sendable, Equatable {
    /// Which network of a preset to run: full quality for files, the small one for live video.
    public enum Variant: String, Sendable, CaseIterable, Codable {
        case quality, realtime
    }

    public let name: String
    public let title: String
    public let artist: String?
    public let directory: String
    /// Variant → absolute model path; at least one entry.
    public let models: [Variant: String]
    /// The value of white the network expects (255 for Johnson-style exports, 1 for 0…1 models).
    public let inputRange: Float
    /// True for stand-ins that are not trained from a painting.
    public let isPlaceholder: Bool
    public let isDefault: Bool
    /// The networks' input sides must be multiples of this for the output to match the input
    /// size (4 for two stride-2 stages, 8 for the realtime networks' three).
    public var sizeMultiple: Int = 4
    /// Set when the preset is a row of a style bank: its models are the bank's, run with the
    /// weights `BankLook.weights(strength:)` gives.
    public var bank: BankLook?

    /// The bank look that paints `variant`: nil for a plain preset, and for a variant the bank has
    /// no network of (the preset's own plain network for it runs, as `models` says).
    public func bankLook(for variant: Variant) -> BankLook? {
        guard let bank, bank.bank.models[modelVariant(variant)] != nil else { return nil }
        return bank
    }

    /// The model for `variant`, or the other variant when this preset has only one.
    public func modelPath(for variant: Variant) -> String { models[modelVariant(variant)]! }

    /// The variant whose network runs for `variant`: itself when this preset has a model for it,
    /// else the one it has.
    public func modelVariant(_ variant: Variant) -> Variant {
        models[variant] != nil ? variant : models.keys.sorted { $0.rawValue < $1.rawValue }.first!
    }

    /// A preset for a bare `.onnx` file given on the command line.
    public static func adHoc(modelPath: String, inputRange: Float = 255) -> Preset {
        let url = URL(fileURLWithPath: modelPath)
        return Preset(name: url.deletingPathExtension().lastPathComponent,
                      title: url.lastPathComponent, artist: nil,
                      directory: url.deletingLastPathComponent().path,
                      models: [.quality: url.path], inputRange: inputRange,
                      isPlaceholder: false, isDefault: false)
    }
}

/// The on-disk `preset.json`.
struct PresetManifest: Decodable {
    var title: String?
    var artist: String?
    var models: [String: String]?
    var bank: BankLookManifest?
    var inputRange: Float?
    var placeholder: Bool?
    var `default`: Bool?
    var sizeMultiple: Int?
}

import Foundation

/// One network that paints many looks (a style bank, `Training/train_bank.py`): every instance
/// norm takes its scale and shift from a bank with one row per look, mixed by the models' second
/// input, `style_weights` (one weight per row). A folder holding `bank.json` and the models:
///
/// ```
/// Presets/bank/
///   bank.json        {"rows": ["photo", "starry-night", "starry-night:bold", …],
///                     "models": {"quality": "quality.onnx", "realtime": "realtime.onnx"}, …}
/// ```
public struct StyleBank: Sendable, Equatable {
    /// The models' input that takes the mix.
    public static let weightsInput = "style_weights"

    public let directory: String
    public let rows: [String]
    /// Variant → absolute model path; at least one entry.
    public let models: [Preset.Variant: String]

    static func load(directory: String) throws(PresetError) -> StyleBank {
        let path = directory + "/bank.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PresetError(message: "\(directory): not a style bank (no bank.json)")
        }
        let manifest: BankManifest
        do {
            manifest = try JSONDecoder().decode(BankManifest.self, from: data)
        } catch {
            throw PresetError(message: "\(path): malformed style bank manifest")
        }
        guard !manifest.rows.isEmpty, Set(manifest.rows).count == manifest.rows.count else {
            throw PresetError(message: "\(path): the rows must be distinct names, at least one")
        }
        return StyleBank(directory: directory, rows: manifest.rows,
                         models: try PresetCatalog.modelPaths(manifest.models, in: directory, manifest: path))
    }

    func row(_ name: String, manifest: String) throws(PresetError) -> Int {
        guard let index = rows.firstIndex(of: name) else {
            throw PresetError(message: "\(manifest): the style bank in \(directory) has no row '\(name)'")
        }
        return index
    }
}

/// A preset that is a row of a style bank, with the rows its strength moves along:
/// 0 is the photo, `defaultStrength` the painting as the preset paints it, 1 its boldest look.
public struct BankLook: Sendable, Equatable {
    public let bank: StyleBank
    public let photoRow: Int
    public let row: Int
    /// The boldest look; nil: strengths above the default stay at `row`.
    public let boldRow: Int?
    public let defaultStrength: Float

    /// The bank's weights for `strength` (0…1): photo → row up to the default, row → bold above it.
    public func weights(strength: Float) -> [Float] {
        var weights = [Float](repeating: 0, count: bank.rows.count)
        let s = min(max(strength, 0), 1)
        if s <= defaultStrength {
            let t = defaultStrength > 0 ? s / defaultStrength : 1
            weights[photoRow] += 1 - t
            weights[row] += t
        } else if let boldRow {
            let u = (s - defaultStrength) / (1 - defaultStrength)
            weights[row] += 1 - u
            weights[boldRow] += u
        } else {
            weights[row] = 1
        }
        return weights
    }
}

struct BankManifest: Decodable {
    var rows: [String]
    var models: [String: String]
}

/// `preset.json`'s `"bank"` entry.
struct BankLookManifest: Decodable {
    /// The bank's folder, relative to the preset's.
    var folder: String
    var row: String
    var bold: String?
    var photo: String
    var strength: Float
}

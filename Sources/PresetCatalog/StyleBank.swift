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
        let manifest = try PresetCatalog.decode(BankManifest.self, at: path, missing: "\(directory): not a style bank (no bank.json)",
                                                malformed: "malformed style bank manifest")
        guard !manifest.rows.isEmpty, Set(manifest.rows).count == manifest.rows.count else {
            throw PresetError(message: "\(path): the rows must be distinct names, at least one")
        }
        return StyleBank(directory: directory, rows: manifest.rows,
                         models: try PresetCatalog.modelPaths(manifest.models, in: directory, manifest: path))
    }

    func check(row name: String, added: AddedRows?, manifest: String) throws(PresetError) {
        guard rows.contains(name) || added?.names.contains(name) == true else {
            throw PresetError(message: "\(manifest): the style bank in \(directory) has no row '\(name)'")
        }
    }
}

/// A preset that is a row of a style bank, with the rows its strength moves along:
/// 0 is the photo, `defaultStrength` the painting as the preset paints it, 1 its boldest look.
public struct BankLook: Sendable, Equatable {
    public let bank: StyleBank
    public let photoRow: String
    public let row: String
    /// The boldest look; nil: strengths above the default stay at `row`.
    public let boldRow: String?
    public let defaultStrength: Float
    /// Rows learned after the bank was exported (`stylize train`): not in `bank.rows`.
    public let addedRows: AddedRows?

    /// The rows' weights for `strength` (0…1): photo → row up to the default, row → bold above it.
    public func weights(strength: Float) -> [String: Float] {
        var weights: [String: Float] = [:]
        let s = min(max(strength, 0), 1)
        if s <= defaultStrength {
            let t = defaultStrength > 0 ? s / defaultStrength : 1
            weights[photoRow, default: 0] += 1 - t
            weights[row, default: 0] += t
        } else if let boldRow {
            let u = (s - defaultStrength) / (1 - defaultStrength)
            weights[row, default: 0] += 1 - u
            weights[boldRow, default: 0] += u
        } else {
            weights[row] = 1
        }
        return weights.filter { $0.value != 0 }
    }
}

/// Rows a user learned for a bank (`rows.json` beside the preset): their names, and per variant
/// the values to append to each of the bank's initializers (`StyleModel(contentsOf:addingRows:…)`).
public struct AddedRows: Sendable, Equatable {
    public let names: [String]
    public let parameters: [Preset.Variant: [String: [Float]]]

    static func load(path: String) throws(PresetError) -> AddedRows {
        let manifest = try PresetCatalog.decode(AddedRowsManifest.self, at: path,
                                                missing: "\(path): missing (the preset's learned rows)", malformed: "malformed rows file")
        var parameters: [Preset.Variant: [String: [Float]]] = [:]
        for (key, values) in manifest.parameters {
            guard let variant = Preset.Variant(rawValue: key) else {
                throw PresetError(message: "\(path): unknown variant '\(key)' (use quality or realtime)")
            }
            guard !values.isEmpty, values.values.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isFinite) }) else {
                throw PresetError(message: "\(path): the \(key) rows are empty or not finite numbers")
            }
            parameters[variant] = values
        }
        guard !manifest.rows.isEmpty, !parameters.isEmpty else {
            throw PresetError(message: "\(path): names no rows, or gives no parameters")
        }
        return AddedRows(names: manifest.rows, parameters: parameters)
    }
}

struct AddedRowsManifest: Decodable {
    var rows: [String]
    var parameters: [String: [String: [Float]]]
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
    /// A file of rows learned for this preset (`stylize train`), relative to the preset's folder.
    var rows: String?
}

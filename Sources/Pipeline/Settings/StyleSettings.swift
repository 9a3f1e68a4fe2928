import PresetCatalog
import StyleEngine

/// How the result should look — the same for a video, a still or a live feed: which
/// network, and how it is mixed with the original.
public struct StyleSettings: Sendable {
    /// The style, or the first of a blend.
    public var preset: Preset
    /// A blend of styles of one style bank (`--style a:0.6,b:0.4`): every part with its weight,
    /// `preset` first; empty for a single style.
    public var blend: [(preset: Preset, weight: Float)] = []
    public var variant: Preset.Variant = .quality
    /// 0 = the original, 1 = fully stylized: for a style bank, the boldest look it learned (the
    /// preset's default strength is its usual look); for a plain network, a fade toward the original.
    public var strength: Float = 1
    /// Take only the stylized luminance; keep the original colours.
    public var preserveColors = false
    /// The arithmetic of the network's convolutions (one this CPU supports: `PrecisionChoice.resolved`).
    public var precision: Precision = .fp32

    public init(preset: Preset, variant: Preset.Variant = .quality) {
        self.preset = preset
        self.variant = variant
        strength = preset.bankLook(for: variant)?.defaultStrength ?? 1
    }

    /// The style bank look that paints: the preset's, when the bank has a network of `variant`.
    var look: BankLook? { preset.bankLook(for: variant) }

    func validate() throws(PipelineError) {
        try PipelineError.Setting.strength.check(strength, in: 0...1)
    }

    /// Loads OpenBLAS (correcting its CPU detection) and the chosen network (a style bank's
    /// with the rows the styles learned after it was exported).
    func loadModel() throws(PipelineError) -> StyleModel {
        do throws(EngineError) {
            try BLAS.load()
            let path = preset.modelPath(for: variant)
            let added = try addedRowParameters()
            return added.isEmpty ? try StyleModel(contentsOf: path)
                : try StyleModel(contentsOf: path, addingRows: added, weightsInput: StyleBank.weightsInput)
        } catch { throw PipelineError(error) }
    }

    /// The styles' looks, each with its share: the blend's parts, or the one preset.
    private var parts: [(look: BankLook, share: Float)] {
        let all = blend.isEmpty ? [(preset: preset, weight: Float(1))] : blend
        let total = all.reduce(0) { $0 + $1.weight }
        return all.compactMap { part in part.preset.bankLook(for: variant).map { ($0, part.weight / total) } }
    }

    /// The bank's rows as the loaded network has them: the exported ones, then those the styles added.
    var bankRows: [String] {
        guard let bank = look?.bank else { return [] }
        var rows = bank.rows
        for part in parts { for name in part.look.addedRows?.names ?? [] where !rows.contains(name) { rows.append(name) } }
        return rows
    }

    /// Per bank initializer, the values of every added row, in `bankRows`' order.
    private func addedRowParameters() throws(EngineError) -> [String: [Float]] {
        var values: [String: [Float]] = [:], seen = Set(look?.bank.rows ?? [])
        for part in parts {
            guard let added = part.look.addedRows, !added.names.allSatisfy(seen.contains) else { continue }
            guard let parameters = added.parameters[preset.modelVariant(variant)] else {
                throw EngineError("the style '\(added.names.joined(separator: ", "))' was learned for the "
                                  + "\(added.parameters.keys.map(\.rawValue).sorted().joined(separator: " and ")) network only, not \(variant.rawValue)")
            }
            for (name, rows) in parameters { values[name, default: []] += rows }
            seen.formUnion(added.names)
        }
        return values
    }

    /// The network's inputs besides the picture at `strength`: a style bank's row weights.
    func modelInputs(strength: Float) -> [String: Tensor] {
        guard look != nil else { return [:] }
        let rows = bankRows
        var weights = [Float](repeating: 0, count: rows.count)
        for part in parts {
            for (name, w) in part.look.weights(strength: strength) {
                if let index = rows.firstIndex(of: name) { weights[index] += w * part.share }
            }
        }
        return [StyleBank.weightsInput: Tensor(shape: [weights.count], data: weights)]
    }

    /// Whether a frame can be painted as a mix of this look and `other`: both rows of one loaded
    /// style bank (the same network, the same rows).
    func mixes(with other: StyleSettings) -> Bool {
        look != nil && other.look != nil && variant == other.variant
            && preset.modelPath(for: variant) == other.preset.modelPath(for: other.variant) && bankRows == other.bankRows
    }

    /// The inputs of a frame on its way from `other`'s look to this one (`progress` 0…1), for
    /// styles that `mixes(with:)`.
    func modelInputs(strength: Float, fadingFrom other: StyleSettings, progress: Float) -> [String: Tensor] {
        var inputs = modelInputs(strength: strength)
        guard let from = other.modelInputs(strength: strength)[StyleBank.weightsInput],
              var to = inputs[StyleBank.weightsInput], from.data.count == to.data.count else { return inputs }
        for i in to.data.indices { to.data[i] = progress * to.data[i] + (1 - progress) * from.data[i] }
        inputs[StyleBank.weightsInput] = to
        return inputs
    }

    /// How much of the network's picture is mixed over the original at `strength`: a style
    /// bank's strength is in its weights, a plain network's is this fade.
    func fade(strength: Float) -> Float { look == nil ? strength : 1 }

    /// A short name for status lines: the preset's, or the blend's parts with their weights.
    public var name: String {
        blend.isEmpty ? preset.name : blend.map { "\($0.preset.name):\(Self.format($0.weight))" }.joined(separator: ",")
    }

    private static func format(_ value: Float) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%g", value)
    }
}

extension StyleSettings {
    /// The look `style` names (nil: the default preset), with `variant` or else `defaultVariant`;
    /// `strength` nil: the preset's default. `style` may be a blend of one style bank's presets,
    /// `name:weight,name:weight…`.
    public init(style: String?, variant: PresetVariant?, defaultVariant: PresetVariant = .quality,
                strength: Float? = nil, preserveColors: Bool = false, precision: PrecisionChoice = .fp32) throws(PipelineError) {
        let variant = variant ?? defaultVariant
        let parts = try Self.blendParts(style, variant: variant)
        let first: Preset
        if let part = parts.first { first = part.preset } else { first = try Styles.resolve(style) }
        self.init(preset: first, variant: variant)
        if parts.count > 1 { blend = parts }
        if let strength { self.strength = strength }
        self.preserveColors = preserveColors
        self.precision = try precision.resolved()
    }

    /// The parts of `name:weight,…` (empty when `style` is not a blend), checked: every part a
    /// preset of one style bank that has a `variant` network, weights not negative with a positive sum.
    static func blendParts(_ style: String?, variant: Preset.Variant) throws(PipelineError) -> [(preset: Preset, weight: Float)] {
        guard let style, style.contains(",") || style.range(of: #":[0-9.]+$"#, options: .regularExpression) != nil else {
            return []
        }
        var parts: [(preset: Preset, weight: Float)] = []
        for item in style.split(separator: ",", omittingEmptySubsequences: false) {
            let text = String(item)
            var name = text, weight: Float = 1
            if let colon = text.lastIndex(of: ":") {
                guard let value = Float(text[text.index(after: colon)...]), value.isFinite, value >= 0 else {
                    throw PipelineError(.style, "'\(text)' in the style blend '\(style)': the weight after ':' must be a number ≥ 0")
                }
                name = String(text[..<colon])
                weight = value
            }
            guard !name.isEmpty else { throw PipelineError(.style, "the style blend '\(style)' has an empty name") }
            parts.append((try Styles.resolve(name), weight))
        }
        guard parts.count > 1 else { return parts }
        guard parts.reduce(0, { $0 + $1.weight }) > 0 else {
            throw PipelineError(.style, "the weights of the style blend '\(style)' must add up to more than 0")
        }
        let banks = Set(parts.map { $0.preset.bank?.bank.directory })
        if let plain = parts.first(where: { $0.preset.bank == nil }) {
            throw PipelineError(.style, "'\(plain.preset.name)' cannot be blended: only styles of a style bank mix (its network is a plain one)")
        }
        if let plain = parts.first(where: { $0.preset.bankLook(for: variant) == nil }) {
            throw PipelineError(.style, "'\(plain.preset.name)' cannot be blended with the \(variant.rawValue) network: "
                                + "its style bank has no \(variant.rawValue) network (the quality one blends)")
        }
        guard banks.count == 1 else {
            throw PipelineError(.style, "the styles of the blend '\(style)' come from different style banks")
        }
        return parts
    }
}

import PresetCatalog
import StyleEngine

/// How the result should look — the same for a video, a still or a live feed: which
/// network, and how it is mixed with the original.
public struct StyleSettings: Sendable {
    public var preset: Preset
    public var variant: Preset.Variant = .quality
    /// 0 = the original, 1 = fully stylized.
    public var strength: Float = 1
    /// Take only the stylized luminance; keep the original colours.
    public var preserveColors = false

    public init(preset: Preset) {
        self.preset = preset
    }

    func validate() throws(PipelineError) {
        try PipelineError.Setting.strength.check(strength, in: 0...1)
    }

    /// Loads OpenBLAS (correcting its CPU detection) and the chosen network.
    func load() throws(PipelineError) -> FramePipeline.Style {
        do throws(EngineError) {
            try BLAS.load()
            return FramePipeline.Style(settings: self, model: try StyleModel(contentsOf: preset.modelPath(for: variant)))
        } catch { throw PipelineError(error) }
    }
}

extension StyleSettings {
    /// The look `style` names (nil: the default preset), with `variant` or else `defaultVariant`.
    public init(style: String?, variant: PresetVariant?, defaultVariant: PresetVariant = .quality,
                strength: Float = 1, preserveColors: Bool = false) throws(PipelineError) {
        self.init(preset: try Styles.resolve(style))
        self.variant = variant ?? defaultVariant
        self.strength = strength
        self.preserveColors = preserveColors
    }
}

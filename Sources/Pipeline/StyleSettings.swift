import PresetCatalog
import StyleEngine

/// How the result should look — the same for a video, a still or (later) a
/// live feed: which network, and how it is mixed with the original.
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
        guard (0...1).contains(strength) else {
            throw PipelineError(.options, "--strength must be between 0 and 1 (got \(strength))")
        }
    }

    /// Loads OpenBLAS (correcting its CPU detection) and the chosen network.
    func loadModel() throws(PipelineError) -> StyleModel {
        do throws(EngineError) {
            try BLAS.load()
            return try StyleModel(contentsOf: preset.modelPath(for: variant))
        } catch { throw PipelineError(error) }
    }
}

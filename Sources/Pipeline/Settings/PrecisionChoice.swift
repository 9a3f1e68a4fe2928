import StyleEngine

/// The arithmetic of the network's convolutions (see `StyleEngine.Precision`).
public typealias Precision = StyleEngine.Precision
/// What this CPU offers the reduced-precision kernels.
public typealias CPUFeatures = StyleEngine.CPUFeatures

/// A precision as asked for: one by name, or `auto`, the fastest that meets the quality bar
/// on this CPU.
public enum PrecisionChoice: String, CaseIterable, Sendable {
    case auto, fp32, bf16, int8

    /// The precision to run on `cpu`; a named one this CPU lacks is an error.
    public func resolved(cpu: CPUFeatures = .current) throws(PipelineError) -> Precision {
        switch self {
        case .auto: return Self.fastest(on: cpu)
        case .fp32, .bf16, .int8:
            let precision = Precision(rawValue: rawValue)!
            if let refusal = cpu.refusal(of: precision) { throw .invalid(.precision, refusal) }
            return precision
        }
    }

    /// int8 where the CPU has VNNI (either form): the presets keep ≥ 43 dB PSNR against fp32 in it and run
    /// about 1.5× as fast (docs/precision.md). bf16 never: through AVX512-BF16 dot products it
    /// measured slower than fp32 (VDPBF16PS issues at a quarter of FMA's rate per instruction).
    static func fastest(on cpu: CPUFeatures) -> Precision {
        cpu.supports(.int8) ? .int8 : .fp32
    }
}

import StyleEngine

/// What the engine runs on, for `--verbose` lines.
public enum EngineInfo {
    /// The BLAS library and core in use, and who chose the core; nil when it does not load.
    public static var blas: String? {
        guard let blas = try? BLAS.load() else { return nil }
        let how = blas.coreTypeFromUser ? "set by OPENBLAS_CORETYPE"
            : (blas.requestedCore.map { "chosen by Stylize's CPU check, asked for \($0)" } ?? "OpenBLAS's own detection")
        return "\(blas.library), core \(blas.corename) (\(how))"
    }

    /// "int8 (this CPU: AVX512-BF16, AVX512-VNNI)": what the convolutions run, and what the CPU offers.
    public static func describe(_ precision: Precision, cpu: CPUFeatures = .current) -> String {
        "\(precision.rawValue) (this CPU: \(cpu.summary))"
    }
}

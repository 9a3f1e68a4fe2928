import CKernels

/// The arithmetic of a session's convolutions. Everything else (instance norm, activations,
/// residual adds, the transforms around the multiplications) stays in fp32.
public enum Precision: String, CaseIterable, Sendable {
    /// fp32 throughout, through OpenBLAS.
    case fp32
    /// Weights and activations rounded to bfloat16 at the multiplication, fp32 sums (AVX512-BF16).
    case bf16
    /// Weights quantized per output channel, activations per multiplication from their own range
    /// (no calibration), int32 sums (AVX512-VNNI).
    case int8
}

/// The instructions the reduced-precision kernels need, as this CPU reports them (and the
/// OS enables: CPUID and XGETBV; AMX also the kernel's permission).
public struct CPUFeatures: Sendable, Equatable {
    public var avx512BF16: Bool
    public var avx512VNNI: Bool
    /// AVX-VNNI: the 256-bit VEX form (Alder Lake and later cores without AVX-512).
    public var avxVNNI: Bool
    public var amxBF16: Bool
    public var amxInt8: Bool

    public init(avx512BF16: Bool = false, avx512VNNI: Bool = false, avxVNNI: Bool = false, amxBF16: Bool = false,
                amxInt8: Bool = false) {
        self.avx512BF16 = avx512BF16
        self.avx512VNNI = avx512VNNI
        self.avxVNNI = avxVNNI
        self.amxBF16 = amxBF16
        self.amxInt8 = amxInt8
    }

    /// This machine's, read once.
    public static let current: CPUFeatures = {
        let f = stylize_cpu_features_get()!.pointee
        return CPUFeatures(avx512BF16: f.avx512_bf16 != 0, avx512VNNI: f.avx512_vnni != 0, avxVNNI: f.avx_vnni != 0,
                           amxBF16: f.amx_bf16 != 0, amxInt8: f.amx_int8 != 0)
    }()

    /// Whether `precision` has a kernel on this CPU (fp32 always does).
    public func supports(_ precision: Precision) -> Bool {
        switch precision {
        case .fp32: return true
        case .bf16: return avx512BF16
        case .int8: return avx512VNNI || avxVNNI
        }
    }

    /// Why `precision` cannot run here ("int8 needs AVX512-VNNI or AVX-VNNI, which this CPU does
    /// not report (it has …)"), or nil when it can.
    public func refusal(of precision: Precision) -> String? {
        guard !supports(precision) else { return nil }
        return "\(precision.rawValue) needs \(precision == .bf16 ? "AVX512-BF16" : "AVX512-VNNI or AVX-VNNI"), "
            + "which this CPU does not report (it has \(summary))"
    }

    /// What it offers, for `--verbose`: "AVX512-BF16, AVX512-VNNI; no AMX".
    public var summary: String {
        let names = [(avx512BF16, "AVX512-BF16"), (avx512VNNI, "AVX512-VNNI"), (avxVNNI, "AVX-VNNI"), (amxBF16, "AMX-BF16"),
                     (amxInt8, "AMX-INT8")]
        let present = names.filter(\.0).map(\.1)
        return present.isEmpty ? "no BF16, VNNI or AMX instructions" : present.joined(separator: ", ")
    }
}

/// The kernel a session's weight multiplications run (resolved from a `Precision` once, at
/// the session's start). The portable kernels compute the same packed formats in plain C:
/// slow, for checking the formats on CPUs without the instructions.
enum GEMMArithmetic: Equatable, Sendable {
    case fp32
    case bf16(portable: Bool)
    case int8(Int8Kernel)

    enum Int8Kernel: Equatable, Sendable {
        /// VPDPBUSD on zmm (AVX512-VNNI).
        case avx512
        /// VPDPBUSD on ymm (AVX-VNNI, for CPUs without AVX-512).
        case avx2
        case portable
    }

    init(_ precision: Precision, cpu: CPUFeatures) throws(EngineError) {
        if let refusal = cpu.refusal(of: precision) { throw EngineError(refusal) }
        switch precision {
        case .fp32: self = .fp32
        case .bf16: self = .bf16(portable: false)
        case .int8: self = .int8(cpu.avx512VNNI ? .avx512 : .avx2)
        }
    }
}

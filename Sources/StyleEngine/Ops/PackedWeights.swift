import CKernels
import Foundation

/// Constant weights — `count` matrices of `rows` × `columns`, the left operand of a convolution's
/// GEMMs — packed once, when a plan is made, for a reduced-precision kernel (CKernels).
final class PackedWeights: @unchecked Sendable {
    let arithmetic: GEMMArithmetic
    let rows: Int, columns: Int, count: Int
    private let matrixBytes: Int
    private let storage: UnsafeMutableRawPointer

    /// nil for fp32, which multiplies the weights as they are.
    init?(_ arithmetic: GEMMArithmetic, weights: UnsafePointer<Float>, rows: Int, columns: Int, count: Int = 1) {
        let (m, k) = (Int32(rows), Int32(columns))
        switch arithmetic {
        case .fp32: return nil
        case .bf16: matrixBytes = Self.aligned(stylize_bf16_packed_count(m, k) * 2)
        case .int8: matrixBytes = Self.aligned(stylize_int8_packed_bytes(m, k))
        }
        self.arithmetic = arithmetic
        (self.rows, self.columns, self.count) = (rows, columns, count)
        var memory: UnsafeMutableRawPointer?
        guard posix_memalign(&memory, 64, max(64, matrixBytes * count)) == 0, let memory else {
            fatalError("out of memory packing \(count)×\(rows)×\(columns) weights")
        }
        storage = memory
        for index in 0..<count {
            let source = weights + index * rows * columns, destination = memory + index * matrixBytes
            switch arithmetic {
            case .fp32: break
            case .bf16: stylize_bf16_pack_a(m, k, source, k, destination.assumingMemoryBound(to: UInt16.self))
            case .int8: stylize_int8_pack_a(m, k, source, k, destination)
            }
        }
    }

    deinit { free(storage) }

    private static func aligned(_ bytes: Int) -> Int { (bytes + 63) / 64 * 64 }

    /// C (rows × n, ldc) = W[matrix]·B (+ C when `accumulate`), B fp32 (columns × n, ldb).
    @inline(__always)
    func multiply(matrix: Int = 0, n: Int, b: UnsafePointer<Float>, ldb: Int, accumulate: Bool,
                  c: UnsafeMutablePointer<Float>, ldc: Int) {
        let a = storage + matrix * matrixBytes
        let (m, k, n) = (Int32(rows), Int32(columns), Int32(n))
        switch arithmetic {
        case .fp32: break
        case .bf16(let portable):
            stylize_gemm_bf16(portable ? STYLIZE_BF16_PORTABLE : STYLIZE_BF16_AVX512, m, n, k,
                              a.assumingMemoryBound(to: UInt16.self), b, Int32(ldb), accumulate ? 1 : 0, c, Int32(ldc))
        case .int8(let kernel):
            stylize_gemm_int8(kernel.choice, m, n, k, a, b, Int32(ldb), accumulate ? 1 : 0, c, Int32(ldc))
        }
    }

    /// The packed form of matrix 0, for a kernel that multiplies it by something other than an fp32 B.
    func withStorage<Result>(_ body: (UnsafeRawPointer) -> Result) -> Result { body(storage) }
}

extension GEMMArithmetic.Int8Kernel {
    /// CKernels' name for it.
    var choice: stylize_int8_kernel {
        switch self {
        case .avx512: STYLIZE_INT8_AVX512_VNNI
        case .avx2: STYLIZE_INT8_AVX_VNNI
        case .portable: STYLIZE_INT8_PORTABLE
        }
    }
}

/// C = W·B + beta·C (beta 0 or 1) for a convolution's weights W (m × k at `a`, or `packed`
/// when the session runs a reduced precision) and its fp32 activations B.
@inline(__always)
func multiplyWeights(_ packed: PackedWeights?, matrix: Int = 0, m: Int, n: Int, k: Int,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    if let packed {
        packed.multiply(matrix: matrix, n: n, b: b, ldb: ldb, accumulate: beta != 0, c: c, ldc: ldc)
    } else {
        sgemm(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}

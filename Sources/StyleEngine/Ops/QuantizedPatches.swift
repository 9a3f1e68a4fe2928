import CKernels
import Foundation

/// A convolution's patch matrix (im2col) as the int8 GEMM reads it without writing it out
/// (CKernels' `stylize_gemm_int8_patches`): each call quantizes the padded rows its output rows
/// read and gathers its panels from those bytes. The border — the convolution's own zeros, or a
/// folded Pad's reflection — is a map from padded rows and columns to the image's.
/// With a few output channels (`Reader.direct`), the rows are quantized four channels to a word
/// and convolved directly (`stylize_conv_int8_direct`), without a GEMM.
final class QuantizedPatches: @unchecked Sendable {
    enum Reader { case gemm, direct }
    let geometry: PatchGeometry
    let reader: Reader
    private let rowSource: UnsafeMutablePointer<Int32>, columnSource: UnsafeMutablePointer<Int32>
    /// What the C kernel reads; a constant, read by several threads at once (passed by value, never inout).
    private let layout: stylize_int8_patches

    init(_ g: PatchGeometry, channels: Int, reader: Reader = .gemm, border: PadOperator.Mode = .constant, fill: Float = 0) {
        geometry = g
        self.reader = reader
        let rows = (g.gridHeight - 1) * g.strideH + (g.kernelHeight - 1) * g.dilationH + 1
        let columns = (g.gridWidth - 1) * g.strideW + (g.kernelWidth - 1) * g.dilationW + 1
        rowSource = .allocate(capacity: rows)
        columnSource = .allocate(capacity: columns)
        for y in 0..<rows { rowSource[y] = Int32(Padding.source(y - g.padTop, size: g.imageHeight, mode: border)) }
        for x in 0..<columns { columnSource[x] = Int32(Padding.source(x - g.padLeft, size: g.imageWidth, mode: border)) }
        layout = stylize_int8_patches(
            channels: Int32(channels), height: Int32(g.imageHeight), width: Int32(g.imageWidth),
            kernel_height: Int32(g.kernelHeight), kernel_width: Int32(g.kernelWidth),
            stride_height: Int32(g.strideH), stride_width: Int32(g.strideW),
            dilation_height: Int32(g.dilationH), dilation_width: Int32(g.dilationW),
            grid_width: Int32(g.gridWidth), padded_width: Int32(columns), pad_left: Int32(g.padLeft),
            row_source: UnsafePointer(rowSource), column_source: UnsafePointer(columnSource), fill: fill)
    }

    deinit {
        rowSource.deallocate()
        columnSource.deallocate()
    }

    /// Grid rows per call whose codes stay around `targetBytes` (at least one row).
    func rowsPerTile(targetBytes: Int = 1 << 20) -> Int {
        var rows = 1
        while rows < geometry.gridHeight && codesBytes(gridRows: rows + 1) <= targetBytes { rows += 1 }
        return rows
    }

    /// Bytes of codes a call for `gridRows` output rows quantizes into.
    func codesBytes(gridRows: Int) -> Int {
        withUnsafePointer(to: layout) {
            switch reader {
            case .gemm: stylize_int8_patch_codes_bytes($0, Int32(gridRows))
            case .direct: stylize_int8_direct_codes_bytes($0, Int32(gridRows))
            }
        }
    }

    /// C (weights.rows × rows.count·gridWidth, ldc) = weights · the patch matrix of `image`'s output `rows`, plus `bias`.
    func multiply(_ weights: PackedWeights, rows: Range<Int>, image: UnsafePointer<Float>, codes: UnsafeMutableRawPointer,
                  bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard case .int8(let kernel) = weights.arithmetic, reader == .gemm else {
            preconditionFailure("the int8 GEMM reads rows quantized for it")
        }
        weights.withStorage { a in
            withUnsafePointer(to: layout) {
                stylize_gemm_int8_patches(kernel.choice, Int32(weights.rows), Int32(rows.lowerBound), Int32(rows.count), a,
                                          image, $0, codes.assumingMemoryBound(to: UInt8.self), bias, c, Int32(ldc))
            }
        }
    }
}

extension QuantizedPatches {
    /// C (weights.outputs × rows.count·gridWidth, ldc) = the convolution of `image`'s output `rows`, plus `bias`.
    func convolve(_ weights: DirectWeights, rows: Range<Int>, image: UnsafePointer<Float>, codes: UnsafeMutableRawPointer,
                  bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(reader == .direct, "direct weights convolve rows quantized for them")
        withUnsafePointer(to: layout) {
            stylize_conv_int8_direct(weights.kernel.choice, Int32(weights.outputs), Int32(rows.lowerBound), Int32(rows.count),
                                     weights.storage, image, $0, codes.assumingMemoryBound(to: UInt8.self), bias, c, Int32(ldc))
        }
    }

    /// The weights of a direct convolution (`reader == .direct`), packed once.
    final class DirectWeights: @unchecked Sendable {
        /// Output channels the kernel takes at most.
        static let maximumOutputs = 4
        let outputs: Int
        let kernel: GEMMArithmetic.Int8Kernel
        fileprivate let storage: UnsafeMutableRawPointer

        /// `weights`: [outputs][channels][kernelHeight][kernelWidth].
        init(_ weights: UnsafePointer<Float>, outputs: Int, channels: Int, kernelHeight: Int, kernelWidth: Int,
             kernel: GEMMArithmetic.Int8Kernel) {
            precondition(outputs <= Self.maximumOutputs, "a direct int8 convolution has at most \(Self.maximumOutputs) outputs")
            self.outputs = outputs
            self.kernel = kernel
            let (m, c, kh, kw) = (Int32(outputs), Int32(channels), Int32(kernelHeight), Int32(kernelWidth))
            var memory: UnsafeMutableRawPointer?
            guard posix_memalign(&memory, 64, max(64, stylize_int8_direct_weights_bytes(m, c, kh, kw))) == 0, let memory else {
                fatalError("out of memory packing \(outputs)×\(channels)×\(kernelHeight)×\(kernelWidth) weights")
            }
            storage = memory
            stylize_int8_direct_pack_weights(m, c, kh, kw, weights, memory)
        }

        deinit { free(storage) }
    }
}

import CKernels
import Foundation

/// A convolution's patch matrix (im2col) as the int8 GEMM reads it without writing it out
/// (CKernels' `stylize_gemm_int8_patches`): each call quantizes the padded rows its output rows
/// read and gathers its panels from those bytes. The border — the convolution's own zeros, or a
/// folded Pad's reflection — is a map from padded rows and columns to the image's.
final class QuantizedPatches: @unchecked Sendable {
    let geometry: PatchGeometry
    private let rowSource: UnsafeMutablePointer<Int32>, columnSource: UnsafeMutablePointer<Int32>
    /// What the C kernel reads; a constant, read by several threads at once (passed by value, never inout).
    private let layout: stylize_int8_patches

    init(_ g: PatchGeometry, channels: Int, border: PadOperator.Mode = .constant, fill: Float = 0) {
        geometry = g
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
        withUnsafePointer(to: layout) { stylize_int8_patch_codes_bytes($0, Int32(gridRows)) }
    }

    /// C (weights.rows × rows.count·gridWidth, ldc) = weights · the patch matrix of `image`'s output `rows`, plus `bias`.
    func multiply(_ weights: PackedWeights, rows: Range<Int>, image: UnsafePointer<Float>, codes: UnsafeMutableRawPointer,
                  bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard case .int8(let kernel) = weights.arithmetic else { preconditionFailure("patches are an int8 path") }
        weights.withStorage { a in
            withUnsafePointer(to: layout) {
                stylize_gemm_int8_patches(kernel.choice, Int32(weights.rows), Int32(rows.lowerBound), Int32(rows.count), a,
                                          image, $0, codes.assumingMemoryBound(to: UInt8.self), bias, c, Int32(ldc))
            }
        }
    }
}

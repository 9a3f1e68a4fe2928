import CKernels

/// Winograd F(4×4, 3×3) convolution for 3×3, stride-1, undilated, ungrouped
/// Conv (any padding).
///
/// Each 4×4 block of outputs (a tile) is computed from the 6×6 input patch
/// under it as Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A: 36 multiplications per input/output
/// channel pair instead of 144, so about a quarter of im2col's arithmetic.
/// The matrices come from the interpolation points 0, 1, −1, 1/2, −2 and ∞
/// rather than the usual 0, ±1, ±2, ∞: in float32 their rounding error is
/// about 3.5 times smaller (~5e-5 against ~2e-4 absolute on 128 random
/// channels in ±1), for a few more additions in the transforms.
/// Summed over the input channels, the 36 element-wise products become 36
/// matrix products, one per position ξ in the 6×6 transformed tile:
///
///     M[ξ] (K × tiles) = U[ξ] (K × C) · V[ξ] (C × tiles)
///
/// with U the filters transformed once when the kernel is built, V the
/// transformed input tiles and M the products, which the output transform
/// turns back into 4×4 pixels (plus bias).
///
/// Tiles are numbered row-major over the output and processed in blocks of
/// at most `blockTiles`, so V and M (36·(C + K)·blockTiles floats) stay
/// around 1.6 MB per thread. Blocks are independent: they are the tasks that threads
/// share, and their size does not depend on the thread count.
struct WinogradConvolutionKernel: PadReading {
    let inputChannels: Int      // C
    let outputChannels: Int     // K
    let inputHeight: Int, inputWidth: Int
    let outputHeight: Int, outputWidth: Int
    let padTop: Int, padLeft: Int
    let padBottom: Int, padRight: Int
    /// What the padding holds: the fill value (the convolution's own zeros) or, for a Pad
    /// folded in, the input's reflected or repeated edge.
    let border: PadOperator.Mode, fill: Float
    let hasBias: Bool
    let tilesY: Int, tilesX: Int
    /// Tiles per block (the last block may have fewer) and the number of blocks.
    let blockTiles: Int, blockCount: Int
    /// Row stride of V and M: room for the 15 values past a row's last tile that the transforms
    /// write and read (whole vectors of 16 tiles), in whole cache lines.
    let rowStride: Int
    /// Distance between the V matrices of consecutive ξ, and between the M
    /// matrices: a multiple of 4 KB plus one cache line, so that the 36
    /// streams the transforms read or write do not all fall into the same
    /// L1 sets (with 128 channels, C·rowStride alone is often a multiple of 4 KB).
    let inputXiStride: Int, productXiStride: Int
    /// Longest run of tiles in one tile row within a block, rounded up to 4.
    let segmentCapacity: Int
    /// U: [36][K][C].
    let filters: TensorStorage<Float>
    /// `filters` packed for a reduced-precision session (bf16; nil: fp32).
    let packedFilters: PackedWeights?
    /// The instructions the transforms run on (C, CKernels' winograd_transforms).
    let vectors: stylize_vector_kernel
    /// For every padded column the tiles read (4·tilesX + 2) and the 15 after, which the input
    /// transform's vectors may touch: the input column, or -1 for the fill.
    let columnSource: [Int32]

    /// Floats of V plus M per thread that blocks are sized for (about 1.6 MB).
    static let blockBudget = 400 * 1024

    /// `weights` is the Conv's W, [K, C, 3, 3].
    init(inputChannels: Int, outputChannels: Int, inputHeight: Int, inputWidth: Int,
         padTop: Int, padLeft: Int, padBottom: Int, padRight: Int,
         weights: UnsafePointer<Float>, hasBias: Bool, blockBudget: Int = Self.blockBudget,
         vectors: stylize_vector_kernel = stylize_vector_kernel_best()) {
        self.init(inputChannels: inputChannels, outputChannels: outputChannels, inputHeight: inputHeight, inputWidth: inputWidth,
                  padTop: padTop, padLeft: padLeft, padBottom: padBottom, padRight: padRight,
                  filters: Self.transformFilters(weights, outputChannels: outputChannels, inputChannels: inputChannels),
                  hasBias: hasBias, blockBudget: blockBudget, vectors: vectors)
    }

    /// `filters` is W already transformed by `transformFilters`.
    init(inputChannels: Int, outputChannels: Int, inputHeight: Int, inputWidth: Int,
         padTop: Int, padLeft: Int, padBottom: Int, padRight: Int,
         border: PadOperator.Mode = .constant, fill: Float = 0,
         filters: TensorStorage<Float>, packedFilters: PackedWeights? = nil, hasBias: Bool,
         blockBudget: Int = Self.blockBudget, vectors: stylize_vector_kernel = stylize_vector_kernel_best()) {
        precondition(filters.count == 36 * outputChannels * inputChannels, "transformed filters of the wrong size")
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.padTop = padTop
        self.padLeft = padLeft
        self.padBottom = padBottom
        self.padRight = padRight
        self.border = border
        self.fill = fill
        self.hasBias = hasBias
        outputHeight = inputHeight + padTop + padBottom - 2
        outputWidth = inputWidth + padLeft + padRight - 2
        tilesY = (outputHeight + 3) / 4
        tilesX = (outputWidth + 3) / 4
        let tileCount = tilesY * tilesX
        // A multiple of 32 tiles: OpenBLAS's sgemm runs these shapes at full
        // speed (measured here: with 128 channels, 32 tiles ≈ 250 GFLOP/s,
        // 64–72 tiles ≈ 180–200); more only where the channels are few.
        let perTile = 36 * (inputChannels + outputChannels)
        let multiple = max(1, min(4, blockBudget / (perTile * 32)))
        blockTiles = min(32 * multiple, tileCount)
        blockCount = (tileCount + blockTiles - 1) / blockTiles
        rowStride = (blockTiles + 15 + 15) / 16 * 16
        inputXiStride = Self.staggered(inputChannels * rowStride)
        productXiStride = Self.staggered(outputChannels * rowStride)
        segmentCapacity = (min(blockTiles, tilesX) + 3) / 4 * 4
        self.filters = filters
        self.packedFilters = packedFilters
        self.vectors = vectors
        columnSource = (0..<(4 * tilesX + 17)).map { Int32(Padding.source($0 - padLeft, size: inputWidth, mode: border)) }
    }

    /// `floats` rounded up to a multiple of 4 KB, plus 64 bytes.
    static func staggered(_ floats: Int) -> Int { (floats + 1023) / 1024 * 1024 + 16 }

    /// This convolution reading `padding`'s input instead of its output: the Pad's border becomes
    /// the convolution's own. Nil where the convolution pads too, or the Pad's border cannot be folded.
    func readingThrough(_ padding: Padding) -> (any Kernel)? {
        guard padTop == 0, padLeft == 0, padBottom == 0, padRight == 0,
              let b = padding.spatialBorder(channels: inputChannels, height: inputHeight, width: inputWidth)
        else { return nil }
        return WinogradConvolutionKernel(
            inputChannels: inputChannels, outputChannels: outputChannels, inputHeight: b.imageHeight, inputWidth: b.imageWidth,
            padTop: b.top, padLeft: b.left, padBottom: b.bottom, padRight: b.right, border: b.mode, fill: b.fill,
            filters: filters, packedFilters: packedFilters, hasBias: hasBias, vectors: vectors)
    }

    /// U[ξ = 6a + b][k][c] = (G g Gᵀ)[a][b] for g = W[k][c], computed in double.
    static func transformFilters(_ weights: UnsafePointer<Float>, outputChannels: Int, inputChannels: Int) -> TensorStorage<Float> {
        let g: [[Double]] = [
            [1, 0, 0],
            [1.0 / 3, 1.0 / 3, 1.0 / 3],
            [-1.0 / 3, 1.0 / 3, -1.0 / 3],
            [-16.0 / 15, -8.0 / 15, -4.0 / 15],
            [1.0 / 15, -2.0 / 15, 4.0 / 15],
            [0, 0, 1],
        ]
        let pairs = outputChannels * inputChannels
        let result = TensorStorage<Float>(count: 36 * pairs, repeating: 0)
        var left = [Double](repeating: 0, count: 18)  // G g: 6×3
        for pair in 0..<pairs {
            let w = weights + pair * 9
            for a in 0..<6 {
                for j in 0..<3 {
                    left[a * 3 + j] = g[a][0] * Double(w[j]) + g[a][1] * Double(w[3 + j]) + g[a][2] * Double(w[6 + j])
                }
            }
            for a in 0..<6 {
                for b in 0..<6 {
                    let value = left[a * 3] * g[b][0] + left[a * 3 + 1] * g[b][1] + left[a * 3 + 2] * g[b][2]
                    result.pointer[(a * 6 + b) * pairs + pair] = Float(value)
                }
            }
        }
        return result
    }

    // MARK: Scratch layout (per thread)

    private var transformedInputCount: Int { 36 * inputXiStride }
    private var productCount: Int { 36 * productXiStride }
    /// The input transform's own (the 6 rows transformed along y).
    private var columnTransformCount: Int { stylize_winograd_input_scratch(Int32(segmentCapacity)) }

    var scratchCount: Int {
        transformedInputCount + productCount + columnTransformCount
    }

    // MARK: Running

    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>) {
        run(inputs: inputs, outputs: outputs, scratch: scratch, parallel: .serial)
    }

    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>,
             parallel: ParallelContext) {
        parallel.run(Blocks(kernel: self, input: inputs[0], bias: hasBias ? inputs[2] : nil, output: outputs[0],
                            scratch: scratch, parallel: parallel))
    }

    /// One run's tasks: the tile blocks.
    private struct Blocks: ParallelWork {
        let kernel: WinogradConvolutionKernel
        let input: UnsafePointer<Float>, bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>
        let scratch: UnsafeMutablePointer<Float>
        let parallel: ParallelContext

        var taskCount: Int { kernel.blockCount }

        func run(task: Int, thread: Int) {
            kernel.runBlock(task, input: input, bias: bias, output: output, scratch: parallel.scratch(scratch, thread: thread))
        }
    }

    /// Tiles `first..<end` lie in tile rows; calls body(tile row, first tile column, tile count, offset in block).
    @inline(__always)
    private func forEachSegment(_ first: Int, _ end: Int, _ body: (Int, Int, Int, Int) -> Void) {
        var tile = first
        while tile < end {
            let (row, column) = tile.quotientAndRemainder(dividingBy: tilesX)
            let count = min(tilesX - column, end - tile)
            body(row, column, count, tile - first)
            tile += count
        }
    }

    private func runBlock(_ block: Int, input: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                          output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let first = block * blockTiles
        let end = min(first + blockTiles, tilesY * tilesX)
        let tileCount = end - first
        let transformed = scratch
        let products = transformed + transformedInputCount
        let columnTransform = products + productCount
        let (c, k) = (inputChannels, outputChannels)

        columnSource.withUnsafeBufferPointer { columnSource in
            for channel in 0..<c {
                let plane = input + channel * inputHeight * inputWidth
                forEachSegment(first, end) { row, column, count, offset in
                    transformInput(plane: plane, tileRow: row, firstColumn: column, count: count,
                                   destination: transformed + channel * rowStride + offset, xiStride: inputXiStride,
                                   columnSource: columnSource.baseAddress!, columnTransform: columnTransform)
                }
            }
        }
        for xi in 0..<36 {
            multiplyWeights(packedFilters, matrix: xi, m: k, n: tileCount, k: c, a: filters.pointer + xi * k * c, lda: c,
                            b: transformed + xi * inputXiStride, ldb: rowStride,
                            beta: 0, c: products + xi * productXiStride, ldc: rowStride)
        }
        let outputArea = outputHeight * outputWidth
        for channel in 0..<k {
            let shift = bias?[channel] ?? 0
            forEachSegment(first, end) { row, column, count, offset in
                transformOutput(products + channel * rowStride + offset, xiStride: productXiStride, shift: shift,
                                plane: output + channel * outputArea, tileRow: row, firstColumn: column, count: count)
            }
        }
    }

    /// Transforms `count` tiles of one channel: V[ξ][t] = (Bᵀ d B)[ξ], written at
    /// destination + ξ·xiStride + t. The rows are read in place; the border (`border`, `fill`)
    /// comes through `columnSource`, or a whole row of the fill above or below a constant border.
    @inline(__always)
    private func transformInput(plane: UnsafePointer<Float>, tileRow: Int, firstColumn: Int, count: Int,
                                destination: UnsafeMutablePointer<Float>, xiStride: Int,
                                columnSource: UnsafePointer<Int32>, columnTransform: UnsafeMutablePointer<Float>) {
        let y0 = 4 * tileRow - padTop
        @inline(__always) func row(_ r: Int) -> UnsafePointer<Float>? {
            let y = Padding.source(y0 + r, size: inputHeight, mode: border)
            return y >= 0 ? plane + y * inputWidth : nil
        }
        var rows = stylize_winograd_rows(
            rows: (row(0), row(1), row(2), row(3), row(4), row(5)), first_column: Int32(4 * firstColumn),
            pad_left: Int32(padLeft), width: Int32(inputWidth), column_source: columnSource, fill: fill)
        stylize_winograd_input(vectors, &rows, Int32(count), columnTransform, destination, xiStride)
    }

    /// Turns the products of `count` tiles of one output channel (M[ξ] at
    /// products + ξ·xiStride) into 4×4 pixels plus `shift`, clipped to the output.
    @inline(__always)
    private func transformOutput(_ products: UnsafePointer<Float>, xiStride: Int, shift: Float,
                                 plane: UnsafeMutablePointer<Float>, tileRow: Int, firstColumn: Int, count: Int) {
        let y0 = 4 * tileRow, x0 = 4 * firstColumn
        stylize_winograd_output(vectors, products, xiStride, Int32(count), shift, plane + y0 * outputWidth + x0, outputWidth,
                                Int32(min(4, outputHeight - y0)), Int32(min(4 * count, outputWidth - x0)))
    }
}

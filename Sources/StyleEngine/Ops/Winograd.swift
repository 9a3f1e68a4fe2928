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
struct WinogradConvolutionKernel: Kernel {
    let inputChannels: Int      // C
    let outputChannels: Int     // K
    let inputHeight: Int, inputWidth: Int
    let outputHeight: Int, outputWidth: Int
    let padTop: Int, padLeft: Int
    let hasBias: Bool
    let tilesY: Int, tilesX: Int
    /// Tiles per block (the last block may have fewer) and the number of blocks.
    let blockTiles: Int, blockCount: Int
    /// Row stride of V and M: blockTiles rounded so that 4-wide stores past a
    /// row's last tile stay inside the row.
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

    /// Floats of V plus M per thread that blocks are sized for (about 1.6 MB).
    static let blockBudget = 400 * 1024

    /// `weights` is the Conv's W, [K, C, 3, 3].
    init(inputChannels: Int, outputChannels: Int, inputHeight: Int, inputWidth: Int,
         padTop: Int, padLeft: Int, padBottom: Int, padRight: Int,
         weights: UnsafePointer<Float>, hasBias: Bool, blockBudget: Int = Self.blockBudget) {
        self.init(inputChannels: inputChannels, outputChannels: outputChannels, inputHeight: inputHeight, inputWidth: inputWidth,
                  padTop: padTop, padLeft: padLeft, padBottom: padBottom, padRight: padRight,
                  filters: Self.transformFilters(weights, outputChannels: outputChannels, inputChannels: inputChannels),
                  hasBias: hasBias, blockBudget: blockBudget)
    }

    /// `filters` is W already transformed by `transformFilters`.
    init(inputChannels: Int, outputChannels: Int, inputHeight: Int, inputWidth: Int,
         padTop: Int, padLeft: Int, padBottom: Int, padRight: Int,
         filters: TensorStorage<Float>, packedFilters: PackedWeights? = nil, hasBias: Bool,
         blockBudget: Int = Self.blockBudget) {
        precondition(filters.count == 36 * outputChannels * inputChannels, "transformed filters of the wrong size")
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.padTop = padTop
        self.padLeft = padLeft
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
        rowStride = (blockTiles + 3 + 3) / 4 * 4
        inputXiStride = Self.staggered(inputChannels * rowStride)
        productXiStride = Self.staggered(outputChannels * rowStride)
        segmentCapacity = (min(blockTiles, tilesX) + 3) / 4 * 4
        self.filters = filters
        self.packedFilters = packedFilters
    }

    /// `floats` rounded up to a multiple of 4 KB, plus 64 bytes.
    static func staggered(_ floats: Int) -> Int { (floats + 1023) / 1024 * 1024 + 16 }

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
    /// Floats of one input row segment: 4 per tile, plus the 2 the last tile
    /// reads past its 4 (rounded up to 4).
    private var spanCapacity: Int { 4 * segmentCapacity + 4 }
    /// Input rows copied with their padding (only at the image's edges): 6 spans.
    private var rowBufferCount: Int { 6 * spanCapacity }
    /// The 6 rows transformed along y: 6 spans.
    private var columnTransformCount: Int { 6 * spanCapacity }
    /// One group of 4 tiles' output pixels, for groups that are clipped: 4 rows of 16.
    private var outputGroupCount: Int { 64 }

    var scratchCount: Int {
        transformedInputCount + productCount + rowBufferCount + columnTransformCount + outputGroupCount
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
        let rowBuffers = products + productCount
        let columnTransform = rowBuffers + rowBufferCount
        let outputGroup = columnTransform + columnTransformCount
        let (c, k) = (inputChannels, outputChannels)

        for channel in 0..<c {
            let plane = input + channel * inputHeight * inputWidth
            forEachSegment(first, end) { row, column, count, offset in
                transformInput(plane: plane, tileRow: row, firstColumn: column, count: count,
                               destination: transformed + channel * rowStride + offset, xiStride: inputXiStride,
                               rowBuffers: rowBuffers, columnTransform: columnTransform)
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
                                plane: output + channel * outputArea, tileRow: row, firstColumn: column, count: count,
                                outputGroup: outputGroup)
            }
        }
    }

    /// Transforms `count` tiles of one channel: V[ξ][t] = (Bᵀ d B)[ξ], written at
    /// destination + ξ·xiStride + t (4-wide, so up to 3 floats past the last tile).
    /// Along y first, straight from the image rows (contiguous, no shuffles);
    /// rows that reach into the padding are copied with zeros first.
    @inline(__always)
    private func transformInput(plane: UnsafePointer<Float>, tileRow: Int, firstColumn: Int, count: Int,
                                destination: UnsafeMutablePointer<Float>, xiStride: Int,
                                rowBuffers: UnsafeMutablePointer<Float>, columnTransform: UnsafeMutablePointer<Float>) {
        let groups = (count + 3) / 4
        let span = 16 * groups + 4  // input columns read, from x0
        let capacity = spanCapacity
        let x0 = 4 * firstColumn - padLeft
        // The image columns the span covers: [lower, upper) of it.
        let lower = min(max(-x0, 0), span), upper = max(min(inputWidth - x0, span), lower)
        let y0 = 4 * tileRow - padTop
        @inline(__always) func row(_ r: Int) -> UnsafePointer<Float> {
            let y = y0 + r
            let inside = y >= 0 && y < inputHeight
            if inside && lower == 0 && upper == span { return plane + y * inputWidth + x0 }
            let buffer = rowBuffers + r * capacity
            if inside && upper > lower {
                buffer.update(repeating: 0, count: lower)
                (buffer + lower).update(from: plane + y * inputWidth + x0 + lower, count: upper - lower)
                (buffer + upper).update(repeating: 0, count: span - upper)
            } else {
                buffer.update(repeating: 0, count: span)
            }
            return UnsafePointer(buffer)
        }
        let r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3), r4 = row(4), r5 = row(5)
        // Along y: Bᵀd for every column of the span.
        var x = 0
        while x < span {
            let t = inputTransform(load4(r0 + x), load4(r1 + x), load4(r2 + x), load4(r3 + x), load4(r4 + x), load4(r5 + x))
            store6(t, columnTransform + x, stride: capacity)
            x += 4
        }
        // Along x, 4 tiles at once (lane = tile): (Bᵀd)B.
        for xiY in 0..<6 {
            let source = columnTransform + xiY * capacity
            let out = destination + 6 * xiY * xiStride
            for group in 0..<groups {
                let p = source + 16 * group
                let a = load4(p), b = load4(p + 4), c = load4(p + 8), d = load4(p + 12), e = load4(p + 16)
                // Lane = tile: d0…d3 from the 16 floats of tiles j…j+3, d4 and d5 one tile on.
                let (d0, d1, d2, d3) = transpose4(a, b, c, d)
                let (d4, d5) = firstTwoTransposed(b, c, d, e)
                let t = inputTransform(d0, d1, d2, d3, d4, d5)
                let j = 4 * group
                store6(t, out + j, stride: xiStride)
            }
        }
    }

    /// Turns the products of `count` tiles of one output channel (M[ξ] at
    /// products + ξ·xiStride) into 4×4 pixels plus `shift`, clipped to the output.
    /// The bias goes in through ξ = (1, 1): Aᵀ's column 1 is all ones, so
    /// Aᵀ(b·e₁e₁ᵀ)A adds b to all 16 pixels.
    @inline(__always)
    private func transformOutput(_ products: UnsafePointer<Float>, xiStride: Int, shift: Float,
                                 plane: UnsafeMutablePointer<Float>, tileRow: Int, firstColumn: Int, count: Int,
                                 outputGroup: UnsafeMutablePointer<Float>) {
        let bias = SIMD4<Float>(repeating: shift)
        let y0 = 4 * tileRow
        let fullRows = y0 + 4 <= outputHeight
        let top = plane + y0 * outputWidth
        for group in 0..<(count + 3) / 4 {
            let j = 4 * group
            // Along x for each ξy: q[ξy][ox], lane = tile.
            @inline(__always) func alongX(_ xiY: Int) -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
                let base = products + 6 * xiY * xiStride + j
                let m1 = xiY == 1 ? load4(base + xiStride) + bias : load4(base + xiStride)
                return outputTransform(load4(base), m1, load4(base + 2 * xiStride),
                                       load4(base + 3 * xiStride), load4(base + 4 * xiStride), load4(base + 5 * xiStride))
            }
            let q0 = alongX(0), q1 = alongX(1), q2 = alongX(2), q3 = alongX(3), q4 = alongX(4), q5 = alongX(5)
            // Along y for each ox: column ox of the 4×4 outputs, as (row 0, row 1, row 2, row 3).
            let c0 = outputTransform(q0.0, q1.0, q2.0, q3.0, q4.0, q5.0)
            let c1 = outputTransform(q0.1, q1.1, q2.1, q3.1, q4.1, q5.1)
            let c2 = outputTransform(q0.2, q1.2, q2.2, q3.2, q4.2, q5.2)
            let c3 = outputTransform(q0.3, q1.3, q2.3, q3.3, q4.3, q5.3)
            let x = 4 * (firstColumn + j)
            // Lane = tile, element = ox: transposed, each store is one tile's 4 pixels of a row.
            if fullRows && j + 4 <= count && x + 16 <= outputWidth {
                storeTransposed((c0.0, c1.0, c2.0, c3.0), top + x)
                storeTransposed((c0.1, c1.1, c2.1, c3.1), top + outputWidth + x)
                storeTransposed((c0.2, c1.2, c2.2, c3.2), top + 2 * outputWidth + x)
                storeTransposed((c0.3, c1.3, c2.3, c3.3), top + 3 * outputWidth + x)
                continue
            }
            // A group clipped by the segment or the image: through a buffer, writing only its own pixels
            // (the next pixels may belong to a block another thread is writing).
            storeTransposed((c0.0, c1.0, c2.0, c3.0), outputGroup)
            storeTransposed((c0.1, c1.1, c2.1, c3.1), outputGroup + 16)
            storeTransposed((c0.2, c1.2, c2.2, c3.2), outputGroup + 32)
            storeTransposed((c0.3, c1.3, c2.3, c3.3), outputGroup + 48)
            let length = min(4 * min(4, count - j), outputWidth - x)
            for oy in 0..<min(4, outputHeight - y0) {
                (top + oy * outputWidth + x).update(from: outputGroup + 16 * oy, count: length)
            }
        }
    }
}

// MARK: 4-wide helpers

@inline(__always)
private func load4(_ pointer: UnsafePointer<Float>) -> SIMD4<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD4<Float>.self)
}

@inline(__always)
private func load4(_ pointer: UnsafeMutablePointer<Float>) -> SIMD4<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD4<Float>.self)
}

@inline(__always)
private func store4(_ vector: SIMD4<Float>, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: vector, as: SIMD4<Float>.self)
}

/// The 4×4 matrix with rows a, b, c, d, transposed: its columns. Written
/// with even/odd halves, which LLVM turns into shuffles (building vectors
/// lane by lane left some arithmetic scalar).
@inline(__always)
private func transpose4(_ a: SIMD4<Float>, _ b: SIMD4<Float>, _ c: SIMD4<Float>, _ d: SIMD4<Float>)
    -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
    let ab = SIMD8(lowHalf: a, highHalf: b), cd = SIMD8(lowHalf: c, highHalf: d)
    let even = SIMD8(lowHalf: ab.evenHalf, highHalf: cd.evenHalf)  // a0 a2 b0 b2 c0 c2 d0 d2
    let odd = SIMD8(lowHalf: ab.oddHalf, highHalf: cd.oddHalf)     // a1 a3 b1 b3 c1 c3 d1 d3
    return (even.evenHalf, odd.evenHalf, even.oddHalf, odd.oddHalf)
}

/// The first two columns of the matrix with rows a, b, c, d.
@inline(__always)
private func firstTwoTransposed(_ a: SIMD4<Float>, _ b: SIMD4<Float>, _ c: SIMD4<Float>, _ d: SIMD4<Float>)
    -> (SIMD4<Float>, SIMD4<Float>) {
    let ab = SIMD8(lowHalf: a, highHalf: b), cd = SIMD8(lowHalf: c, highHalf: d)
    return (SIMD8(lowHalf: ab.evenHalf, highHalf: cd.evenHalf).evenHalf,
            SIMD8(lowHalf: ab.oddHalf, highHalf: cd.oddHalf).evenHalf)
}

/// Stores v.0…v.5 at pointer, pointer + stride, …, pointer + 5·stride.
@inline(__always)
private func store6(_ v: (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>),
                    _ pointer: UnsafeMutablePointer<Float>, stride: Int) {
    store4(v.0, pointer)
    store4(v.1, pointer + stride)
    store4(v.2, pointer + 2 * stride)
    store4(v.3, pointer + 3 * stride)
    store4(v.4, pointer + 4 * stride)
    store4(v.5, pointer + 5 * stride)
}

/// Stores the 4×4 matrix whose columns are v.0…v.3 row by row (16 floats).
@inline(__always)
private func storeTransposed(_ v: (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>), _ pointer: UnsafeMutablePointer<Float>) {
    let t = transpose4(v.0, v.1, v.2, v.3)
    store4(t.0, pointer)
    store4(t.1, pointer + 4)
    store4(t.2, pointer + 8)
    store4(t.3, pointer + 12)
}

/// Bᵀ d for the 6 points of a tile (one per argument), 4 tiles at once.
@inline(__always)
private func inputTransform(_ d0: SIMD4<Float>, _ d1: SIMD4<Float>, _ d2: SIMD4<Float>,
                            _ d3: SIMD4<Float>, _ d4: SIMD4<Float>, _ d5: SIMD4<Float>)
    -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
    // Bᵀ = [1 −3/2 −2  3/2 1 0; 0 −1 1/2 5/2 1 0; 0 1 −5/2 1/2 1 0; 0 −2 −1 2 1 0; 0 1/2 −1 −1/2 1 0; 0 1 −3/2 −2 3/2 1]
    let d31 = d3 - d1, d42 = d4 - d2
    return (d0 + d4 - 2 * d2 + 1.5 * d31,
            (d4 - d1) + 0.5 * d2 + 2.5 * d3,
            (d4 + d1) - 2.5 * d2 + 0.5 * d3,
            d42 + 2 * d31,
            d42 - 0.5 * d31,
            (d1 + d5) - 2 * d3 + 1.5 * d42)
}

/// Aᵀ m for the 6 transformed points (one per argument): the 4 outputs, 4 tiles at once.
@inline(__always)
private func outputTransform(_ m0: SIMD4<Float>, _ m1: SIMD4<Float>, _ m2: SIMD4<Float>,
                             _ m3: SIMD4<Float>, _ m4: SIMD4<Float>, _ m5: SIMD4<Float>)
    -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
    // Aᵀ = [1 1 1 1 1 0; 0 1 −1 1/2 −2 0; 0 1 1 1/4 4 0; 0 1 −1 1/8 −8 1]
    let s12 = m1 + m2, d12 = m1 - m2
    return (m0 + s12 + m3 + m4,
            d12 + 0.5 * m3 - 2 * m4,
            s12 + 0.25 * m3 + 4 * m4,
            d12 + 0.125 * m3 - 8 * m4 + m5)
}

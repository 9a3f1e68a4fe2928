import CKernels

/// Nearest ×2 upsampling, a one-pixel border and a 3×3 convolution run as
/// one kernel on the low-resolution image (what Johnson-style decoders do:
/// Resize ×2 → reflection Pad 1 → Conv 3×3). The planner fuses the three
/// steps into this kernel when it is exactly equivalent (see Fusion.swift).
///
/// Why it works. Let x be the H×W input and U its ×2 nearest upsampling
/// (U[i] = x[i/2]). A one-pixel reflect (or edge) border around U repeats
/// U's first and last rows, which are x's first and last rows; so the padded
/// image P (2H+2 rows) is P[a] = E[(a + 1) / 2], where E is x with a one-pixel
/// *edge* border (H+2 rows: E[0] = x[0], E[p] = x[p−1], E[H+1] = x[H−1]).
/// With a zero border around U instead (Conv pads = 1, no Pad), E has a zero
/// border the same way. The same holds for columns.
///
/// A 3×3 tap i on output row oy = 2m + py reads P[oy + i] = E[m + py + t]
/// with t = 0 for taps {0} (py = 0) or {0, 1} (py = 1), and t = 1 for taps
/// {1, 2} (py = 0) or {2} (py = 1). So each of the four output phases
/// (py, px) is a 2×2 convolution of E whose weights are sums of the 3×3
/// ones, and a 2×2 window at (a, b) of E serves output (2a − py, 2b − px) of
/// phase (py, px). One sgemm of the [4K × 4C] phase weights with the 2×2
/// im2col of E ((H+1)·(W+1) windows) computes all four phases: 4·C·K
/// multiply-adds per output pixel instead of 9·C·K, and neither the upsampled
/// nor the padded image is ever stored.
struct UpsampleConvKernel: Kernel {
    /// What surrounds the low-resolution image.
    enum Border: Equatable {
        /// The edge pixels repeat (a reflect or edge Pad of the upsampled image).
        case edge
        /// A constant (a constant Pad, or the convolution's own zero padding).
        case constant(Float)
    }

    let channels: Int
    let outputChannels: Int
    /// The low-resolution input; the output is 2·height × 2·width.
    let height: Int
    let width: Int
    let border: Border
    let hasBias: Bool
    let relu: Bool
    /// Window rows (of the height + 1) per column tile.
    let rowsPerTile: Int
    /// The phase weights packed for a reduced-precision session (nil: fp32, from the input).
    let packedWeights: PackedWeights?
    /// int8: the bordered image's 2×2 patches, gathered from quantized rows instead of the im2col.
    let patches: QuantizedPatches?
    /// The instructions the phases are interleaved with (CKernels' interleave_columns).
    let vectors = stylize_vector_kernel_best()

    init(channels: Int, outputChannels: Int, height: Int, width: Int, border: Border, hasBias: Bool, relu: Bool = false,
         packedWeights: PackedWeights? = nil, targetFloats: Int = 1 << 19) {
        self.channels = channels
        self.outputChannels = outputChannels
        self.height = height
        self.width = width
        self.border = border
        self.hasBias = hasBias
        self.relu = relu
        self.packedWeights = packedWeights
        let floatsPerRow = max(1, 4 * (channels + outputChannels) * (width + 1))
        rowsPerTile = max(1, min(height + 1, targetFloats / floatsPerRow))
        if case .int8 = packedWeights?.arithmetic {
            // E: the image with a one-pixel border, read by 2×2 windows at (height + 1) × (width + 1).
            let geometry = PatchGeometry(imageHeight: height, imageWidth: width, gridHeight: height + 1, gridWidth: width + 1,
                                         kernelHeight: 2, kernelWidth: 2, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1,
                                         padTop: 1, padLeft: 1)
            patches = switch border {
            case .edge: QuantizedPatches(geometry, channels: channels, border: .edge)
            case .constant(let value): QuantizedPatches(geometry, channels: channels, border: .constant, fill: value)
            }
        } else {
            patches = nil
        }
    }

    /// The same kernel with a ReLU applied to its output.
    func withReLU() -> UpsampleConvKernel {
        UpsampleConvKernel(channels: channels, outputChannels: outputChannels, height: height, width: width,
                           border: border, hasBias: hasBias, relu: true, packedWeights: packedWeights)
    }

    /// The [4K × 4C] phase weights from 3×3 weights [K, C, 3, 3]: row (py, px, k), column (c, t, u).
    static func phaseWeights(_ weights: UnsafePointer<Float>, outputChannels: Int, channels: Int) -> TensorStorage<Float> {
        // Taps of the 3×3 kernel that land on window offset t for phase p.
        let taps: [[ClosedRange<Int>]] = [[0...0, 1...2], [0...1, 2...2]]
        let reduction = 4 * channels
        let result = TensorStorage<Float>(count: 4 * outputChannels * reduction, repeating: 0)
        for py in 0..<2 {
            for px in 0..<2 {
                for k in 0..<outputChannels {
                    let row = result.pointer + ((py * 2 + px) * outputChannels + k) * reduction
                    for c in 0..<channels {
                        let kernel = weights + (k * channels + c) * 9
                        for t in 0..<2 {
                            for u in 0..<2 {
                                var sum = 0.0
                                for i in taps[py][t] { for j in taps[px][u] { sum += Double(kernel[i * 3 + j]) } }
                                row[(c * 2 + t) * 2 + u] = Float(sum)
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    private var gridWidth: Int { width + 1 }

    /// The columns (or int8's codes), then the results.
    var scratchCount: Int { columnsCount + 4 * outputChannels * rowsPerTile * gridWidth }

    private var columnsCount: Int {
        max(4 * channels * rowsPerTile * gridWidth, ((patches?.codesBytes(gridRows: rowsPerTile) ?? 0) + 3) / 4)
    }

    /// Inputs: the image [1, C, H, W], the phase weights, the bias [K] when there is one.
    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>) {
        for tile in 0..<tileCount { runTile(tile, inputs: inputs, output: outputs[0], scratch: scratch) }
    }

    /// Tiles of window rows; each writes its own output rows, so tiles may run in parallel.
    var tileCount: Int { (height + rowsPerTile) / rowsPerTile }

    /// Window rows tile·rowsPerTile ..< (tile + 1)·rowsPerTile: im2col, one sgemm, scatter.
    func runTile(_ tile: Int, inputs: [UnsafePointer<Float>], output: UnsafeMutablePointer<Float>,
                 scratch: UnsafeMutablePointer<Float>) {
        let first = tile * rowsPerTile
        let rows = first..<min(first + rowsPerTile, height + 1)
        let reduction = 4 * channels
        let tileWidth = rows.count * gridWidth
        let columns = scratch, results = scratch + columnsCount
        if let patches, let packedWeights {
            patches.multiply(packedWeights, rows: rows, image: inputs[0], codes: UnsafeMutableRawPointer(columns), bias: nil,
                             c: results, ldc: tileWidth)
        } else {
            fillColumns(inputs[0], rows: rows, columns: columns)
            multiplyWeights(packedWeights, m: 4 * outputChannels, n: tileWidth, k: reduction, a: inputs[1], lda: reduction,
                            b: columns, ldb: tileWidth, beta: 0, c: results, ldc: tileWidth)
        }
        scatter(results, rows: rows, bias: hasBias ? inputs[2] : nil, output: output)
    }

    /// The 2×2 im2col of the bordered image: row (c, t, u), column (a − rows.lowerBound, b),
    /// entry E[c][a + t][b + u] = x[c][a + t − 1][b + u − 1], or the border outside x.
    private func fillColumns(_ image: UnsafePointer<Float>, rows: Range<Int>, columns: UnsafeMutablePointer<Float>) {
        let tileWidth = rows.count * gridWidth
        let fill: Float
        if case .constant(let value) = border { fill = value } else { fill = 0 }
        for c in 0..<channels {
            let plane = image + c * height * width
            for t in 0..<2 {
                for u in 0..<2 {
                    let destinationRow = columns + ((c * 2 + t) * 2 + u) * tileWidth
                    for a in rows {
                        let destination = destinationRow + (a - rows.lowerBound) * gridWidth
                        var y = a + t - 1
                        if y < 0 || y >= height {
                            guard border == .edge else {
                                destination.update(repeating: fill, count: gridWidth)
                                continue
                            }
                            y = min(max(y, 0), height - 1)
                        }
                        let source = plane + y * width
                        if u == 0 {
                            destination[0] = border == .edge ? source[0] : fill
                            (destination + 1).update(from: source, count: width)
                        } else {
                            destination.update(from: source, count: width)
                            destination[width] = border == .edge ? source[width - 1] : fill
                        }
                    }
                }
            }
        }
    }

    /// Writes window row a of phase (py, px) to output row 2a − py, columns 2b − px (+ bias, ReLU).
    private func scatter(_ results: UnsafePointer<Float>, rows: Range<Int>, bias: UnsafePointer<Float>?,
                         output: UnsafeMutablePointer<Float>) {
        let tileWidth = rows.count * gridWidth
        let (outputHeight, outputWidth) = (2 * height, 2 * width)
        for k in 0..<outputChannels {
            let shift = bias?[k] ?? 0
            let plane = output + k * outputHeight * outputWidth
            for a in rows {
                let local = (a - rows.lowerBound) * gridWidth
                for py in 0..<2 {
                    let m = a - py
                    guard m >= 0, m < height else { continue }
                    let even = results + ((py * 2) * outputChannels + k) * tileWidth + local
                    let odd = results + ((py * 2 + 1) * outputChannels + k) * tileWidth + local + 1
                    stylize_interleave_columns(vectors, even, odd, plane + (2 * m + py) * outputWidth, width, shift, relu ? 1 : 0)
                }
            }
        }
    }
}

import COpenBLAS

/// The geometry shared by Conv and ConvTranspose: a padded image plane and the
/// grid of kernel positions over it. Grid position (gy, gx) and kernel tap
/// (i, j) touch image pixel (gy·strideH − padTop + i·dilationH, gx·strideW − padLeft + j·dilationW).
/// For Conv the image is the input and the grid the output; for ConvTranspose
/// it is the other way round.
struct PatchGeometry: Equatable {
    var imageHeight: Int, imageWidth: Int
    var gridHeight: Int, gridWidth: Int
    var kernelHeight: Int, kernelWidth: Int
    var strideH: Int, strideW: Int
    var dilationH: Int, dilationW: Int
    var padTop: Int, padLeft: Int

    var kernelArea: Int { kernelHeight * kernelWidth }
    var imageArea: Int { imageHeight * imageWidth }
    var gridArea: Int { gridHeight * gridWidth }

    /// A 1×1, stride-1, unpadded kernel: the image already is the column matrix.
    var isPointwise: Bool {
        kernelArea == 1 && strideH == 1 && strideW == 1 && padTop == 0 && padLeft == 0
            && gridHeight == imageHeight && gridWidth == imageWidth
    }

    /// Grid rows per column tile so that one tile of `channels`·kernelArea rows
    /// stays around `targetFloats`: big enough for an efficient sgemm, small
    /// enough to stay in cache between im2col and sgemm.
    func rowsPerTile(channels: Int, targetFloats: Int = 1 << 19) -> Int {
        let floatsPerRow = max(1, channels * kernelArea * gridWidth)
        return max(1, min(gridHeight, targetFloats / floatsPerRow))
    }

    /// Consecutive ranges of at most `rowsPerTile` grid rows covering the grid, top to bottom.
    func rowTiles(_ rowsPerTile: Int) -> some Sequence<Range<Int>> {
        stride(from: 0, to: gridHeight, by: rowsPerTile).lazy.map { $0..<min($0 + rowsPerTile, gridHeight) }
    }
}

/// Grid indices g in 0..<count with 0 <= g·stride + offset < limit.
@inline(__always)
func validGridRange(count: Int, stride: Int, offset: Int, limit: Int) -> Range<Int> {
    // ceil(a / stride) for any sign of a, with stride > 0.
    func ceilDiv(_ a: Int) -> Int { a >= 0 ? (a + stride - 1) / stride : -((-a) / stride) }
    let lower = min(max(ceilDiv(-offset), 0), count)
    let upper = min(max(ceilDiv(limit - offset), lower), count)
    return lower..<upper
}

/// The index walk im2col and col2im share. The column matrix of a tile has one
/// row per (channel c, kernel tap i, j), each `rows.count`·gridWidth long; for
/// every such row and grid row gy in `rows` this calls `body` with:
/// - `columnOffset`: where gy's gridWidth entries start in the column matrix;
/// - `imageOffset`: where grid column 0 of the tap reads in the image (pixel
///   gx·strideW is at imageOffset + gx·strideW), nil when the image row is in the padding;
/// - `validX`: the grid columns whose pixel is inside the image row.
@inline(__always)
private func forEachTapRow(_ g: PatchGeometry, channels: Int, rows: Range<Int>,
                           _ body: (_ columnOffset: Int, _ imageOffset: Int?, _ validX: Range<Int>) -> Void) {
    let tileWidth = rows.count * g.gridWidth
    var columnRow = 0
    for c in 0..<channels {
        let plane = c * g.imageArea
        for i in 0..<g.kernelHeight {
            for j in 0..<g.kernelWidth {
                let xOffset = j * g.dilationW - g.padLeft
                let validX = validGridRange(count: g.gridWidth, stride: g.strideW, offset: xOffset, limit: g.imageWidth)
                for gy in rows {
                    let y = gy * g.strideH - g.padTop + i * g.dilationH
                    let imageOffset = y >= 0 && y < g.imageHeight ? plane + y * g.imageWidth + xOffset : nil
                    body(columnRow + (gy - rows.lowerBound) * g.gridWidth, imageOffset, validX)
                }
                columnRow += tileWidth
            }
        }
    }
}

/// Unfolds `channels` image planes into columns: row (c, i, j), column
/// (gy − rows.lowerBound, gx), zero where the tap falls in the padding.
func im2col(_ geometry: PatchGeometry, image: UnsafePointer<Float>, channels: Int, rows: Range<Int>,
            columns: UnsafeMutablePointer<Float>) {
    let g = geometry
    forEachTapRow(g, channels: channels, rows: rows) { columnOffset, imageOffset, validX in
        let destination = columns + columnOffset
        guard let imageOffset, !validX.isEmpty else {
            destination.update(repeating: 0, count: g.gridWidth)
            return
        }
        let source = image + imageOffset
        destination.update(repeating: 0, count: validX.lowerBound)
        if g.strideW == 1 {
            (destination + validX.lowerBound).update(from: source + validX.lowerBound, count: validX.count)
        } else {
            copyStrided(source + validX.lowerBound * g.strideW, stride: g.strideW,
                        to: destination + validX.lowerBound, count: validX.count)
        }
        (destination + validX.upperBound).update(repeating: 0, count: g.gridWidth - validX.upperBound)
    }
}

/// destination[i] = source[i·stride] for i in 0..<count; stride 2 (the
/// downsampling convolutions) 4 at a time. Reads nothing past source[(count − 1)·stride].
@inline(__always)
private func copyStrided(_ source: UnsafePointer<Float>, stride: Int, to destination: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    if stride == 2 {
        // 8 floats from source + 2i hold outputs i..i+3; the last read, source[2i + 7], must exist.
        while i + 5 <= count {
            let pair = UnsafeRawPointer(source + 2 * i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(destination + i).storeBytes(of: pair.evenHalf, as: SIMD4<Float>.self)
            i += 4
        }
    }
    while i < count {
        destination[i] = source[i * stride]
        i += 1
    }
}

/// The adjoint of im2col: adds every column entry into the image pixel it
/// maps to (taps in the padding are dropped). The image must be initialized.
func col2im(_ geometry: PatchGeometry, columns: UnsafePointer<Float>, channels: Int, rows: Range<Int>,
            image: UnsafeMutablePointer<Float>) {
    let g = geometry
    forEachTapRow(g, channels: channels, rows: rows) { columnOffset, imageOffset, validX in
        guard let imageOffset else { return }
        let source = columns + columnOffset
        let destination = image + imageOffset
        for gx in validX { destination[gx * g.strideW] += source[gx] }
    }
}

/// C = op(A)·B + beta·C, row-major, through the run-time loaded OpenBLAS.
@inline(__always)
func sgemm(transposeA: Bool = false, m: Int, n: Int, k: Int,
           a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
           beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    stylize_sgemm(
        Int32(STYLIZE_BLAS_ROW_MAJOR), Int32(transposeA ? STYLIZE_BLAS_TRANS : STYLIZE_BLAS_NO_TRANS),
        Int32(STYLIZE_BLAS_NO_TRANS), Int32(m), Int32(n), Int32(k),
        1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Fills each of `channels` planes of `area` floats with its bias (or zero).
func fillWithBias(_ output: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, channels: Int, area: Int) {
    for c in 0..<channels {
        (output + c * area).update(repeating: bias?[c] ?? 0, count: area)
    }
}

/// Conv and ConvTranspose attributes, validated so later size arithmetic cannot overflow.
struct ConvolutionAttributes: Sendable {
    enum AutoPad: String, Sendable { case notSet = "NOTSET", sameUpper = "SAME_UPPER", sameLower = "SAME_LOWER", valid = "VALID" }

    let autoPad: AutoPad
    let kernelShape: [Int]?
    let strides: [Int]
    let dilations: [Int]
    let pads: [Int]  // top, left, bottom, right
    let group: Int

    init(_ attributes: NodeAttributes) throws(EngineError) {
        let autoPadName = try attributes.choice(
            "auto_pad", default: "NOTSET", allowed: ["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"])
        autoPad = AutoPad(rawValue: autoPadName) ?? .notSet
        let sizeRange = 1...(1 << 16)
        kernelShape = try attributes.ints("kernel_shape", in: sizeRange)
        strides = try attributes.ints("strides", in: sizeRange) ?? [1, 1]
        dilations = try attributes.ints("dilations", in: sizeRange) ?? [1, 1]
        pads = try attributes.ints("pads", in: 0...(1 << 16)) ?? [0, 0, 0, 0]
        group = try attributes.int("group", default: 1)
        guard strides.count == 2, dilations.count == 2, pads.count == 4, kernelShape.map({ $0.count == 2 }) ?? true else {
            throw EngineError("only 2-D convolutions are supported (strides, dilations, pads, kernel_shape must be 2-D)")
        }
        guard group >= 1, group <= 1 << 16 else { throw EngineError("invalid group \(group)") }
    }

    /// Checks the weight's spatial size against kernel_shape.
    func checkKernel(height: Int, width: Int) throws(EngineError) {
        if let kernelShape, kernelShape != [height, width] {
            throw EngineError("kernel_shape \(kernelShape) does not match the weight's \(height)×\(width)")
        }
        guard height >= 1, width >= 1, height <= 1 << 16, width <= 1 << 16 else {
            throw EngineError("invalid kernel size \(height)×\(width)")
        }
    }

    /// Padding (before, after) for one axis; SAME_* pads so that output = ceil(input / stride).
    func padding(axis: Int, input: Int, kernel: Int) -> (before: Int, after: Int) {
        switch autoPad {
        case .notSet: return (pads[axis], pads[axis + 2])
        case .valid: return (0, 0)
        case .sameUpper, .sameLower:
            let output = (input + strides[axis] - 1) / strides[axis]
            let total = max(0, (output - 1) * strides[axis] + (kernel - 1) * dilations[axis] + 1 - input)
            let small = total / 2
            return autoPad == .sameUpper ? (small, total - small) : (total - small, small)
        }
    }
}

/// Conv's and ConvTranspose's inputs, checked as far as the two operators
/// agree: X a batch-1 image, W 4-D with the spatial size kernel_shape names,
/// B optional.
struct ConvolutionOperands {
    let input: (channels: Int, height: Int, width: Int)
    /// W's shape: [M, C/group, kH, kW] for Conv, [C, M/group, kH, kW] for ConvTranspose.
    let weightShape: [Int]
    let bias: PlannedValue?

    init(_ inputs: [PlannedValue?], _ attributes: ConvolutionAttributes) throws(EngineError) {
        input = try requireImage(inputs.required(0, "X"), "input")
        let weight = try inputs.required(1, "W")
        bias = inputs.optional(2)
        guard weight.rank == 4 else { throw EngineError("weight must be 4-D, got shape \(weight.shape)") }
        weightShape = weight.shape
        try attributes.checkKernel(height: kernelHeight, width: kernelWidth)
    }

    var kernelHeight: Int { weightShape[2] }
    var kernelWidth: Int { weightShape[3] }

    /// Checks B, when there is one, against the output channel count.
    func checkBias(outputChannels: Int) throws(EngineError) {
        if let bias, bias.shape != [outputChannels] {
            throw EngineError("bias has shape \(bias.shape), expected [\(outputChannels)]")
        }
    }

    /// The kernel step. The output and one grid row of the column matrix
    /// (`columnChannels`·kernel area rows) must fit the element limit first:
    /// only then is the kernel built, as its tile sizing multiplies those sizes.
    func kernelPlan(outputShape: [Int], columnChannels: Int, gridWidth: Int,
                    kernel: @autoclosure () -> any Kernel) throws(EngineError) -> OperatorPlan {
        _ = try elementCount(of: outputShape)
        _ = try elementCount(of: [columnChannels * kernelHeight * kernelWidth, gridWidth])
        return .kernel(outputShapes: [outputShape], dataInputs: bias != nil ? [0, 1, 2] : [0, 1], kernel: kernel())
    }
}

/// What the Conv and ConvTranspose kernels are built from: the patch geometry
/// and the channels, split into groups.
struct ConvolutionLayout {
    let geometry: PatchGeometry
    let inputChannels: Int
    let outputChannels: Int
    let groups: Int
    let hasBias: Bool

    var inputsPerGroup: Int { inputChannels / groups }
    var outputsPerGroup: Int { outputChannels / groups }
}

/// Upsample (opset 9) and Resize (opset 10+): nearest and (bi)linear over the
/// two spatial axes of an NCHW tensor, with the ONNX coordinate transforms.
struct ResizeOperator: Operator {
    enum Mode: Sendable { case nearest, linear }
    enum CoordinateTransform: String, Sendable {
        case halfPixel = "half_pixel", pytorchHalfPixel = "pytorch_half_pixel", alignCorners = "align_corners"
        case asymmetric, tfHalfPixelForNearest = "tf_half_pixel_for_nn"
    }
    enum NearestRounding: String, Sendable {
        case roundPreferFloor = "round_prefer_floor", roundPreferCeil = "round_prefer_ceil", floor, ceil
        /// Upsample and Resize-10: truncate when enlarging, round up when shrinking (what onnxruntime does).
        case legacy
    }

    let mode: Mode
    let transform: CoordinateTransform
    let rounding: NearestRounding
    /// Index of the scales input; Resize-11+ puts roi first.
    let scalesInput: Int
    let hasSizesInput: Bool

    init(opType: String, _ attributes: NodeAttributes, opset: Int) throws(EngineError) {
        let modeName = try attributes.choice("mode", default: "nearest", allowed: ["nearest", "linear", "bilinear"])
        mode = modeName == "nearest" ? .nearest : .linear
        if opType == "Upsample" || opset < 11 {
            transform = .asymmetric
            rounding = .legacy
            scalesInput = 1
            hasSizesInput = false
            if opType == "Upsample", try attributes.floats("scales") != nil {
                throw EngineError("Upsample with a 'scales' attribute (opset < 9) is not supported")
            }
        } else {
            let transformName = try attributes.choice(
                "coordinate_transformation_mode", default: "half_pixel",
                allowed: ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn"])
            transform = CoordinateTransform(rawValue: transformName) ?? .halfPixel
            let roundingName = try attributes.choice(
                "nearest_mode", default: "round_prefer_floor",
                allowed: ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"])
            rounding = NearestRounding(rawValue: roundingName) ?? .roundPreferFloor
            scalesInput = 2
            hasSizesInput = true
        }
    }

    func plan(_ inputs: [PlannedValue?]) throws(EngineError) -> OperatorPlan {
        let data = try inputs.required(0, "X")
        let input = try requireImage(data, "input")
        var outputShape: [Int]
        var scaleH: Double, scaleW: Double
        let scales = try inputs.optional(scalesInput)?.constantValue("scales").floats ?? []
        if !scales.isEmpty {
            guard scales.count == 4 else { throw EngineError("scales has \(scales.count) entries, expected 4") }
            guard scales[0] == 1, scales[1] == 1 else {
                throw EngineError("only spatial resizing is supported (scales \(scales))")
            }
            guard scales.allSatisfy({ $0.isFinite && $0 > 0 && $0 < 65536 }) else {
                throw EngineError("invalid scales \(scales)")
            }
            (scaleH, scaleW) = (Double(scales[2]), Double(scales[3]))
            outputShape = [1, input.channels, Int(Double(input.height) * scaleH), Int(Double(input.width) * scaleW)]
        } else if hasSizesInput, let sizesValue = inputs.optional(3) {
            let sizes = try sizesValue.constantValue("sizes").ints()
            guard sizes.count == 4 else { throw EngineError("sizes has \(sizes.count) entries, expected 4") }
            guard sizes[0] == 1, sizes[1] == input.channels else {
                throw EngineError("only spatial resizing is supported (sizes \(sizes))")
            }
            guard sizes[2] > 0, sizes[3] > 0, input.height > 0, input.width > 0 else { throw EngineError("invalid sizes \(sizes)") }
            outputShape = sizes
            (scaleH, scaleW) = (Double(sizes[2]) / Double(input.height), Double(sizes[3]) / Double(input.width))
        } else {
            throw EngineError("needs scales or sizes")
        }
        _ = try elementCount(of: outputShape)
        guard outputShape[2] > 0, outputShape[3] > 0 else { throw EngineError("output size \(outputShape) is empty") }
        let kernel = ResizeKernel(
            nearest: mode == .nearest, channels: input.channels, inputHeight: input.height, inputWidth: input.width,
            rows: axisSamples(input: input.height, output: outputShape[2], scale: scaleH),
            columns: axisSamples(input: input.width, output: outputShape[3], scale: scaleW))
        return .kernel(outputShapes: [outputShape], dataInputs: [0], kernel: kernel)
    }

    /// Where each output index samples along one axis.
    private func axisSamples(input: Int, output: Int, scale: Double) -> ResizeKernel.AxisSamples {
        var samples = ResizeKernel.AxisSamples()
        for index in 0..<output {
            let position = sourcePosition(Double(index), input: input, output: output, scale: scale)
            switch mode {
            case .nearest:
                let rounded = nearest(position, enlarging: scale >= 1)
                let clamped = min(max(rounded, 0), input - 1)
                samples.append(lower: clamped, upper: clamped, weight: 0)
            case .linear:
                let clamped = min(max(position, 0), Double(input - 1))
                let lower = Int(clamped.rounded(.down))
                samples.append(lower: lower, upper: min(lower + 1, input - 1), weight: Float(clamped - Double(lower)))
            }
        }
        return samples
    }

    private func sourcePosition(_ x: Double, input: Int, output: Int, scale: Double) -> Double {
        switch transform {
        case .halfPixel: return (x + 0.5) / scale - 0.5
        case .pytorchHalfPixel: return output > 1 ? (x + 0.5) / scale - 0.5 : 0
        case .alignCorners: return output > 1 ? x * Double(input - 1) / Double(output - 1) : 0
        case .asymmetric: return x / scale
        case .tfHalfPixelForNearest: return (x + 0.5) / scale
        }
    }

    private func nearest(_ x: Double, enlarging: Bool) -> Int {
        // Positions are bounded by the (already validated) sizes, so these conversions cannot trap.
        switch rounding {
        case .roundPreferFloor: return Int(x - x.rounded(.down) == 0.5 ? x.rounded(.down) : x.rounded())
        case .roundPreferCeil: return Int(x - x.rounded(.down) == 0.5 ? x.rounded(.up) : x.rounded())
        case .floor: return Int(x.rounded(.down))
        case .ceil: return Int(x.rounded(.up))
        case .legacy: return Int(enlarging ? x.rounded(.towardZero) : x.rounded(.up))
        }
    }
}

struct ResizeKernel: Kernel {
    /// Per output index along an axis: two source indices and the weight of the upper one.
    struct AxisSamples {
        var lower: [Int] = []
        var upper: [Int] = []
        var weight: [Float] = []

        mutating func append(lower: Int, upper: Int, weight: Float) {
            self.lower.append(lower)
            self.upper.append(upper)
            self.weight.append(weight)
        }

        var count: Int { lower.count }
    }

    let nearest: Bool
    let channels: Int
    let inputHeight: Int
    let inputWidth: Int
    let rows: AxisSamples
    let columns: AxisSamples

    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>) {
        let outputWidth = columns.count
        var destination = outputs[0]
        rows.lower.withUnsafeBufferPointer { rowLower in
        rows.upper.withUnsafeBufferPointer { rowUpper in
        rows.weight.withUnsafeBufferPointer { rowWeight in
        columns.lower.withUnsafeBufferPointer { left in
        columns.upper.withUnsafeBufferPointer { right in
        columns.weight.withUnsafeBufferPointer { columnWeight in
            for channel in 0..<channels {
                let plane = inputs[0] + channel * inputHeight * inputWidth
                for y in 0..<rows.count {
                    let top = plane + rowLower[y] * inputWidth, bottom = plane + rowUpper[y] * inputWidth
                    let wy = rowWeight[y]
                    if nearest {
                        for x in 0..<outputWidth { destination[x] = top[left[x]] }
                    } else if wy == 0 {
                        for x in 0..<outputWidth {
                            let a = top[left[x]], b = top[right[x]]
                            destination[x] = a + (b - a) * columnWeight[x]
                        }
                    } else {
                        for x in 0..<outputWidth {
                            let upperRow = top[left[x]] + (top[right[x]] - top[left[x]]) * columnWeight[x]
                            let lowerRow = bottom[left[x]] + (bottom[right[x]] - bottom[left[x]]) * columnWeight[x]
                            destination[x] = upperRow + (lowerRow - upperRow) * wy
                        }
                    }
                    destination += outputWidth
                }
            }
        }}}}}}
    }
}

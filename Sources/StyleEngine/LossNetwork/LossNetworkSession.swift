/// A `LossNetwork` at one picture size: its kernels, every layer's output (the backward pass
/// needs them: each ReLU's mask, each max pool's winners) and the gradient buffers. Runs the
/// layers up to the deepest tap asked for. Not thread-safe; its own threads split each layer.
public final class LossNetworkSession {
    public let width: Int
    public let height: Int
    /// The deepest tap this session computes.
    public let deepestTap: LossNetwork.Tap

    private struct Stage {
        let layer: LossNetwork.Layer
        /// The layer's input and output size (the convolution keeps it; a pool halves the next).
        let height: Int, width: Int
        let forward: WinogradConvolutionKernel
        let backward: WinogradConvolutionKernel
        /// The ReLU's output, C_out × height × width.
        let output: TensorStorage<Float>
        /// The pooled output, when a pool follows.
        let pooled: TensorStorage<Float>?
    }

    private let stages: [Stage]
    private let centred: TensorStorage<Float>
    private let gradientA: TensorStorage<Float>, gradientB: TensorStorage<Float>
    private let scratch: TensorStorage<Float>
    private let pool: WorkerPool?
    let parallel: ParallelContext

    public init(network: LossNetwork, width: Int, height: Int, deepestTap: LossNetwork.Tap = .relu4_3,
                threads: Int = 1) throws(EngineError) {
        try BLAS.load()
        guard width >= 8, height >= 8 else {
            throw EngineError("a \(width)×\(height) picture is too small for the loss network (at least 8×8)")
        }
        self.width = width
        self.height = height
        self.deepestTap = deepestTap
        var stages: [Stage] = []
        var (h, w) = (height, width)
        var largest = 3 * width * height
        for layer in network.layers {
            func kernel(_ inputs: Int, _ outputs: Int, _ filters: TensorStorage<Float>, bias: Bool) -> WinogradConvolutionKernel {
                WinogradConvolutionKernel(inputChannels: inputs, outputChannels: outputs, inputHeight: h, inputWidth: w,
                                          padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, filters: filters, hasBias: bias)
            }
            let area = h * w
            stages.append(Stage(
                layer: layer, height: h, width: w,
                forward: kernel(layer.inputChannels, layer.outputChannels, layer.filters, bias: true),
                backward: kernel(layer.outputChannels, layer.inputChannels, layer.gradientFilters, bias: false),
                output: TensorStorage(count: layer.outputChannels * area, repeating: 0),
                pooled: layer.poolAfter ? TensorStorage(count: layer.outputChannels * (h / 2) * (w / 2), repeating: 0) : nil))
            largest = max(largest, layer.outputChannels * area)
            if layer.tap == deepestTap { break }
            if layer.poolAfter { (h, w) = (h / 2, w / 2) }
        }
        self.stages = stages
        centred = TensorStorage(count: 3 * width * height, repeating: 0)
        gradientA = TensorStorage(count: largest, repeating: 0)
        gradientB = TensorStorage(count: largest, repeating: 0)
        let threads = max(1, threads)
        let perThread = stages.map { max($0.forward.scratchCount, $0.backward.scratchCount) }.max() ?? 0
        scratch = TensorStorage(count: max(1, perThread * threads), repeating: 0)
        pool = threads > 1 ? WorkerPool(threads: threads) : nil
        parallel = ParallelContext(pool: pool, scratchStride: perThread)
    }

    /// Runs the layers on `image` (RGB planes, 0…255, width × height); the taps' feature maps are
    /// then `features(at:)` until the next call.
    public func forward(_ image: UnsafePointer<Float>) {
        let area = width * height
        for c in 0..<3 {
            let mean = LossNetwork.rgbMean[c]
            for i in 0..<area { centred.pointer[c * area + i] = image[c * area + i] - mean }
        }
        var input = UnsafePointer(centred.pointer)
        for stage in stages {
            stage.forward.run(inputs: [input, input, UnsafePointer(stage.layer.bias.pointer)], outputs: [stage.output.pointer],
                              scratch: scratch.pointer, parallel: parallel)
            let output = stage.output.pointer, count = stage.output.count
            parallel.forEach(stage.layer.outputChannels) { channel, _ in
                let plane = output + channel * (count / stage.layer.outputChannels)
                for i in 0..<(count / stage.layer.outputChannels) where plane[i] < 0 { plane[i] = 0 }
            }
            if let pooled = stage.pooled {
                MaxPool2x2.forward(stage.output.pointer, channels: stage.layer.outputChannels, height: stage.height,
                                   width: stage.width, into: pooled.pointer, parallel: parallel)
                input = UnsafePointer(pooled.pointer)
            } else {
                input = UnsafePointer(stage.output.pointer)
            }
        }
    }

    /// A tap's feature map from the last `forward`: channels × height × width, row-major planes.
    public func features(at tap: LossNetwork.Tap) -> (pointer: UnsafePointer<Float>, channels: Int, height: Int, width: Int) {
        guard let stage = stages.first(where: { $0.layer.tap == tap }) else {
            preconditionFailure("tap \(tap.name) is deeper than this session's \(deepestTap.name)")
        }
        return (UnsafePointer(stage.output.pointer), stage.layer.outputChannels, stage.height, stage.width)
    }

    /// The gradient of a loss with respect to the picture of the last `forward`, given the loss's
    /// gradient with respect to the taps it depends on (`seeds`, each the shape of `features(at:)`).
    /// Writes 3 × height × width floats into `gradient`.
    public func backward(seeds: [LossNetwork.Tap: UnsafePointer<Float>], into gradient: UnsafeMutablePointer<Float>) {
        guard let deepest = stages.lastIndex(where: { stage in stage.layer.tap.map { seeds[$0] != nil } ?? false }) else {
            gradient.update(repeating: 0, count: 3 * width * height)
            return
        }
        var current = gradientA.pointer, other = gradientB.pointer
        current.update(repeating: 0, count: stages[deepest].output.count)
        for index in stride(from: deepest, through: 0, by: -1) {
            let stage = stages[index]
            let count = stage.output.count, channels = stage.layer.outputChannels
            let area = count / channels
            let seed = stage.layer.tap.flatMap { seeds[$0] }
            let output = UnsafePointer(stage.output.pointer), g = current
            // Add the tap's seed, and pass the gradient only where the ReLU let the signal through.
            parallel.forEach(channels) { channel, _ in
                let start = channel * area
                if let seed {
                    for i in start..<(start + area) { g[i] = output[i] > 0 ? g[i] + seed[i] : 0 }
                } else {
                    for i in start..<(start + area) where output[i] <= 0 { g[i] = 0 }
                }
            }
            let target = index == 0 ? gradient : other
            stage.backward.run(inputs: [UnsafePointer(current), UnsafePointer(current)], outputs: [target],
                               scratch: scratch.pointer, parallel: parallel)
            guard index > 0 else { break }
            let previous = stages[index - 1]
            if previous.pooled != nil {
                MaxPool2x2.backward(UnsafePointer(other), winnersFrom: UnsafePointer(previous.output.pointer),
                                    channels: previous.layer.outputChannels, height: previous.height, width: previous.width,
                                    into: current, parallel: parallel)
            } else {
                swap(&current, &other)
            }
        }
    }
}

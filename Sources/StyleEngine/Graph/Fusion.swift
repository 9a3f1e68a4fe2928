/// Fuses runs of planned steps into single kernels that compute the same
/// thing with less work and fewer buffers:
///
/// - nearest ×2 Resize → Pad 1 (reflect, edge or constant) → 3×3 Conv, or
///   Resize → 3×3 Conv with pads 1: one `UpsampleConvKernel`, then a following ReLU;
/// - Pad (reflect, edge or constant; H and W) → 3×3 stride-1 Conv run as Winograd, or any Conv
///   run as int8 im2col: one kernel that reads the Pad's input (`PadReading`);
/// - InstanceNormalization / BatchNormalization → Add (same-shape residual) → ReLU,
///   either or both: one `FusedNormalizationKernel`.
///
/// A fusion applies only when it is exactly the same computation (shapes,
/// modes, sample maps and attributes checked) and when every value it hides
/// has no other reader and is not the graph output. The fused step takes the
/// place of the last step it replaces, so every input it reads is ready.
enum Fusion {
    /// `keep`: logical buffers read after the last step (the graph output).
    /// `arithmetic`: the kernels of the weight multiplications (a fused convolution packs its weights for them).
    static func apply(_ steps: [PendingStep], keep: [Int], arithmetic: GEMMArithmetic = .fp32) -> [PendingStep] {
        var work = steps.map(Optional.some)
        let keep = Set(keep)
        for rule in [upsampleConv(arithmetic), padConvolution, normalizationEpilogue, upsampleConvReLU] {
            var usage = Usage(work, keep: keep)
            for index in work.indices {
                guard let fused = rule(index, work, usage) else { continue }
                for removed in fused.replaced { work[removed] = nil }
                work[fused.replaced.max()!] = fused.step
                usage = Usage(work, keep: keep)
            }
        }
        return work.compactMap { $0 }
    }

    private typealias Rule = (Int, [PendingStep?], Usage) -> (replaced: [Int], step: PendingStep)?

    /// Who writes and who reads each logical buffer.
    private struct Usage {
        var producer: [Int: Int] = [:]
        var readers: [Int: [(step: Int, position: Int)]] = [:]
        let keep: Set<Int>

        init(_ work: [PendingStep?], keep: Set<Int>) {
            self.keep = keep
            for (index, step) in work.enumerated() {
                guard let step else { continue }
                for (position, source) in step.inputs.enumerated() {
                    if let logical = source.logical { readers[logical, default: []].append((index, position)) }
                }
                for logical in step.outputs { producer[logical] = index }
            }
        }

        /// The one read of `logical`, when there is exactly one and it is not the graph output.
        func soleReader(of logical: Int) -> (step: Int, position: Int)? {
            guard !keep.contains(logical), let reads = readers[logical], reads.count == 1 else { return nil }
            return reads[0]
        }

        /// The step that writes `logical` if `step` is its only reader (at input 0).
        func producer(of logical: Int, readOnlyBy step: Int) -> Int? {
            guard let read = soleReader(of: logical), read.step == step, read.position == 0 else { return nil }
            return producer[logical]
        }
    }

    // MARK: Resize → (Pad) → Conv

    private static func upsampleConv(_ arithmetic: GEMMArithmetic) -> Rule { { index, work, usage in
        guard let conv = work[index], let op = conv.node.op as? ConvOperator, conv.outputs.count == 1,
              let convInput = conv.inputs.first?.logical,
              let x = conv.plannedInputs.first ?? nil, x.rank == 4, x.shape[0] == 1,
              let w = conv.plannedInputs.optional(1), let weights = w.constant, w.elementType == .float,
              w.shape.count == 4, w.shape[1] == x.shape[1], w.shape[2] == 3, w.shape[3] == 3,
              op.attributes.group == 1, op.attributes.strides == [1, 1], op.attributes.dilations == [1, 1],
              let producer = usage.producer(of: convInput, readOnlyBy: index), let before = work[producer]
        else { return nil }
        let bias = conv.plannedInputs.optional(2)
        if let bias, bias.constant == nil || bias.shape != [w.shape[0]] { return nil }
        let (channels, outputChannels) = (x.shape[1], w.shape[0])
        let padH = op.attributes.padding(axis: 0, input: x.shape[2], kernel: 3)
        let padW = op.attributes.padding(axis: 1, input: x.shape[3], kernel: 3)
        let convPads = [padH.before, padW.before, padH.after, padW.after]

        // The border around the upsampled image, and the Resize step.
        var replaced = [index]
        let border: UpsampleConvKernel.Border
        let resizeIndex: Int
        let upsampledShape: [Int]
        if let padding = before.kernel as? Padding {
            guard convPads == [0, 0, 0, 0], padding.pads == [0, 0, 1, 1, 0, 0, 1, 1], padding.outputShape == x.shape,
                  let padInput = before.inputs.first?.logical, let upsampled = before.plannedInputs.first ?? nil,
                  let resize = usage.producer(of: padInput, readOnlyBy: producer)
            else { return nil }
            // Reflect and edge borders of a ×2 nearest upsampling both repeat its edge rows, the input's.
            border = padding.mode == .constant ? .constant(padding.value) : .edge
            replaced.append(producer)
            resizeIndex = resize
            upsampledShape = upsampled.shape
        } else {
            guard convPads == [1, 1, 1, 1] else { return nil }
            border = .constant(0)
            resizeIndex = producer
            upsampledShape = x.shape
        }
        guard let resize = work[resizeIndex], let sampler = resize.kernel as? ResizeKernel, sampler.nearest,
              let source = resize.inputs.first?.logical, let low = resize.plannedInputs.first ?? nil,
              low.shape == [1, channels, sampler.inputHeight, sampler.inputWidth],
              upsampledShape == [1, channels, 2 * sampler.inputHeight, 2 * sampler.inputWidth],
              sampler.rows.count == 2 * sampler.inputHeight, sampler.columns.count == 2 * sampler.inputWidth,
              sampler.rows.lower.enumerated().allSatisfy({ $0.element == $0.offset / 2 }),
              sampler.columns.lower.enumerated().allSatisfy({ $0.element == $0.offset / 2 })
        else { return nil }
        replaced.append(resizeIndex)

        let phaseWeights = UpsampleConvKernel.phaseWeights(
            weights.floatStorage.pointer, outputChannels: outputChannels, channels: channels)
        let kernel = UpsampleConvKernel(
            channels: channels, outputChannels: outputChannels, height: sampler.inputHeight, width: sampler.inputWidth,
            border: border, hasBias: bias != nil,
            packedWeights: PackedWeights(arithmetic, weights: phaseWeights.pointer, rows: 4 * outputChannels,
                                         columns: 4 * channels))
        var inputs: [PendingSource] = [.logical(source), .constant(phaseWeights)]
        if let biasValues = bias?.constant { inputs.append(.constant(biasValues.floatStorage)) }
        var step = conv
        step.label = "\(conv.label) with \(replaced.dropFirst().reversed().map { work[$0]!.label }.joined(separator: " and ")) folded in"
        step.kernel = kernel
        step.inputs = inputs
        return (replaced, step)
    } }

    // MARK: Pad → Conv

    /// A Pad before a convolution that can draw the border itself (Johnson networks reflect-pad
    /// before every one): Winograd draws it as it transforms its tiles, int8 im2col as it quantizes
    /// the rows it reads. After `upsampleConv`, which folds Resize → Pad → Conv whole.
    private static let padConvolution: Rule = { index, work, usage in
        guard let conv = work[index], let kernel = conv.kernel as? any PadReading,
              let convInput = conv.inputs.first?.logical,
              let producer = usage.producer(of: convInput, readOnlyBy: index), let pad = work[producer],
              let padding = pad.kernel as? Padding, let source = pad.inputs.first,
              let fused = kernel.readingThrough(padding)
        else { return nil }
        var step = conv
        step.label = "\(conv.label) with \(pad.label) folded in"
        step.kernel = fused
        step.inputs[0] = source
        step.plannedInputs[0] = pad.plannedInputs.first ?? nil
        return ([producer, index], step)
    }

    /// A ReLU after a fused upsampling convolution goes into its output pass.
    private static let upsampleConvReLU: Rule = { index, work, usage in
        guard let conv = work[index], let kernel = conv.kernel as? UpsampleConvKernel, !kernel.relu,
              let output = conv.outputs.first, let read = usage.soleReader(of: output), let relu = work[read.step],
              let activation = relu.kernel as? ActivationKernel, case .relu = activation.function
        else { return nil }
        var step = conv
        step.label = "\(conv.label) and \(relu.label)"
        step.kernel = kernel.withReLU()
        step.outputs = relu.outputs
        return ([index, read.step], step)
    }

    // MARK: Normalization → Add → ReLU

    private static let normalizationEpilogue: Rule = { index, work, usage in
        guard let norm = work[index], let base = norm.kernel as? ChannelNormalizationKernel, norm.outputs.count == 1,
              let shape = (norm.plannedInputs.first ?? nil)?.shape
        else { return nil }
        var replaced = [index]
        var labels = [norm.label]
        var outputs = norm.outputs
        var inputs = norm.inputs
        var residual = false, relu = false

        if let read = usage.soleReader(of: outputs[0]), let add = work[read.step],
           let binary = add.kernel as? BinaryKernel, binary.function == .add, binary.layout.outputShape == shape,
           add.plannedInputs.count == 2, add.plannedInputs.allSatisfy({ $0?.shape == shape }) {
            inputs.append(add.inputs[1 - read.position])
            residual = true
            replaced.append(read.step)
            labels.append(add.label)
            outputs = add.outputs
        }
        if let read = usage.soleReader(of: outputs[0]), let step = work[read.step],
           let activation = step.kernel as? ActivationKernel, case .relu = activation.function {
            relu = true
            replaced.append(read.step)
            labels.append(step.label)
            outputs = step.outputs
        }
        guard residual || relu else { return nil }
        var step = norm
        step.label = labels.joined(separator: " and ")
        step.kernel = FusedNormalizationKernel(base: base, residual: residual, relu: relu)
        step.inputs = inputs
        step.outputs = outputs
        return (replaced, step)
    }
}

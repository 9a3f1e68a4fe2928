/// BatchNormalization in inference mode: a per-channel affine map from the
/// stored statistics.
struct BatchNormalizationOperator: Operator {
    let epsilon: Float

    init(_ attributes: NodeAttributes) throws(EngineError) {
        epsilon = try attributes.float("epsilon", default: 1e-5)
        if try attributes.int("training_mode", default: 0) != 0 {
            throw EngineError("BatchNormalization training_mode=1 is not supported")
        }
    }

    func plan(_ inputs: [PlannedValue?]) throws(EngineError) -> OperatorPlan {
        let input = try inputs.required(0, "X")
        guard input.rank >= 2 else { throw EngineError("input must be at least 2-D, got shape \(input.shape)") }
        let channels = input.shape[1]
        for (index, role) in [(1, "scale"), (2, "B"), (3, "mean"), (4, "var")] {
            let parameter = try inputs.required(index, role)
            guard parameter.shape == [channels] else {
                throw EngineError("\(role) has shape \(parameter.shape), expected [\(channels)]")
            }
        }
        let kernel = ChannelNormalizationKernel(
            statistics: .stored, planes: input.shape[0] * channels, channels: channels,
            area: input.shape[2...].reduce(1, *), epsilon: epsilon)
        return .kernel(outputShapes: [input.shape], dataInputs: [0, 1, 2, 3, 4], kernel: kernel)
    }
}

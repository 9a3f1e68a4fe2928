/// InstanceNormalization: each (batch, channel) plane normalized by its own
/// mean and variance, then scaled and shifted per channel.
struct InstanceNormalizationOperator: Operator {
    let epsilon: Float

    init(_ attributes: NodeAttributes) throws(EngineError) {
        epsilon = try attributes.float("epsilon", default: 1e-5)
    }

    func plan(_ inputs: [PlannedValue?]) throws(EngineError) -> OperatorPlan {
        let input = try inputs.required(0, "input")
        let scale = try inputs.required(1, "scale"), bias = try inputs.required(2, "B")
        guard input.rank >= 3 else { throw EngineError("input must be at least 3-D, got shape \(input.shape)") }
        let channels = input.shape[1]
        guard scale.shape == [channels], bias.shape == [channels] else {
            throw EngineError("scale \(scale.shape) and B \(bias.shape) must both be [\(channels)]")
        }
        let kernel = ChannelNormalizationKernel(
            statistics: .perPlane, planes: input.shape[0] * channels, channels: channels,
            area: input.shape[2...].reduce(1, *), epsilon: epsilon)
        return .kernel(outputShapes: [input.shape], dataInputs: [0, 1, 2], kernel: kernel)
    }
}

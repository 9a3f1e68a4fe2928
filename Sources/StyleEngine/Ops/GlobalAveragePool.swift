/// GlobalAveragePool: N×C×D1…Dn → N×C×1…1, the mean of each (batch, channel)
/// plane, accumulated in double blocks like InstanceNormalization's statistics.
struct GlobalAveragePoolOperator: Operator {
    func plan(_ inputs: [PlannedValue?]) throws(EngineError) -> OperatorPlan {
        let input = try inputs.required(0, "X")
        guard input.rank >= 3 else { throw EngineError("input must be at least 3-D (N, C, D1, ...), got shape \(input.shape)") }
        let planes = input.shape[0] * input.shape[1]
        let area = input.shape[2...].reduce(1, *)
        let outputShape = Array(input.shape[..<2]) + [Int](repeating: 1, count: input.rank - 2)
        return .kernel(outputShapes: [outputShape], dataInputs: [0], kernel: PlaneMeanKernel(planes: planes, area: area))
    }
}

struct PlaneMeanKernel: Kernel {
    let planes: Int
    let area: Int

    func run(inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>], scratch: UnsafeMutablePointer<Float>) {
        for plane in 0..<planes {
            let sum = blockedSum(inputs[0] + plane * area, count: area)
            outputs[0][plane] = Float(sum / Double(area))
        }
    }
}

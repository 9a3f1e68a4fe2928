/// Turns a graph plus concrete input shapes into an `ExecutionPlan`.
///
/// Pass 1 walks the nodes in order with what is known about each value:
/// anything that does not depend on the image is computed on the spot (this
/// folds the Shape/Gather/Concat/... subgraphs of dynamic-shape exports),
/// views become aliases, and the rest become kernel steps.
/// Then, unless the graph says otherwise, runs of steps that have a faster
/// exact equivalent are fused (Fusion.swift).
/// Pass 2 gives every run-time value a buffer, reusing buffers whose values are
/// dead and letting element-wise kernels overwrite their input in place.
enum Planner {
    /// `inputValues[i]`, when given, is input i's value: planned as a constant, so whatever depends
    /// only on it (a style mix folded into the norms' scale and shift) is computed here, once.
    /// `arithmetic`: the kernels of the weight multiplications (their weights are packed here).
    static func plan(_ graph: Graph, inputShapes: [[Int]], inputValues: [ConstantTensor?] = [],
                     arithmetic: GEMMArithmetic = .fp32) throws(EngineError) -> ExecutionPlan {
        var semantic = SemanticPass(graph: graph, arithmetic: arithmetic)
        try semantic.run(inputShapes: inputShapes, inputValues: inputValues)
        if graph.fusion {
            semantic.steps = Fusion.apply(semantic.steps, keep: semantic.outputLogical.map { [$0] } ?? [],
                                          arithmetic: arithmetic)
        }
        return try MemoryPass(semantic).plan()
    }
}

/// A run-time value's data: a logical buffer shared by a value and its views.
struct LogicalBuffer {
    var count: Int
}

struct PendingStep {
    var label: String
    var kernel: any Kernel
    var inputs: [PendingSource]
    var outputs: [Int]  // logical buffers
    /// The node the step runs and what planning knew about each of its inputs (for fusion).
    var node: Graph.Node
    var plannedInputs: [PlannedValue?]
}

enum PendingSource {
    case logical(Int)
    case constant(TensorStorage<Float>)

    var logical: Int? {
        if case .logical(let logical) = self { logical } else { nil }
    }
}

struct SemanticPass {
    let graph: Graph
    let arithmetic: GEMMArithmetic
    var values: [PlannedValue?]
    var logicalOf: [Int?]           // value id → logical buffer
    var logicalBuffers: [LogicalBuffer] = []
    var steps: [PendingStep] = []
    var inputLogicals: [Int?] = []
    /// Int64 constants handed to kernels are converted to float once per plan.
    private var floatConstants: [Int: TensorStorage<Float>] = [:]

    init(graph: Graph, arithmetic: GEMMArithmetic = .fp32) {
        self.graph = graph
        self.arithmetic = arithmetic
        values = [PlannedValue?](repeating: nil, count: graph.valueNames.count)
        logicalOf = [Int?](repeating: nil, count: graph.valueNames.count)
        for (id, constant) in graph.initializers { values[id] = PlannedValue(constant) }
    }

    mutating func newLogical(count: Int) -> Int {
        logicalBuffers.append(LogicalBuffer(count: count))
        return logicalBuffers.count - 1
    }

    mutating func run(inputShapes: [[Int]], inputValues: [ConstantTensor?] = []) throws(EngineError) {
        for (index, (id, shape)) in zip(graph.inputs, inputShapes).enumerated() {
            if index < inputValues.count, let value = inputValues[index] {
                values[id] = PlannedValue(value)
                inputLogicals.append(nil)
                continue
            }
            values[id] = PlannedValue(shape: shape, elementType: .float)
            let logical = newLogical(count: try elementCount(of: shape))
            logicalOf[id] = logical
            inputLogicals.append(logical)
        }
        for node in graph.nodes {
            do throws(EngineError) {
                try plan(node)
            } catch {
                throw error.prefixed(node.label)
            }
        }
    }

    private mutating func plan(_ node: Graph.Node) throws(EngineError) {
        var inputs: [PlannedValue?] = []
        for input in node.inputs {
            guard let input else { inputs.append(nil); continue }
            guard let value = values[input] else {
                throw EngineError("input '\(graph.valueNames[input])' has no value")
            }
            inputs.append(value)
        }
        switch try node.op.plan(inputs, arithmetic: arithmetic) {
        case .constants(let results):
            try assign(results, to: node.outputs)
        case .view(let shape, let elementType):
            guard let source = node.inputs.first ?? nil, let sourceValue = values[source] else {
                throw EngineError("missing input 0")
            }
            guard let output = node.outputs.first ?? nil else { return }
            if let constant = sourceValue.constant {
                values[output] = PlannedValue(try constant.converted(to: elementType).reshaped(shape))
            } else {
                values[output] = PlannedValue(shape: shape, elementType: elementType)
                logicalOf[output] = logicalOf[source]
            }
        case .kernel(let outputShapes, let dataInputs, let kernel):
            try addKernel(node, inputs, outputShapes, dataInputs, kernel)
        }
    }

    private mutating func assign(_ results: [ConstantTensor], to outputs: [Int?]) throws(EngineError) {
        for (index, output) in outputs.enumerated() {
            guard let output else { continue }
            guard index < results.count else { throw EngineError("output \(index) is not supported") }
            values[output] = PlannedValue(results[index])
        }
    }

    private mutating func addKernel(
        _ node: Graph.Node, _ inputs: [PlannedValue?], _ outputShapes: [[Int]], _ dataInputs: [Int], _ kernel: any Kernel
    ) throws(EngineError) {
        var sources: [PendingSource] = []
        for index in dataInputs {
            guard index < node.inputs.count, let id = node.inputs[index], let value = inputs[index] else {
                throw EngineError("missing input \(index)")
            }
            if let constant = value.constant {
                sources.append(.constant(floatStorage(of: constant, id: id)))
            } else if let logical = logicalOf[id] {
                sources.append(.logical(logical))
            } else {
                throw EngineError("input '\(graph.valueNames[id])' has no buffer")
            }
        }
        var counts: [Int] = []
        for shape in outputShapes { counts.append(try elementCount(of: shape)) }

        if sources.allSatisfy({ if case .constant = $0 { true } else { false } }) {
            // Nothing here depends on the image: run the kernel now and keep its results.
            try assign(Self.fold(kernel, sources, outputShapes, counts), to: node.outputs)
            return
        }
        var outputs: [Int] = []
        for (index, count) in counts.enumerated() {
            let logical = newLogical(count: count)
            outputs.append(logical)
            if index < node.outputs.count, let output = node.outputs[index] {
                values[output] = PlannedValue(shape: outputShapes[index], elementType: .float)
                logicalOf[output] = logical
            }
        }
        for (index, output) in node.outputs.enumerated() where output != nil && index >= counts.count {
            throw EngineError("output \(index) is not supported")
        }
        steps.append(PendingStep(label: node.label, kernel: kernel, inputs: sources, outputs: outputs,
                                 node: node, plannedInputs: inputs))
    }

    private mutating func floatStorage(of constant: ConstantTensor, id: Int) -> TensorStorage<Float> {
        if case .float(let storage) = constant.elements { return storage }
        if let converted = floatConstants[id] { return converted }
        let converted = constant.floatStorage
        floatConstants[id] = converted
        return converted
    }

    /// The graph output's logical buffer; nil when the output is a constant.
    var outputLogical: Int? {
        guard let id = graph.outputs.first, values[id]?.constant == nil else { return nil }
        return logicalOf[id]
    }

    private static func fold(
        _ kernel: any Kernel, _ sources: [PendingSource], _ shapes: [[Int]], _ counts: [Int]
    ) -> [ConstantTensor] {
        let results = counts.map { TensorStorage<Float>(count: $0, repeating: 0) }
        let scratch = TensorStorage<Float>(count: kernel.scratchCount, repeating: 0)
        let inputs = sources.compactMap { source -> UnsafePointer<Float>? in
            if case .constant(let storage) = source { return UnsafePointer(storage.pointer) }
            return nil
        }
        kernel.run(inputs: inputs, outputs: results.map(\.pointer), scratch: scratch.pointer)
        return zip(shapes, results).map { ConstantTensor(shape: $0, elements: .float($1)) }
    }
}

private struct MemoryPass {
    let semantic: SemanticPass

    init(_ semantic: SemanticPass) { self.semantic = semantic }

    func plan() throws(EngineError) -> ExecutionPlan {
        let graph = semantic.graph
        guard let outputID = graph.outputs.first, let outputValue = semantic.values[outputID] else {
            throw EngineError("graph output has no value")
        }
        let outputLogical = outputValue.constant == nil ? semantic.logicalOf[outputID] : nil

        // Remaining reads of each logical buffer; the output is read after the last step.
        var remainingReads = [Int](repeating: 0, count: semantic.logicalBuffers.count)
        for step in semantic.steps {
            for case .logical(let logical) in step.inputs { remainingReads[logical] += 1 }
        }
        if let outputLogical { remainingReads[outputLogical] += 1 }

        var pool = BufferPool()
        var physicalOf = [Int?](repeating: nil, count: semantic.logicalBuffers.count)
        func release(_ logical: Int) {
            if let physical = physicalOf[logical] { pool.release(physical) }
        }

        var inputBuffers: [(buffer: Int, count: Int)?] = []
        for logical in semantic.inputLogicals {
            guard let logical, remainingReads[logical] > 0 else { inputBuffers.append(nil); continue }
            let count = semantic.logicalBuffers[logical].count
            let physical = pool.acquire(count)
            physicalOf[logical] = physical
            inputBuffers.append((physical, count))
        }

        var steps: [ExecutionPlan.Step] = []
        var scratchCount = 0
        for step in semantic.steps {
            var inputs: [ExecutionPlan.Source] = []
            for source in step.inputs {
                switch source {
                case .constant(let storage): inputs.append(.constant(storage))
                case .logical(let logical):
                    guard let physical = physicalOf[logical] else {
                        throw EngineError("internal planning error: \(step.label) reads an unallocated buffer")
                    }
                    inputs.append(.buffer(physical))
                }
            }
            for (index, logical) in step.outputs.enumerated() {
                let count = semantic.logicalBuffers[logical].count
                if index == 0, step.kernel.canRunInPlace, case .logical(let source)? = step.inputs.first,
                   remainingReads[source] == 1, semantic.logicalBuffers[source].count == count,
                   let physical = physicalOf[source] {
                    // This step is the input's last reader: overwrite it instead of allocating.
                    physicalOf[logical] = physical
                    physicalOf[source] = nil
                    remainingReads[source] = 0
                } else {
                    physicalOf[logical] = pool.acquire(count)
                }
            }
            var outputs: [Int] = []
            for logical in step.outputs {
                guard let physical = physicalOf[logical] else {
                    throw EngineError("internal planning error: \(step.label) writes an unallocated buffer")
                }
                outputs.append(physical)
            }
            steps.append(ExecutionPlan.Step(label: step.label, kernel: step.kernel, inputs: inputs, outputs: outputs))
            scratchCount = max(scratchCount, step.kernel.scratchCount)

            for case .logical(let logical) in step.inputs where remainingReads[logical] > 0 {
                remainingReads[logical] -= 1
                if remainingReads[logical] == 0 { release(logical) }
            }
            for logical in step.outputs where remainingReads[logical] == 0 { release(logical) }
        }

        let output: ExecutionPlan.Output
        if let constant = outputValue.constant {
            output = .constant(constant.floatStorage)
        } else if let outputLogical, let physical = physicalOf[outputLogical] {
            output = .buffer(physical)
        } else {
            throw EngineError("internal planning error: the output has no buffer")
        }
        return ExecutionPlan(
            steps: steps, bufferCapacities: pool.capacities, scratchCount: scratchCount,
            inputBuffers: inputBuffers, output: output, outputShape: outputValue.shape)
    }
}

/// Physical buffers handed out best-fit and returned when their value dies.
/// Capacities are only final once planning ends, so a free buffer that is too
/// small may simply grow.
private struct BufferPool {
    private(set) var capacities: [Int] = []
    private var free: [Int] = []

    mutating func acquire(_ count: Int) -> Int {
        if let best = free.filter({ capacities[$0] >= count }).min(by: { capacities[$0] < capacities[$1] })
            ?? free.max(by: { capacities[$0] < capacities[$1] }) {
            free.removeAll { $0 == best }
            capacities[best] = max(capacities[best], count)
            return best
        }
        capacities.append(count)
        return capacities.count - 1
    }

    mutating func release(_ buffer: Int) {
        if !free.contains(buffer) { free.append(buffer) }
    }
}

/// A model's graph, checked and in execution order: values are numbered,
/// every node's operator is built (so unsupported operators and attributes
/// fail at load time), and nodes the outputs do not need are dropped.
struct Graph: Sendable {
    struct Node: Sendable {
        let name: String
        let opType: String
        /// Value ids; nil for an omitted optional input or an unused output.
        let inputs: [Int?]
        let outputs: [Int?]
        let op: any Operator

        var label: String { "node '\(name)' (\(opType))" }
    }

    let valueNames: [String]
    let nodes: [Node]
    private(set) var initializers: [Int: ConstantTensor]
    /// Graph inputs that are not initializers, in order.
    let inputs: [Int]
    private(set) var inputDeclarations: [ValueInfoProto]
    let outputs: [Int]
    let opset: Int
    /// Whether planning fuses steps (Fusion.swift); off only to compare against the unfused kernels.
    var fusion = true

    /// Adds rows to 2-D float initializers ([rows, C] → [rows + k, C], `values` row-major, k·C
    /// each, the same k for all) and declares `input` one-dimensional of the new row count: a style
    /// bank with styles learned after it was exported (the norms' banks and the weights input).
    mutating func appendRows(_ values: [String: [Float]], declaring input: String) throws(EngineError) {
        var rows: Int?, added: Int?
        for (name, extra) in values.sorted(by: { $0.key < $1.key }) {
            guard let id = valueNames.firstIndex(of: name), let tensor = initializers[id] else {
                throw EngineError("the model has no initializer '\(name)' to add rows to")
            }
            guard tensor.shape.count == 2, case .float(let storage) = tensor.elements, tensor.shape[1] > 0 else {
                throw EngineError("initializer '\(name)' is not a 2-D float bank (shape \(tensor.shape))")
            }
            let (count, channels) = (tensor.shape[0], tensor.shape[1])
            guard extra.count % channels == 0, extra.count > 0 else {
                throw EngineError("\(extra.count) values cannot be rows of '\(name)', whose rows have \(channels)")
            }
            guard rows == nil || (rows == count && added == extra.count / channels) else {
                throw EngineError("'\(name)' does not have the rows the other banks have")
            }
            rows = count
            added = extra.count / channels
            initializers[id] = ConstantTensor(shape: [count + extra.count / channels, channels], floats: storage.array + extra)
        }
        guard let rows, let added else { throw EngineError("no rows to add") }
        guard let index = inputDeclarations.firstIndex(where: { $0.name == input }) else {
            throw EngineError("the model has no input '\(input)'")
        }
        guard inputDeclarations[index].dimensions == [.value(Int64(rows))] else {
            throw EngineError("input '\(input)' does not have one weight per row of the banks (\(rows))")
        }
        inputDeclarations[index].dimensions = [.value(Int64(rows + added))]
    }

    init(model: ModelProto) throws(EngineError) {
        opset = try Self.defaultOpset(model)
        guard let graph = model.graph else { throw EngineError("model has no graph") }

        var ids: [String: Int] = [:]
        var names: [String] = []
        func newValue(_ name: String) -> Int {
            names.append(name)
            ids[name] = names.count - 1
            return names.count - 1
        }

        var initializers: [Int: ConstantTensor] = [:]
        for tensor in graph.initializers {
            guard ids[tensor.name] == nil else { throw EngineError("initializer '\(tensor.name)' is defined twice") }
            initializers[newValue(tensor.name)] = try ConstantTensor(tensor)
        }
        var inputs: [Int] = [], inputDeclarations: [ValueInfoProto] = []
        for input in graph.inputs where ids[input.name] == nil || initializers[ids[input.name] ?? -1] == nil {
            guard ids[input.name] == nil else { throw EngineError("graph input '\(input.name)' is listed twice") }
            inputs.append(newValue(input.name))
            inputDeclarations.append(input)
        }
        guard !inputs.isEmpty else { throw EngineError("graph has no (non-initializer) input") }

        // Outputs first, so that inputs can refer to nodes listed later.
        var producer: [Int: Int] = [:]
        var outputIDs: [[Int?]] = []
        for (index, node) in graph.nodes.enumerated() {
            var outputs: [Int?] = []
            for name in node.outputs {
                if name.isEmpty { outputs.append(nil); continue }
                guard ids[name] == nil else {
                    throw EngineError("value '\(name)' is produced by more than one node, input or initializer")
                }
                let id = newValue(name)
                producer[id] = index
                outputs.append(id)
            }
            outputIDs.append(outputs)
        }

        var nodes: [Node] = []
        for (index, node) in graph.nodes.enumerated() {
            let name = node.name.isEmpty ? "#\(index)" : node.name
            let label = "node '\(name)' (\(node.opType))"
            guard node.domain.isEmpty || node.domain == "ai.onnx" else {
                throw EngineError("unsupported operator domain '\(node.domain)' (\(label))")
            }
            var inputIDs: [Int?] = []
            for input in node.inputs {
                if input.isEmpty { inputIDs.append(nil); continue }
                guard let id = ids[input] else {
                    throw EngineError("\(label) uses '\(input)', which no node, graph input or initializer provides")
                }
                inputIDs.append(id)
            }
            let op: any Operator
            do throws(EngineError) {
                guard let made = try OperatorRegistry.makeOperator(
                    opType: node.opType, attributes: NodeAttributes(node.attributes), opset: opset)
                else { throw EngineError("unsupported ONNX operator '\(node.opType)' (node '\(name)')") }
                op = made
            } catch where error.message.hasPrefix("unsupported ONNX operator") {
                throw error
            } catch {
                throw error.prefixed(label)
            }
            nodes.append(Node(name: name, opType: node.opType, inputs: inputIDs, outputs: outputIDs[index], op: op))
        }

        var outputs: [Int] = []
        for output in graph.outputs {
            guard let id = ids[output.name] else { throw EngineError("graph output '\(output.name)' is never produced") }
            outputs.append(id)
        }
        guard !outputs.isEmpty else { throw EngineError("graph has no output") }

        self.valueNames = names
        self.initializers = initializers
        self.inputs = inputs
        self.inputDeclarations = inputDeclarations
        self.outputs = outputs
        self.nodes = try Self.executionOrder(nodes, producer: producer, outputs: outputs)
    }

    private static func defaultOpset(_ model: ModelProto) throws(EngineError) -> Int {
        guard let version = model.opsetImports.first(where: { $0.domain.isEmpty || $0.domain == "ai.onnx" })?.version else {
            throw EngineError("model imports no default-domain (ai.onnx) opset")
        }
        guard OperatorRegistry.supportedOpsets.contains(Int(clamping: version)) else {
            throw EngineError("unsupported opset version \(version) (supported: \(OperatorRegistry.supportedOpsets.lowerBound)–\(OperatorRegistry.supportedOpsets.upperBound))")
        }
        return Int(version)
    }

    /// The nodes the outputs depend on, producers before consumers (depth-first
    /// from the outputs; a value met again while still on the stack is a cycle).
    private static func executionOrder(_ nodes: [Node], producer: [Int: Int], outputs: [Int]) throws(EngineError) -> [Node] {
        enum Mark { case visiting, done }
        var marks = [Mark?](repeating: nil, count: nodes.count)
        var order: [Node] = []
        // An explicit stack: graphs can be thousands of nodes deep.
        var stack: [(node: Int, nextInput: Int)] = []
        for output in outputs {
            guard let root = producer[output], marks[root] == nil else { continue }
            marks[root] = .visiting
            stack.append((root, 0))
            while let (node, nextInput) = stack.last {
                let inputs = nodes[node].inputs
                if nextInput < inputs.count {
                    stack[stack.count - 1].nextInput += 1
                    guard let value = inputs[nextInput], let dependency = producer[value] else { continue }
                    switch marks[dependency] {
                    case .done: continue
                    case .visiting: throw EngineError("graph has a cycle through \(nodes[dependency].label)")
                    case nil:
                        marks[dependency] = .visiting
                        stack.append((dependency, 0))
                    }
                } else {
                    marks[node] = .done
                    order.append(nodes[node])
                    stack.removeLast()
                }
            }
        }
        return order
    }
}

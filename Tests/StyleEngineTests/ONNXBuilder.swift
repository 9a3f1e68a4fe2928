/// Builds small ONNX models in the tests (one operator, odd attributes,
/// broken graphs) — the wire format by hand, like Tools/onnx/onnx_writer.py.
enum ONNXBuilder {
    enum Attribute {
        case int(String, Int)
        case float(String, Float)
        case string(String, String)
        case ints(String, [Int])
        case floats(String, [Float])
        case tensor(String, [UInt8])
    }

    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value, bytes: [UInt8] = []
        repeat {
            let byte = UInt8(value & 0x7f)
            value >>= 7
            bytes.append(value != 0 ? byte | 0x80 : byte)
        } while value != 0
        return bytes
    }

    static func key(_ field: Int, _ wireType: Int) -> [UInt8] { varint(UInt64(field << 3 | wireType)) }
    static func int(_ field: Int, _ value: Int) -> [UInt8] { key(field, 0) + varint(UInt64(bitPattern: Int64(value))) }
    static func bytes(_ field: Int, _ data: [UInt8]) -> [UInt8] { key(field, 2) + varint(UInt64(data.count)) + data }
    static func string(_ field: Int, _ text: String) -> [UInt8] { bytes(field, Array(text.utf8)) }
    static func float(_ field: Int, _ value: Float) -> [UInt8] {
        key(field, 5) + withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init)
    }
    static func packedInts(_ field: Int, _ values: [Int]) -> [UInt8] {
        bytes(field, values.flatMap { varint(UInt64(bitPattern: Int64($0))) })
    }
    static func rawFloats(_ values: [Float]) -> [UInt8] {
        values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
    }

    static func floatTensor(_ name: String, _ dims: [Int], _ values: [Float]) -> [UInt8] {
        (dims.isEmpty ? [] : packedInts(1, dims)) + int(2, 1) + string(8, name) + bytes(9, rawFloats(values))
    }

    static func intTensor(_ name: String, _ dims: [Int], _ values: [Int]) -> [UInt8] {
        (dims.isEmpty ? [] : packedInts(1, dims)) + int(2, 7) + string(8, name) + packedInts(7, values)
    }

    static func node(_ opType: String, _ inputs: [String], _ outputs: [String], name: String? = nil,
                     domain: String? = nil, _ attributes: [Attribute] = []) -> [UInt8] {
        var body = inputs.flatMap { string(1, $0) } + outputs.flatMap { string(2, $0) }
        body += string(3, name ?? outputs.first ?? opType) + string(4, opType)
        for attribute in attributes {
            let encoded: [UInt8]
            switch attribute {
            case .int(let n, let v): encoded = string(1, n) + int(3, v) + int(20, 2)
            case .float(let n, let v): encoded = string(1, n) + float(2, v) + int(20, 1)
            case .string(let n, let v): encoded = string(1, n) + string(4, v) + int(20, 3)
            case .ints(let n, let v): encoded = string(1, n) + packedInts(8, v) + int(20, 7)
            case .floats(let n, let v): encoded = string(1, n) + bytes(7, rawFloats(v)) + int(20, 6)
            case .tensor(let n, let t): encoded = string(1, n) + bytes(5, t) + int(20, 4)
            }
            body += bytes(5, encoded)
        }
        if let domain { body += string(7, domain) }
        return body
    }

    /// A ValueInfoProto; nil dims leave the shape out, negative entries are symbolic.
    static func valueInfo(_ name: String, _ dims: [Int]?) -> [UInt8] {
        var tensorType = int(1, 1)
        if let dims {
            let shape = dims.flatMap { bytes(1, $0 >= 0 ? int(1, $0) : string(2, "d\(-$0)")) }
            tensorType += bytes(2, shape)
        }
        return string(1, name) + bytes(2, bytes(1, tensorType))
    }

    /// A model with image input "x" ([1, C?, H, W]) and output "y".
    static func model(nodes: [[UInt8]], initializers: [[UInt8]] = [], inputChannels: Int? = nil,
                      extraInputs: [(String, [Int]?)] = [], outputs: [String] = ["y"],
                      opset: Int = 13, metadata: [(String, String)] = []) -> [UInt8] {
        var graph = nodes.flatMap { bytes(1, $0) } + string(2, "test")
        graph += initializers.flatMap { bytes(5, $0) }
        graph += bytes(11, valueInfo("x", [1, inputChannels ?? -1, -2, -3]))
        graph += extraInputs.flatMap { bytes(11, valueInfo($0.0, $0.1)) }
        graph += outputs.flatMap { bytes(12, valueInfo($0, nil)) }
        var model = int(1, 8) + bytes(7, graph) + bytes(8, string(1, "") + int(2, opset))
        for (k, v) in metadata { model += bytes(14, string(1, k) + string(2, v)) }
        return model
    }

    /// One node "op" from x (plus constant inputs) to y.
    static func singleOp(_ opType: String, constants: [(String, [Int], [Float])] = [],
                         intConstants: [(String, [Int], [Int])] = [], inputs: [String]? = nil,
                         attributes: [Attribute] = [], opset: Int = 13) -> [UInt8] {
        let initializers = constants.map { floatTensor($0.0, $0.1, $0.2) } + intConstants.map { intTensor($0.0, $0.1, $0.2) }
        let nodeInputs = inputs ?? (["x"] + constants.map(\.0) + intConstants.map(\.0))
        return model(nodes: [node(opType, nodeInputs, ["y"], attributes)], initializers: initializers, opset: opset)
    }
}

import Foundation

/// The parts of onnx.proto the engine uses, decoded from the wire format.
/// Field numbers are onnx.proto's; anything else in the file is skipped.

struct ModelProto {
    /// The bytes of the ONNX file at `path`; `what` names the file in the error ("model").
    static func fileBytes(_ path: String, describing what: String) throws(EngineError) -> [UInt8] {
        do {
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw EngineError("cannot read \(what) \(path): \(error.localizedDescription)")
        }
    }

    var irVersion: Int64 = 0
    var opsetImports: [(domain: String, version: Int64)] = []
    var graph: GraphProto?
    var metadataProps: [(key: String, value: String)] = []

    init(bytes: [UInt8]) throws(EngineError) {
        var reader = ProtobufReader(bytes: bytes)
        while !reader.isAtEnd {
            let (field, wire) = try reader.readTag()
            switch (field, wire) {
            case (1, .varint): irVersion = try reader.readInt64()
            case (7, .lengthDelimited):
                var message = try reader.readMessage()
                graph = try GraphProto(&message)
            case (8, .lengthDelimited):
                var message = try reader.readMessage()
                opsetImports.append(try Self.readOperatorSetID(&message))
            case (14, .lengthDelimited):
                var message = try reader.readMessage()
                metadataProps.append(try readStringStringEntry(&message))
            default: try reader.skip(wire)
            }
        }
    }

    private static func readOperatorSetID(_ reader: inout ProtobufReader) throws(EngineError) -> (domain: String, version: Int64) {
        var domain = "", version: Int64 = 0
        while !reader.isAtEnd {
            let (field, wire) = try reader.readTag()
            switch (field, wire) {
            case (1, .lengthDelimited): domain = try reader.readString()
            case (2, .varint): version = try reader.readInt64()
            default: try reader.skip(wire)
            }
        }
        return (domain, version)
    }
}

private func readStringStringEntry(_ reader: inout ProtobufReader) throws(EngineError) -> (key: String, value: String) {
    var key = "", value = ""
    while !reader.isAtEnd {
        let (field, wire) = try reader.readTag()
        switch (field, wire) {
        case (1, .lengthDelimited): key = try reader.readString()
        case (2, .lengthDelimited): value = try reader.readString()
        default: try reader.skip(wire)
        }
    }
    return (key, value)
}

struct GraphProto {
    var name = ""
    var nodes: [NodeProto] = []
    var initializers: [TensorProto] = []
    var inputs: [ValueInfoProto] = []
    var outputs: [ValueInfoProto] = []
    var valueInfo: [ValueInfoProto] = []

    init(_ reader: inout ProtobufReader) throws(EngineError) {
        while !reader.isAtEnd {
            let (field, wire) = try reader.readTag()
            guard wire == .lengthDelimited else { try reader.skip(wire); continue }
            switch field {
            case 1:
                var message = try reader.readMessage()
                nodes.append(try NodeProto(&message))
            case 2: name = try reader.readString()
            case 5:
                var message = try reader.readMessage()
                initializers.append(try TensorProto(&message))
            case 11, 12, 13:
                var message = try reader.readMessage()
                let info = try ValueInfoProto(&message)
                switch field {
                case 11: inputs.append(info)
                case 12: outputs.append(info)
                default: valueInfo.append(info)
                }
            case 15: throw EngineError("sparse initializers are not supported")
            default: try reader.skip(wire)
            }
        }
    }
}

struct NodeProto {
    var inputs: [String] = []
    var outputs: [String] = []
    var name = ""
    var opType = ""
    var domain = ""
    var attributes: [AttributeProto] = []

    init(_ reader: inout ProtobufReader) throws(EngineError) {
        while !reader.isAtEnd {
            let (field, wire) = try reader.readTag()
            guard wire == .lengthDelimited else { try reader.skip(wire); continue }
            switch field {
            case 1: inputs.append(try reader.readString())
            case 2: outputs.append(try reader.readString())
            case 3: name = try reader.readString()
            case 4: opType = try reader.readString()
            case 7: domain = try reader.readString()
            case 5:
                var message = try reader.readMessage()
                attributes.append(try AttributeProto(&message))
            default: try reader.skip(wire)
            }
        }
    }
}

struct AttributeProto {
    /// AttributeProto.AttributeType values.
    enum Kind: Int64 {
        case undefined = 0, float = 1, int = 2, string = 3, tensor = 4, graph = 5
        case floats = 6, ints = 7, strings = 8, tensors = 9, graphs = 10
        case sparseTensor = 11, sparseTensors = 12, typeProto = 13, typeProtos = 14
    }

    var name = ""
    /// The declared type; files from old exporters may leave it out, in which
    /// case `kind` is inferred from the fields present.
    var declaredType: Int64?
    var f: Float = 0
    var i: Int64 = 0
    var s: [UInt8] = []
    var t: TensorProto?
    var floats: [Float] = []
    var ints: [Int64] = []
    private var present: Set<Kind> = []

    init(_ reader: inout ProtobufReader) throws(EngineError) {
        while !reader.isAtEnd {
            let (field, wire) = try reader.readTag()
            switch (field, wire) {
            case (1, .lengthDelimited): name = try reader.readString()
            case (20, .varint): declaredType = try reader.readInt64()
            case (2, .fixed32): f = try reader.readFloat(); present.insert(.float)
            case (3, .varint): i = try reader.readInt64(); present.insert(.int)
            case (4, .lengthDelimited): s = Array(try reader.readBytes()); present.insert(.string)
            case (5, .lengthDelimited):
                var message = try reader.readMessage()
                t = try TensorProto(&message)
                present.insert(.tensor)
            case (6, .lengthDelimited): try reader.skip(wire); present.insert(.graph)
            case (7, _): try reader.readRepeatedFloats(wire, into: &floats); present.insert(.floats)
            case (8, _): try reader.readRepeatedVarints(wire, into: &ints); present.insert(.ints)
            case (9, .lengthDelimited): try reader.skip(wire); present.insert(.strings)
            default: try reader.skip(wire)
            }
        }
    }

    var kind: Kind {
        if let declaredType { return Kind(rawValue: declaredType) ?? .undefined }
        // Without a declared type, the single field present says it.
        for candidate: Kind in [.tensor, .floats, .ints, .string, .float, .int, .graph, .strings] where present.contains(candidate) {
            return candidate
        }
        return .undefined
    }
}

struct ValueInfoProto {
    enum Dimension: Equatable {
        case value(Int64)
        case parameter(String)
        case unknown
    }

    var name = ""
    /// TensorProto.DataType of a tensor value, if declared.
    var elementType: Int32?
    /// The declared shape, if any.
    var dimensions: [Dimension]?

    init(_ reader: inout ProtobufReader) throws(EngineError) {
        while !reader.isAtEnd {
            let (field, wire) = try reader.readTag()
            switch (field, wire) {
            case (1, .lengthDelimited): name = try reader.readString()
            case (2, .lengthDelimited):
                var type = try reader.readMessage()
                try readType(&type)
            default: try reader.skip(wire)
            }
        }
    }

    /// TypeProto: only tensor_type (1) matters here.
    private mutating func readType(_ reader: inout ProtobufReader) throws(EngineError) {
        while !reader.isAtEnd {
            let (field, wire) = try reader.readTag()
            guard field == 1, wire == .lengthDelimited else { try reader.skip(wire); continue }
            var tensorType = try reader.readMessage()
            while !tensorType.isAtEnd {
                let (tensorField, tensorWire) = try tensorType.readTag()
                switch (tensorField, tensorWire) {
                case (1, .varint): elementType = try tensorType.readInt32()
                case (2, .lengthDelimited):
                    var shape = try tensorType.readMessage()
                    dimensions = try Self.readShape(&shape)
                default: try tensorType.skip(tensorWire)
                }
            }
        }
    }

    private static func readShape(_ reader: inout ProtobufReader) throws(EngineError) -> [Dimension] {
        var dimensions: [Dimension] = []
        while !reader.isAtEnd {
            let (field, wire) = try reader.readTag()
            guard field == 1, wire == .lengthDelimited else { try reader.skip(wire); continue }
            var dimensionReader = try reader.readMessage()
            var dimension = Dimension.unknown
            while !dimensionReader.isAtEnd {
                let (dimensionField, dimensionWire) = try dimensionReader.readTag()
                switch (dimensionField, dimensionWire) {
                case (1, .varint): dimension = .value(try dimensionReader.readInt64())
                case (2, .lengthDelimited): dimension = .parameter(try dimensionReader.readString())
                default: try dimensionReader.skip(dimensionWire)
                }
            }
            dimensions.append(dimension)
        }
        return dimensions
    }
}

struct TensorProto {
    /// TensorProto.DataType values the engine reads.
    enum DataType: Int32 {
        case float = 1, uint8 = 2, int8 = 3, uint16 = 4, int16 = 5, int32 = 6, int64 = 7
        case string = 8, bool = 9, float16 = 10, double = 11, uint32 = 12, uint64 = 13
        case bfloat16 = 16
    }

    var name = ""
    var dims: [Int64] = []
    var dataType: Int32 = 0
    var floatData: [Float] = []
    var int32Data: [Int64] = []  // int32_data, widened; also carries 8/16-bit types and float16 bits
    var int64Data: [Int64] = []
    var uint64Data: [Int64] = []  // uint64_data, bit patterns
    var doubleData: [Double] = []
    var rawData: ArraySlice<UInt8>?
    var isExternal = false

    init(_ reader: inout ProtobufReader) throws(EngineError) {
        while !reader.isAtEnd {
            let (field, wire) = try reader.readTag()
            switch (field, wire) {
            case (1, _): try reader.readRepeatedVarints(wire, into: &dims)
            case (2, .varint): dataType = try reader.readInt32()
            case (4, _): try reader.readRepeatedFloats(wire, into: &floatData)
            case (5, _): try reader.readRepeatedVarints(wire, into: &int32Data)
            case (7, _): try reader.readRepeatedVarints(wire, into: &int64Data)
            case (8, .lengthDelimited): name = try reader.readString()
            case (9, .lengthDelimited): rawData = try reader.readBytes()
            case (10, _): try reader.readRepeatedDoubles(wire, into: &doubleData)
            case (11, _): try reader.readRepeatedVarints(wire, into: &uint64Data)
            case (14, .varint): isExternal = try reader.readInt64() == 1
            case (3, .lengthDelimited): throw EngineError("segmented tensors are not supported")
            default: try reader.skip(wire)
            }
        }
    }
}

/// A reader for the protobuf wire format, just enough for ONNX.
///
/// It works on a byte array it never copies: a nested message is another
/// reader over a sub-range of the same bytes. Every read is bounds-checked and
/// every failure is an `EngineError`, so a truncated or corrupted file cannot
/// crash the process.
struct ProtobufReader {
    enum WireType: UInt64 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    /// ONNX messages nest a handful of levels (model → graph → node →
    /// attribute → tensor); subgraphs in attributes add more. Deeper than this
    /// is a malicious or broken file, and recursion must stop somewhere.
    static let maximumDepth = 64

    private let bytes: [UInt8]
    private var position: Int
    private let end: Int
    private let depth: Int

    init(bytes: [UInt8]) {
        self.init(bytes: bytes, range: 0..<bytes.count, depth: 0)
    }

    private init(bytes: [UInt8], range: Range<Int>, depth: Int) {
        self.bytes = bytes
        self.position = range.lowerBound
        self.end = range.upperBound
        self.depth = depth
    }

    var isAtEnd: Bool { position >= end }

    /// Bytes left in this message.
    var remaining: Int { end - position }

    // MARK: Primitive reads

    mutating func readVarint() throws(EngineError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else { throw EngineError("truncated varint") }
            let byte = bytes[position]
            position += 1
            // The tenth byte may only carry the top bit of a 64-bit value.
            if shift == 63 && byte > 1 { throw EngineError("varint overflows 64 bits") }
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw EngineError("varint longer than 10 bytes") }
        }
    }

    mutating func readFixed32() throws(EngineError) -> UInt32 {
        try readLittleEndian()
    }

    mutating func readFixed64() throws(EngineError) -> UInt64 {
        try readLittleEndian()
    }

    /// A fixed-width field: T's bytes, least significant first.
    private mutating func readLittleEndian<T: FixedWidthInteger & UnsignedInteger>() throws(EngineError) -> T {
        let size = T.bitWidth / 8
        guard remaining >= size else { throw EngineError("truncated \(T.bitWidth)-bit field") }
        var value: T = 0
        for k in 0..<size { value |= T(bytes[position + k]) << (8 * k) }
        position += size
        return value
    }

    /// Reads a field key: the field number and how its value is encoded.
    mutating func readTag() throws(EngineError) -> (field: Int, wireType: WireType) {
        let key = try readVarint()
        let field = key >> 3
        guard field > 0, field <= 536_870_911 else { throw EngineError("invalid protobuf field number \(field)") }
        guard let wireType = WireType(rawValue: key & 7) else {
            throw EngineError("unsupported protobuf wire type \(key & 7) (field \(field))")
        }
        return (Int(field), wireType)
    }

    /// Reads a length prefix and returns the byte range it covers, checked against this message.
    private mutating func readLengthDelimitedRange() throws(EngineError) -> Range<Int> {
        let length = try readVarint()
        guard length <= UInt64(remaining) else {
            throw EngineError("length-delimited field of \(length) bytes overruns its message")
        }
        let range = position..<(position + Int(length))
        position = range.upperBound
        return range
    }

    // MARK: Typed reads

    mutating func readMessage() throws(EngineError) -> ProtobufReader {
        guard depth < Self.maximumDepth else { throw EngineError("protobuf messages nested too deeply") }
        let range = try readLengthDelimitedRange()
        return ProtobufReader(bytes: bytes, range: range, depth: depth + 1)
    }

    mutating func readBytes() throws(EngineError) -> ArraySlice<UInt8> {
        let range = try readLengthDelimitedRange()
        return bytes[range]
    }

    mutating func readString() throws(EngineError) -> String {
        String(decoding: try readBytes(), as: UTF8.self)
    }

    mutating func readInt64() throws(EngineError) -> Int64 {
        Int64(bitPattern: try readVarint())
    }

    /// int32 fields are sign-extended to 64 bits on the wire.
    mutating func readInt32() throws(EngineError) -> Int32 {
        Int32(truncatingIfNeeded: Int64(bitPattern: try readVarint()))
    }

    mutating func readFloat() throws(EngineError) -> Float {
        Float(bitPattern: try readFixed32())
    }

    mutating func readDouble() throws(EngineError) -> Double {
        Double(bitPattern: try readFixed64())
    }

    /// Skips a field this decoder does not use.
    mutating func skip(_ wireType: WireType) throws(EngineError) {
        switch wireType {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .fixed32: _ = try readFixed32()
        case .lengthDelimited: _ = try readLengthDelimitedRange()
        }
    }

    // MARK: Repeated scalars, packed or not

    /// Appends one element, or a packed run of them, of a repeated varint field.
    mutating func readRepeatedVarints(_ wireType: WireType, into values: inout [Int64]) throws(EngineError) {
        try readRepeated(wireType, elementWireType: .varint, typeName: "integer", into: &values) { reader throws(EngineError) in
            try reader.readInt64()
        }
    }

    mutating func readRepeatedFloats(_ wireType: WireType, into values: inout [Float]) throws(EngineError) {
        try readRepeated(wireType, elementWireType: .fixed32, typeName: "float", into: &values) { reader throws(EngineError) in
            try reader.readFloat()
        }
    }

    mutating func readRepeatedDoubles(_ wireType: WireType, into values: inout [Double]) throws(EngineError) {
        try readRepeated(wireType, elementWireType: .fixed64, typeName: "double", into: &values) { reader throws(EngineError) in
            try reader.readDouble()
        }
    }

    /// A repeated scalar field comes as single elements of `elementWireType`
    /// or as packed runs (length-delimited); either way `readElement` reads one element.
    private mutating func readRepeated<Element>(
        _ wireType: WireType, elementWireType: WireType, typeName: String, into values: inout [Element],
        readElement: (inout ProtobufReader) throws(EngineError) -> Element
    ) throws(EngineError) {
        switch wireType {
        case elementWireType:
            values.append(try readElement(&self))
        case .lengthDelimited:
            var packed = try readMessage()
            // A varint takes at least one byte, a fixed-width element exactly its width:
            // either way this bounds the reservation by the file size.
            let elementSize = switch elementWireType {
            case .fixed32: 4
            case .fixed64: 8
            default: 1
            }
            guard packed.remaining % elementSize == 0 else {
                throw EngineError("packed \(typeName) field is not a multiple of \(elementSize) bytes")
            }
            values.reserveCapacity(values.count + packed.remaining / elementSize)
            while !packed.isAtEnd { values.append(try readElement(&packed)) }
        default:
            throw EngineError("repeated \(typeName) field has wire type \(wireType.rawValue)")
        }
    }
}

import XCTest
@testable import StyleEngine

final class ProtobufReaderTests: XCTestCase {
    func testVarintsOfEverySize() throws {
        for value: UInt64 in [0, 1, 127, 128, 300, 1 << 35, UInt64.max] {
            var reader = ProtobufReader(bytes: ONNXBuilder.varint(value))
            XCTAssertEqual(try reader.readVarint(), value)
            XCTAssertTrue(reader.isAtEnd)
        }
        // Negative int64 is ten bytes of two's complement; int32 sign-extends the same way.
        var reader = ProtobufReader(bytes: ONNXBuilder.int(1, -2))
        XCTAssertEqual(try reader.readTag().field, 1)
        XCTAssertEqual(try reader.readInt64(), -2)
    }

    func testOverlongAndTruncatedVarintsThrow() {
        var overlong = ProtobufReader(bytes: [UInt8](repeating: 0xff, count: 10) + [0x01])
        assertEngineError(["varint"]) { () throws(EngineError) in try overlong.readVarint() }
        var tooBig = ProtobufReader(bytes: [UInt8](repeating: 0xff, count: 9) + [0x02])
        assertEngineError(["64 bits"]) { () throws(EngineError) in try tooBig.readVarint() }
        var truncated = ProtobufReader(bytes: [0x80, 0x80])
        assertEngineError(["truncated"]) { () throws(EngineError) in try truncated.readVarint() }
    }

    func testLengthPastTheEndThrows() {
        var reader = ProtobufReader(bytes: ONNXBuilder.key(4, 2) + [50, 1, 2, 3])
        XCTAssertNoThrow(try reader.readTag())
        assertEngineError(["overruns"]) { () throws(EngineError) in try reader.readBytes() }
    }

    func testGroupWireTypesAndFieldZeroAreRejected() {
        var group = ProtobufReader(bytes: ONNXBuilder.key(3, 3))
        assertEngineError(["wire type 3"]) { () throws(EngineError) in try group.readTag() }
        var zero = ProtobufReader(bytes: [0x00])
        assertEngineError(["field number"]) { () throws(EngineError) in try zero.readTag() }
    }

    func testPackedAndUnpackedRepeatedFieldsAccumulate() throws {
        // ints = [1, 2] packed, then 3 unpacked, then [4] packed: one list.
        let bytes = ONNXBuilder.packedInts(8, [1, 2]) + ONNXBuilder.int(8, 3) + ONNXBuilder.packedInts(8, [4])
        var reader = ProtobufReader(bytes: bytes)
        var values: [Int64] = []
        while !reader.isAtEnd {
            let (field, wire) = try reader.readTag()
            XCTAssertEqual(field, 8)
            try reader.readRepeatedVarints(wire, into: &values)
        }
        XCTAssertEqual(values, [1, 2, 3, 4])

        var floats: [Float] = []
        var floatReader = ProtobufReader(bytes: ONNXBuilder.float(7, 1.5) + ONNXBuilder.bytes(7, ONNXBuilder.rawFloats([2, -3])))
        while !floatReader.isAtEnd {
            let (_, wire) = try floatReader.readTag()
            try floatReader.readRepeatedFloats(wire, into: &floats)
        }
        XCTAssertEqual(floats, [1.5, 2, -3])

        var ragged = ProtobufReader(bytes: ONNXBuilder.bytes(7, [0, 0, 0]))
        let (_, wire) = try ragged.readTag()
        assertEngineError(["multiple of 4"]) { () throws(EngineError) in try ragged.readRepeatedFloats(wire, into: &floats) }
    }

    func testUnknownFieldsAreSkipped() throws {
        // A tensor with unknown fields of every wire type around the known ones.
        let tensorBytes = ONNXBuilder.int(99, 7) + ONNXBuilder.key(98, 1) + [UInt8](repeating: 0, count: 8)
            + ONNXBuilder.floatTensor("t", [2], [1, 2]) + ONNXBuilder.float(97, 1) + ONNXBuilder.string(96, "x")
        var reader = ProtobufReader(bytes: tensorBytes)
        let tensor = try TensorProto(&reader)
        XCTAssertEqual(tensor.name, "t")
        XCTAssertEqual(try ConstantTensor(tensor).floats, [1, 2])
    }

    func testNestingDepthIsLimited() {
        var nested: [UInt8] = []
        for _ in 0..<(ProtobufReader.maximumDepth + 2) { nested = ONNXBuilder.bytes(1, nested) }
        var reader = ProtobufReader(bytes: nested)
        assertEngineError(["nested too deeply"]) { () throws(EngineError) in
            while true {
                _ = try reader.readTag()
                reader = try reader.readMessage()
            }
        }
    }

    func testTensorDataTypesDecode() throws {
        func decode(_ bytes: [UInt8]) throws(EngineError) -> ConstantTensor {
            var reader = ProtobufReader(bytes: bytes)
            return try ConstantTensor(try TensorProto(&reader))
        }
        let dims = ONNXBuilder.packedInts(1, [3])
        // FLOAT16 raw: 1.0, -2.0, 65504 (max half).
        let half = try decode(dims + ONNXBuilder.int(2, 10) + ONNXBuilder.bytes(9, [0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b]))
        XCTAssertEqual(half.floats, [1, -2, 65504])
        // FLOAT16 through int32_data, subnormal smallest half.
        XCTAssertEqual(try decode(ONNXBuilder.packedInts(1, [1]) + ONNXBuilder.int(2, 10) + ONNXBuilder.packedInts(5, [1])).floats,
                       [Float(0x1p-24)])
        // DOUBLE via double_data.
        let doubles = [0.5, -1.25, 3].flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        XCTAssertEqual(try decode(dims + ONNXBuilder.int(2, 11) + ONNXBuilder.bytes(10, doubles)).floats, [0.5, -1.25, 3])
        // INT8 raw is signed; UINT8 is not; BOOL is 0/1.
        XCTAssertEqual(try decode(dims + ONNXBuilder.int(2, 3) + ONNXBuilder.bytes(9, [0xff, 0x01, 0x80])).int64s(), [-1, 1, -128])
        XCTAssertEqual(try decode(dims + ONNXBuilder.int(2, 2) + ONNXBuilder.bytes(9, [0xff, 0x01, 0x80])).int64s(), [255, 1, 128])
        XCTAssertEqual(try decode(dims + ONNXBuilder.int(2, 9) + ONNXBuilder.bytes(9, [0, 2, 1])).int64s(), [0, 1, 1])
        // INT32 via int32_data with a negative value; INT64 via int64_data.
        XCTAssertEqual(try decode(dims + ONNXBuilder.int(2, 6) + ONNXBuilder.packedInts(5, [-5, 0, 7])).int64s(), [-5, 0, 7])
        XCTAssertEqual(try decode(dims + ONNXBuilder.int(2, 7) + ONNXBuilder.packedInts(7, [1 << 40, -1, 2])).int64s(), [1 << 40, -1, 2])
        // Scalars have no dims and one element.
        XCTAssertEqual(try decode(ONNXBuilder.int(2, 1) + ONNXBuilder.float(4, 2.5)).shape, [])
    }

    func testTensorSizeMismatchesAndExternalDataThrow() {
        func decode(_ bytes: [UInt8]) throws(EngineError) -> ConstantTensor {
            var reader = ProtobufReader(bytes: bytes)
            return try ConstantTensor(try TensorProto(&reader))
        }
        assertEngineError(["raw_data has 8 bytes", "needs 12"]) { () throws(EngineError) in
            try decode(ONNXBuilder.packedInts(1, [3]) + ONNXBuilder.int(2, 1) + ONNXBuilder.bytes(9, [UInt8](repeating: 0, count: 8)))
        }
        assertEngineError(["has 1 values"]) { () throws(EngineError) in
            try decode(ONNXBuilder.packedInts(1, [2]) + ONNXBuilder.int(2, 1) + ONNXBuilder.float(4, 1))
        }
        assertEngineError(["too large"]) { () throws(EngineError) in
            try decode(ONNXBuilder.packedInts(1, [1 << 20, 1 << 20]) + ONNXBuilder.int(2, 1))
        }
        assertEngineError(["external"]) { () throws(EngineError) in
            try decode(ONNXBuilder.string(8, "w") + ONNXBuilder.int(2, 1) + ONNXBuilder.int(14, 1))
        }
        assertEngineError(["STRING"]) { () throws(EngineError) in
            try decode(ONNXBuilder.packedInts(1, [1]) + ONNXBuilder.int(2, 8))
        }
    }
}

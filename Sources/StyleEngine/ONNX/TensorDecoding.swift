/// TensorProto → ConstantTensor: every ONNX data type the engine accepts
/// becomes float or int64, with the data size checked against the dimensions.
extension ConstantTensor {
    init(_ proto: TensorProto) throws(EngineError) {
        let label = proto.name.isEmpty ? "tensor" : "tensor '\(proto.name)'"
        do throws(EngineError) {
            self = try Self.decode(proto)
            storedType = TensorProto.DataType(rawValue: proto.dataType)
        } catch {
            throw error.prefixed(label)
        }
    }

    private static func decode(_ proto: TensorProto) throws(EngineError) -> ConstantTensor {
        guard !proto.isExternal else {
            throw EngineError("stores its data in an external file, which is not supported")
        }
        var shape: [Int] = []
        for dimension in proto.dims {
            guard dimension >= 0, dimension <= Int64(Limits.maximumElements) else {
                throw EngineError("has invalid dimension \(dimension)")
            }
            shape.append(Int(dimension))
        }
        let count = try elementCount(of: shape)
        guard let type = TensorProto.DataType(rawValue: proto.dataType) else {
            throw EngineError("has unsupported data type \(proto.dataType)")
        }
        let raw = proto.rawData

        /// Checks a typed field's length, or decodes raw_data of `width` bytes per element.
        func values<Source, Result>(
            _ typed: [Source], width: Int, fromRaw: (UnsafeRawBufferPointer, Int) -> Result, fromTyped: (Source) -> Result
        ) throws(EngineError) -> [Result] {
            if let raw {
                guard raw.count == count * width else {
                    throw EngineError("raw_data has \(raw.count) bytes, shape \(shape) needs \(count * width)")
                }
                return raw.withUnsafeBytes { bytes in (0..<count).map { fromRaw(bytes, $0 * width) } }
            }
            guard typed.count == count else {
                throw EngineError("has \(typed.count) values, shape \(shape) needs \(count)")
            }
            return typed.map(fromTyped)
        }

        func load<T: FixedWidthInteger>(_ bytes: UnsafeRawBufferPointer, _ offset: Int, as: T.Type) -> T {
            T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        }

        /// Integers of type `T`: in raw_data at T's own width; in a typed field widened to 64 bits
        /// (int32_data also carries the 8- and 16-bit types), so narrowed back to T.
        func integers<T: FixedWidthInteger>(_ typed: [Int64], as: T.Type) throws(EngineError) -> [Int64] {
            try values(typed, width: MemoryLayout<T>.size,
                       fromRaw: { Int64(load($0, $1, as: T.self)) }, fromTyped: { Int64(T(truncatingIfNeeded: $0)) })
        }

        switch type {
        case .float:
            return ConstantTensor(shape: shape, floats: try values(proto.floatData, width: 4,
                fromRaw: { Float(bitPattern: load($0, $1, as: UInt32.self)) }, fromTyped: { $0 }))
        case .double:
            return ConstantTensor(shape: shape, floats: try values(proto.doubleData, width: 8,
                fromRaw: { Float(Double(bitPattern: load($0, $1, as: UInt64.self))) }, fromTyped: { Float($0) }))
        case .float16:
            return ConstantTensor(shape: shape, floats: try values(proto.int32Data, width: 2,
                fromRaw: { floatFromHalf(load($0, $1, as: UInt16.self)) },
                fromTyped: { floatFromHalf(UInt16(truncatingIfNeeded: $0)) }))
        case .bfloat16:
            return ConstantTensor(shape: shape, floats: try values(proto.int32Data, width: 2,
                fromRaw: { Float(bitPattern: UInt32(load($0, $1, as: UInt16.self)) << 16) },
                fromTyped: { Float(bitPattern: UInt32(UInt16(truncatingIfNeeded: $0)) << 16) }))
        case .int8: return ConstantTensor(shape: shape, int64s: try integers(proto.int32Data, as: Int8.self))
        case .uint8: return ConstantTensor(shape: shape, int64s: try integers(proto.int32Data, as: UInt8.self))
        case .bool:
            return ConstantTensor(shape: shape, int64s: try values(proto.int32Data, width: 1,
                fromRaw: { load($0, $1, as: UInt8.self) != 0 ? 1 : 0 }, fromTyped: { $0 != 0 ? 1 : 0 }))
        case .int16: return ConstantTensor(shape: shape, int64s: try integers(proto.int32Data, as: Int16.self))
        case .uint16: return ConstantTensor(shape: shape, int64s: try integers(proto.int32Data, as: UInt16.self))
        case .int32: return ConstantTensor(shape: shape, int64s: try integers(proto.int32Data, as: Int32.self))
        case .int64: return ConstantTensor(shape: shape, int64s: try integers(proto.int64Data, as: Int64.self))
        case .uint32:
            return ConstantTensor(shape: shape, int64s: try values(proto.uint64Data, width: 4,
                fromRaw: { Int64(load($0, $1, as: UInt32.self)) }, fromTyped: { $0 }))
        case .uint64:
            return ConstantTensor(shape: shape, int64s: try values(proto.uint64Data, width: 8,
                fromRaw: { load($0, $1, as: Int64.self) }, fromTyped: { $0 }))
        case .string:
            throw EngineError("has data type STRING, which is not supported")
        }
    }
}

/// The element type an ONNX data type computes as, or nil for types the engine does not handle.
func elementType(ofONNXDataType dataType: Int64) -> ElementType? {
    guard let type = TensorProto.DataType(rawValue: Int32(truncatingIfNeeded: dataType)),
          Int64(type.rawValue) == dataType else { return nil }
    switch type {
    case .float, .double, .float16, .bfloat16: return .float
    case .int8, .uint8, .int16, .uint16, .int32, .int64, .uint32, .uint64, .bool: return .int64
    case .string: return nil
    }
}

/// IEEE half → float, including subnormals, infinities and NaN.
func floatFromHalf(_ bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = Int((bits >> 10) & 0x1f)
    let mantissa = UInt32(bits & 0x3ff)
    if exponent == 0x1f {
        return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13))
    }
    if exponent == 0 {
        // Subnormal (or zero): mantissa × 2^-24.
        let magnitude = Float(mantissa) * 0x1p-24
        return sign != 0 ? -magnitude : magnitude
    }
    return Float(bitPattern: sign | (UInt32(exponent + 112) << 23) | (mantissa << 13))
}

"""A tiny ONNX writer: the protobuf wire format by hand, Python stdlib only.

Enough of onnx.proto to write the models Stylize's tests and tools need:
tensors, nodes with attributes, graphs, models. Field numbers are those of
onnx.proto. Floats go into raw_data (little-endian), like PyTorch exports.

    from onnx_writer import *
    w = tensor("w", [8, 3, 3, 3], weights)
    n = node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1])
    g = graph("net", [n], inputs=[value_info("x", FLOAT, [1, 3, "H", "W"])],
              outputs=[value_info("y", FLOAT, [1, 8, "H", "W"])], initializers=[w])
    open("net.onnx", "wb").write(model(g))
"""
import struct

# TensorProto.DataType
FLOAT, UINT8, INT8, INT32, INT64, BOOL, FLOAT16, DOUBLE = 1, 2, 3, 6, 7, 9, 10, 11

# AttributeProto.AttributeType
_ATTR_FLOAT, _ATTR_INT, _ATTR_STRING, _ATTR_TENSOR, _ATTR_FLOATS, _ATTR_INTS = 1, 2, 3, 4, 6, 7


# --- wire format -------------------------------------------------------------

def _varint(value):
    value &= (1 << 64) - 1  # negative int64 → two's complement, 10 bytes
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(field, wire_type):
    return _varint((field << 3) | wire_type)


def _int_field(field, value):
    return _key(field, 0) + _varint(value)


def _bytes_field(field, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return _key(field, 2) + _varint(len(data)) + bytes(data)


def _float_field(field, value):
    return _key(field, 5) + struct.pack("<f", value)


def _packed_varints(field, values):
    return _bytes_field(field, b"".join(_varint(v) for v in values))


def _packed_floats(field, values):
    return _bytes_field(field, struct.pack("<%df" % len(values), *values))


# --- messages -----------------------------------------------------------------

class Tensor(bytes):
    """An encoded TensorProto (bytes), usable as initializer or attribute."""


def tensor(name, dims, values, data_type=FLOAT, raw=True):
    """TensorProto. `values` is a flat list; raw=False writes the typed
    float_data/int64_data/int32_data fields instead of raw_data."""
    count = 1
    for d in dims:
        count *= d
    if len(values) != count:
        raise ValueError("tensor %s: %d values for dims %s" % (name, len(values), dims))
    body = _packed_varints(1, dims) if dims else b""
    body += _int_field(2, data_type)
    if name:
        body += _bytes_field(8, name)
    if data_type == FLOAT:
        body += _bytes_field(9, struct.pack("<%df" % count, *values)) if raw else _packed_floats(4, values)
    elif data_type == INT64:
        body += _bytes_field(9, struct.pack("<%dq" % count, *values)) if raw else _packed_varints(7, values)
    elif data_type == DOUBLE:
        body += _bytes_field(9, struct.pack("<%dd" % count, *values))
    elif data_type == INT32:
        body += _bytes_field(9, struct.pack("<%di" % count, *values)) if raw else _packed_varints(5, values)
    elif data_type in (UINT8, BOOL):
        body += _bytes_field(9, bytes(int(v) & 0xFF for v in values))
    elif data_type == INT8:
        body += _bytes_field(9, struct.pack("<%db" % count, *values))
    elif data_type == FLOAT16:
        body += _bytes_field(9, struct.pack("<%de" % count, *values))
    else:
        raise ValueError("unsupported data type %d" % data_type)
    return Tensor(body)


def _attribute(name, value):
    body = _bytes_field(1, name)
    if isinstance(value, Tensor):
        return body + _bytes_field(5, value) + _int_field(20, _ATTR_TENSOR)
    if isinstance(value, bool) or isinstance(value, int):
        return body + _int_field(3, int(value)) + _int_field(20, _ATTR_INT)
    if isinstance(value, float):
        return body + _float_field(2, value) + _int_field(20, _ATTR_FLOAT)
    if isinstance(value, (str, bytes)):
        return body + _bytes_field(4, value) + _int_field(20, _ATTR_STRING)
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, int) for v in value):
            return body + _packed_varints(8, value) + _int_field(20, _ATTR_INTS)
        return body + _packed_floats(7, [float(v) for v in value]) + _int_field(20, _ATTR_FLOATS)
    raise TypeError("attribute %s: unsupported value %r" % (name, value))


def node(op_type, inputs, outputs, name=None, domain=None, **attributes):
    """NodeProto. Use "" for an omitted optional input; attributes by keyword
    (int, float, str, list of ints/floats, or a Tensor)."""
    body = b"".join(_bytes_field(1, i) for i in inputs)
    body += b"".join(_bytes_field(2, o) for o in outputs)
    body += _bytes_field(3, name or (outputs[0] if outputs else op_type))
    body += _bytes_field(4, op_type)
    for key in sorted(attributes):
        body += _bytes_field(5, _attribute(key, attributes[key]))
    if domain is not None:
        body += _bytes_field(7, domain)
    return body


def value_info(name, elem_type=FLOAT, dims=None):
    """ValueInfoProto for a tensor; dims entries are ints or symbolic names."""
    tensor_type = _int_field(1, elem_type)
    if dims is not None:
        shape = b""
        for d in dims:
            dim = _int_field(1, d) if isinstance(d, int) else _bytes_field(2, d)
            shape += _bytes_field(1, dim)
        tensor_type += _bytes_field(2, shape)
    return _bytes_field(1, name) + _bytes_field(2, _bytes_field(1, tensor_type))


def graph(name, nodes, inputs, outputs, initializers=(), value_infos=()):
    body = b"".join(_bytes_field(1, n) for n in nodes)
    body += _bytes_field(2, name)
    body += b"".join(_bytes_field(5, t) for t in initializers)
    body += b"".join(_bytes_field(11, i) for i in inputs)
    body += b"".join(_bytes_field(12, o) for o in outputs)
    body += b"".join(_bytes_field(13, v) for v in value_infos)
    return body


def model(graph_bytes, opset=13, ir_version=None, metadata=None, producer="stylize-onnx-writer"):
    """ModelProto with one default-domain opset import."""
    if ir_version is None:
        # The IR version that goes with the opset (onnx.helper.VERSION_TABLE).
        ir_version = {9: 4, 10: 5, 11: 6, 12: 7, 13: 7, 14: 7, 15: 8, 16: 8, 17: 8}.get(opset, 8)
    body = _int_field(1, ir_version)
    body += _bytes_field(2, producer)
    body += _bytes_field(7, graph_bytes)
    body += _bytes_field(8, _bytes_field(1, "") + _int_field(2, opset))
    for key, value in sorted((metadata or {}).items()):
        body += _bytes_field(14, _bytes_field(1, key) + _bytes_field(2, value))
    return body

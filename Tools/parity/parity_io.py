"""Files the parity tests read: named float tensors and a manifest of cases.

NAME.tensors, little-endian:
    b"STYT", uint32 count, then per tensor:
    uint32 name_length, name (UTF-8), uint32 rank, uint32 dims[rank], float32 data[prod(dims)]

manifest.json:
    {"cases": [{"name", "model", "tensors", "inputs": [names in graph order],
                "output", "tolerance": {"kind", "value", ...}, "note"}]}
    "range": |ours - reference| <= value * (max - min of the reference output)
    "absolute": |ours - reference| <= value (one quantized layer: its quantization step)
    "steps": value is the output's quantization step; the worst error is at most
             max_steps steps (when not null) and the mean error at most mean_steps

Tests/StyleEngineTests/ParityTests.swift reads both.
"""
import json
import os
import struct

import numpy as np


def write_tensors(path, tensors):
    """tensors: list of (name, array)."""
    with open(path, "wb") as f:
        f.write(b"STYT" + struct.pack("<I", len(tensors)))
        for name, array in tensors:
            array = np.ascontiguousarray(array, dtype="<f4")
            encoded = name.encode()
            f.write(struct.pack("<I", len(encoded)) + encoded)
            f.write(struct.pack("<I", array.ndim) + struct.pack("<%dI" % array.ndim, *array.shape))
            f.write(array.tobytes())


def read_tensors(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == b"STYT", path
    (count,), position = struct.unpack_from("<I", data, 4), 8
    tensors = []
    for _ in range(count):
        (length,) = struct.unpack_from("<I", data, position)
        name = data[position + 4:position + 4 + length].decode()
        position += 4 + length
        (rank,) = struct.unpack_from("<I", data, position)
        dims = struct.unpack_from("<%dI" % rank, data, position + 4)
        position += 4 + 4 * rank
        size = int(np.prod(dims)) if rank else 1
        tensors.append((name, np.frombuffer(data, "<f4", size, position).reshape(dims)))
        position += 4 * size
    return tensors


def write_manifest(directory, cases):
    with open(os.path.join(directory, "manifest.json"), "w") as f:
        json.dump({"cases": cases}, f, indent=1)
        f.write("\n")


def run_ort(model_path, feeds, optimize=True, threads=1):
    """ONNX Runtime (CPU EP) on `feeds` (dict name -> array); returns the first output."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimize
                                        else ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    options.log_severity_level = 3
    session = ort.InferenceSession(model_path, options, providers=["CPUExecutionProvider"])
    return session.run(None, feeds)[0]


def test_image(shape, low, high, seed):
    """A smooth pattern with texture and a little noise, in [low, high], for layout `shape` (N,C,H,W)."""
    n, c, h, w = shape
    cc, yy, xx = np.meshgrid(np.arange(c), np.arange(h), np.arange(w), indexing="ij")
    values = 0.5 + 0.3 * np.sin(0.37 * xx + 0.61 * yy + 2.1 * cc) + 0.15 * ((xx // 3 + yy // 2 + cc) % 2)
    values += np.random.default_rng(seed).uniform(-0.05, 0.05, values.shape)
    values = np.clip(values, 0, 1)
    return (low + (high - low) * values).astype(np.float32)[None].repeat(n, 0)

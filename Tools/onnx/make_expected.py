#!/usr/bin/env python3
"""Reference outputs for the StyleEngine test fixtures, computed by ONNX Runtime.

    make_expected.py FIXTURE_DIR

For every NAME.onnx in FIXTURE_DIR (except unsupported_op) writes
NAME.expected: a fixed input pattern and ONNX Runtime's output for it, so the
tests compare the engine with an independent implementation. Needs numpy and
onnxruntime (pip install numpy onnxruntime); the tests only read the files.

File layout, little-endian: b"STYX", then twice (input, output):
uint32 rank, uint32 dims[rank], float32 data[prod(dims)].
"""
import glob
import os
import struct
import sys

import numpy as np
import onnxruntime as ort

# An odd size, so that rounding in strided and resizing layers is exercised.
HEIGHT, WIDTH = 13, 11


def test_input(scale):
    """The same pattern the Swift tests can regenerate: smooth plus a checkerboard."""
    c, y, x = np.meshgrid(np.arange(3), np.arange(HEIGHT), np.arange(WIDTH), indexing="ij")
    values = 0.5 + 0.3 * np.sin(0.7 * x + 1.3 * y + 2.1 * c) + 0.2 * ((x + y + c) % 2)
    return (values * scale).astype(np.float32)[None]


def block(array):
    return struct.pack("<I", array.ndim) + struct.pack("<%dI" % array.ndim, *array.shape) + \
        array.astype("<f4").tobytes()


def main(directory):
    for path in sorted(glob.glob(os.path.join(directory, "*.onnx"))):
        name = os.path.basename(path)[:-5]
        if name == "unsupported_op":
            continue
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        x = test_input(255.0 if name == "sketch" else 1.0)
        y = session.run(None, {session.get_inputs()[0].name: x})[0]
        with open(os.path.join(directory, name + ".expected"), "wb") as f:
            f.write(b"STYX" + block(x) + block(y))
        print("%s: %s -> %s" % (name, x.shape, y.shape))


if __name__ == "__main__":
    main(sys.argv[1])

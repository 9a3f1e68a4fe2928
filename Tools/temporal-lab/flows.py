#!/usr/bin/env python3
"""Stylize's optical flow beside OpenCV's on real footage, where no ground truth exists, and on the
synthetic clips, where it does (Benchmarks/devset/synth.py): which one explains the frames better,
and where they part.

  .venv-bench/bin/python Tools/temporal-lab/flows.py CLIP [--frames 1,20,40] [--stylize BIN] [--exact CLIP.flow.npz] [--trimmed]

For each pair (t, t−1) it prints, for Stylize's DIS (`stylize flow --preset medium`) and OpenCV's
DIS MEDIUM, the photometric error mean |Y_t − Y_{t−1} warped| (lower: the flow explains the frames
better; blind on flat areas, where any flow explains them), the mean distance between the two flows,
and a 3×3 grid of where they part (mean end-point difference per cell). With --exact, the end-point
error of each against the true flow, on flat input (mean local luma gradient < 1/255) and elsewhere.
"""
import argparse
import os
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Benchmarks"))
import flicker_judge as judge  # noqa: E402  (decoding, sampling, exact flows, the texture threshold)
from track import opencv_flow, stylize_flow  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("clip")
    p.add_argument("--frames", default="1,20,40", help="the t of each pair (t, t−1)")
    p.add_argument("--stylize", default=".build/release/stylize")
    p.add_argument("--exact", help="CLIP.flow.npz of a synthetic clip")
    p.add_argument("--trimmed", action="store_true", help="Stylize's flow with the temporal blend's trimmed patch distance")
    a = p.parse_args()
    size = judge.probe_size(a.clip)
    frames = judge.decode(a.clip, size)
    luma = [judge.luma(f) * 255 for f in frames]
    ts = [t for t in map(int, a.frames.split(",")) if 1 <= t < len(frames)]
    truth = judge.exact_flows(a.exact, len(frames), size) if a.exact else None
    flows = {"stylize": stylize_flow(a.stylize, trimmed=a.trimmed), "opencv": opencv_flow(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM, None, None)}
    h, w = luma[0].shape
    for t in ts:
        got = {k: f(luma[t], luma[t - 1]) for k, f in flows.items()}
        photometric = {k: float(np.abs(luma[t] - judge.sample(np.ascontiguousarray(luma[t - 1]), v)).mean())
                       for k, v in got.items()}
        apart = np.hypot(*(got["stylize"] - got["opencv"]).transpose(2, 0, 1))
        print(f"t={t}: photometric stylize {photometric['stylize']:.3f}, opencv {photometric['opencv']:.3f}; "
              f"flows {apart.mean():.3f} px apart; by cell:")
        for i in range(3):
            print("    " + " ".join(f"{apart[i * h // 3:(i + 1) * h // 3, j * w // 3:(j + 1) * w // 3].mean():6.2f}"
                                    for j in range(3)))
        if truth:
            exact, mask = truth[t - 1]
            y = cv2.GaussianBlur(luma[t] / 255, (0, 0), 1.0)
            gy, gx = np.gradient(y)
            flat = cv2.blur(np.hypot(gx, gy), (9, 9)) < judge.TEXTURE
            for k, v in got.items():
                e = np.hypot(*(v - exact).transpose(2, 0, 1))
                inside = mask > 0
                print(f"    {k}: end-point error flat {e[inside & flat].mean():.3f}, textured {e[inside & ~flat].mean():.3f} px"
                      f" (flat share {flat.mean():.0%})")


if __name__ == "__main__":
    main()

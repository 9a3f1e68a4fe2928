#!/usr/bin/env python3
"""What the judge of Benchmarks/flicker.sh allows a method that carries strokes along a flow:
each per-frame picture P_{t−1} moved exactly along that flow to frame t (no blending, no new
strokes: the steadiest a carried stroke can be), judged as the pair (P_{t−1}, carried) by the
judge's warping error, beside the per-frame pair (P_{t−1}, P_t):

  .venv-bench/bin/python Tools/temporal-lab/carry_ceiling.py CUT.mp4 PERFRAME.mp4 [--presets] [--stylize BIN] [--work DIR]

Carriers: Stylize's DIS (`stylize flow --preset medium`), OpenCV's DIS fast at finest scale 1
(the judge's own implementation) and OpenCV's Farnebäck (another algorithm). Referees: the
judge's flow (OpenCV DIS medium) and Farnebäck's, each with its forward–backward mask, on every
other pair. `1 − carried ÷ per-frame` is the most of the gap a carrier can close under that
referee (the input floor, ~1e-5 on these clips, left aside). A carrier that shares the referee's
implementation shares its errors too, which the second referee shows.
--presets: the three DIS presets (ultrafast, fast, medium) of both implementations as carriers
instead, under the Farnebäck referee only.
Flows are cached in --work (default .work/carry-ceiling) so a second run is quick.
"""
import argparse
import os
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Benchmarks"))
import flicker_judge as judge  # noqa: E402
from track import opencv_flow, remap, stylize_flow  # noqa: E402


def farneback(a, b):
    return cv2.calcOpticalFlowFarneback(np.clip(a + 0.5, 0, 255).astype(np.uint8),
                                        np.clip(b + 0.5, 0, 255).astype(np.uint8), None, 0.5, 5, 15, 5, 7, 1.5, 0)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("cut"); p.add_argument("perframe")
    p.add_argument("--stylize", default=".build/release/stylize")
    p.add_argument("--work", default=".work/carry-ceiling")
    p.add_argument("--presets", action="store_true", help="both DIS implementations at each preset")
    a = p.parse_args()
    os.makedirs(a.work, exist_ok=True)
    size = judge.probe_size(a.cut)
    frames = judge.decode(a.cut, size)
    pictures = judge.decode(a.perframe, size).astype(np.float32) / 255
    luma = [judge.luma(f) * 255 for f in frames]
    pairs = range(1, len(frames), 2)
    methods = {"farneback": farneback, "judge": opencv_flow(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM, None, None)}
    if a.presets:
        for preset in ("ultrafast", "fast", "medium"):
            methods[f"stylize-{preset}"] = stylize_flow(a.stylize, preset)
            methods[f"opencv-{preset}"] = opencv_flow(getattr(cv2, f"DISOPTICAL_FLOW_PRESET_{preset.upper()}"), None, None)
    else:
        methods.update({"stylize": stylize_flow(a.stylize), "opencv-dis": opencv_flow()})
    carriers = [k for k in methods if k != "judge"]
    referees = ("farneback",) if a.presets else ("judge", "farneback")
    flows = {}
    for name, method in methods.items():
        cache = os.path.join(a.work, os.path.basename(a.cut).rsplit(".", 1)[0] + f"-{name}.npz")
        if not os.path.exists(cache):
            np.savez(cache, back=np.stack([method(luma[t], luma[t - 1]) for t in pairs]),
                     fwd=np.stack([method(luma[t - 1], luma[t]) for t in pairs]))
        z = np.load(cache)
        flows[name] = list(zip(z["back"], z["fwd"]))
    h, w = pictures.shape[1:3]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    for referee in referees:
        errors = {k: [] for k in ("per-frame", *carriers)}
        for i, t in enumerate(pairs):
            back, fwd = flows[referee][i]
            mask = judge.non_occlusion(back, fwd)
            before = judge.sample(pictures[t - 1], back)

            def error(picture):
                d2 = ((picture - before) ** 2).sum(-1)
                return float((d2 * mask).sum() / max(3 * mask.sum(), 1))
            errors["per-frame"].append(error(pictures[t]))
            for carrier in carriers:
                b = flows[carrier][i][0]
                errors[carrier].append(error(remap(pictures[t - 1], gx + b[..., 0], gy + b[..., 1])))
        per_frame = np.mean(errors["per-frame"])
        cells = [f"per-frame {per_frame:.6f}"] + [f"{k} {np.mean(v):.6f} ({1 - np.mean(v) / per_frame:.0%})"
                                                  for k, v in errors.items() if k != "per-frame"]
        print(f"{os.path.basename(a.cut)}, referee {referee}: " + ", ".join(cells))


if __name__ == "__main__":
    main()

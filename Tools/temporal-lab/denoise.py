#!/usr/bin/env python3
"""Steadier network pictures from a steadier input: the input denoised along the motion before the
network sees it, `D_t = I_t + b·c·(warp(D_{t−1}) − I_t)`, with c the trust of the flow (forward–
backward check and a tight residual test, so moving edges are not smeared). Writes the denoised
cut for `stylize video --no-temporal`, whose output flicker_judge.py then compares with the
per-frame output of the original cut.

  .venv-bench/bin/python Tools/temporal-lab/denoise.py CUT.mp4 OUT.mp4 [--keep 0.6] [--flow stylize]
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Benchmarks"))
import flicker_judge as judge  # noqa: E402
from track import add_flow_options, box, moving_points, remap, write_video  # noqa: E402
from swiftblend import flows  # noqa: E402


def denoise(frames, back, fwd, keep, low, high):
    out = [frames[0].astype(np.float32)]
    for t in range(1, len(frames)):
        px, py, ok = moving_points(back[t - 1], fwd[t - 1])
        cur = frames[t].astype(np.float32)
        carried = remap(out[-1], px, py)
        res = np.sqrt((box(cur - carried, 1) ** 2).sum(-1))
        c = ok * np.clip((high - res) / (high - low), 0, 1)
        out.append(cur + (keep * c)[..., None] * (carried - cur))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("cut"); p.add_argument("out")
    p.add_argument("--keep", type=float, default=0.6)
    add_flow_options(p, default="stylize")
    p.add_argument("--low", type=float, default=4); p.add_argument("--high", type=float, default=12)
    a = p.parse_args()
    size = judge.probe_size(a.cut)
    frames = judge.decode(a.cut, size)
    cache = os.path.join(os.path.dirname(os.path.abspath(a.out)),
                         os.path.basename(a.cut).rsplit(".", 1)[0] + f"-{a.flow}.npz")
    back, fwd = flows(frames, a, cache)
    write_video(a.out, denoise(frames, back, fwd, a.keep, a.low, a.high), crf=10, pix_fmt="yuv444p")


if __name__ == "__main__":
    main()

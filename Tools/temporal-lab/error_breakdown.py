#!/usr/bin/env python3
"""Where a clip's flicker is left, pair by pair, by how fast things move and over time (issue 16):
flicker.sh's two videos of a clip judged as the judge judges them, split up.

  .venv-bench/bin/python Tools/temporal-lab/error_breakdown.py CLIP FLICKER_OUT [--pairs A-B] [--windows N] [--frames F]

Per pair (frame t − 1 → t): the warping error of the input (the floor), of the per-frame video and
of the temporal one, and the share of the frame the judge's mask keeps. A hard cut shows as a pair
whose mask keeps a small part of the frame and whose errors are a hundred times the others': it
weighs on the clip's mean as much as all the rest, for both videos alike.
Then, over the pairs (all, or A-B), the judged pixels split by the judge's own flow: still
(under 1 px a frame), slow (1-3 px), fast (3 px and more): each class's share of the pixels, its
errors, and the gap it closes.
--windows N: then the clip in windows of N pairs (a long run: flicker.sh --frames 300): each
window's gap closed, gradient ratio and how far the temporal video's mean colour has moved from
per-frame's (levels 0…255, per channel) — what a drift of the carried history would show.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Benchmarks"))
import flicker_judge as judge  # noqa: E402

CLASSES = (("still", 0, 1), ("slow", 1, 3), ("fast", 3, np.inf))   # px a frame, by the judge's flow


def closed(floor, per, tem):
    return (per - tem) / (per - floor) if per > floor else float("nan")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("clip")
    p.add_argument("run")
    p.add_argument("--pairs", help="A-B: only pairs A…B (1 is frame 0 → 1)")
    p.add_argument("--windows", type=int, help="N: the clip in windows of N pairs")
    p.add_argument("--frames", type=int, default=60, help="the run's frames a clip (flicker.sh --frames)")
    a = p.parse_args()
    cut = os.path.join(os.path.dirname(os.path.abspath(a.run)), "cuts", f"{a.clip}-{a.frames}.mp4")   # flicker.sh's cut
    videos = [os.path.join(a.run, "videos", f"{a.clip}-{kind}.mp4") for kind in ("perframe", "temporal")]
    size = judge.probe_size(cut)
    clips = [judge.decode(path, size) for path in [cut] + videos]
    flows = judge.flows_and_masks(clips[0])
    maps = [judge.difference_maps(v, flows) for v in clips]
    masks = [mask for _, mask in flows]
    first, last = (int(x) for x in a.pairs.split("-")) if a.pairs else (1, len(masks))

    print("pair   floor   per-frame  temporal  (×1e4)  judged share")
    for t in range(first, last + 1):
        m = masks[t - 1]
        e = [float((d[t - 1] * m).sum() / (3 * m.sum())) if m.sum() > 0 else 0.0 for d in maps]
        print(f"{t:4d} {e[0] * 1e4:8.2f} {e[1] * 1e4:10.2f} {e[2] * 1e4:9.2f}  {m.mean():12.2f}")

    sums = {name: np.zeros(4) for name, _, _ in CLASSES}
    for t in range(first, last + 1):
        back, mask = flows[t - 1]
        speed = np.hypot(back[..., 0], back[..., 1])
        for name, lo, hi in CLASSES:
            m = mask * ((speed >= lo) & (speed < hi))
            sums[name] += [(d[t - 1] * m).sum() for d in maps] + [m.sum()]
    total = sum(s[3] for s in sums.values())
    print(f"\npairs {first}-{last}, judged pixels by their speed (judge's flow):")
    print("class   share   floor   per-frame  temporal  closed   (errors ×1e4; share of the clip's error: per-frame, temporal)")
    for name, _, _ in CLASSES:
        s = sums[name]
        if s[3] == 0:
            continue
        f, pf, tm = (x / (3 * s[3]) * 1e4 for x in s[:3])
        print(f"{name:6s} {s[3] / total:6.2f} {f:7.2f} {pf:10.2f} {tm:9.2f}  {100 * closed(f, pf, tm):5.0f}%"
              f"   {s[1] / 3 / total * 1e4:.2f}, {s[2] / 3 / total * 1e4:.2f}")

    if a.windows:
        print(f"\nwindows of {a.windows} pairs: gap closed, gradient ratio, temporal − per-frame mean colour (R, G, B)")
        for lo in range(first, last + 1, a.windows):
            hi = min(lo + a.windows - 1, last)
            e = [judge.masked_error(d[lo - 1:hi], masks[lo - 1:hi]) for d in maps]
            frames = slice(lo, hi + 1)
            gradient = judge.mean_gradient(clips[2][frames]) / judge.mean_gradient(clips[1][frames])
            shift = clips[2][frames].reshape(-1, 3).mean(0) - clips[1][frames].reshape(-1, 3).mean(0)
            print(f"pairs {lo:4d}-{hi:4d}: {100 * closed(*e):5.1f}%  {gradient:.3f}  "
                  + " ".join(f"{c:+.2f}" for c in shift))


if __name__ == "__main__":
    main()

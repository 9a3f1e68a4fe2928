#!/usr/bin/env python3
"""Where a clip's flicker is left, pair by pair and by how fast things move (issue 16): flicker.sh's
two videos of a clip judged as the judge judges them, split up.

  .venv-bench/bin/python Tools/temporal-lab/error_by_motion.py CLIP FLICKER_OUT [--pairs A-B]

Per pair (frame t − 1 → t): the warping error of the input (the floor), of the per-frame video and
of the temporal one, and the share of the frame the judge's mask keeps. A hard cut shows as a pair
whose mask keeps a small part of the frame and whose errors are a hundred times the others': it
weighs on the clip's mean as much as all the rest, for both videos alike.
Then, over the pairs (all, or A-B), the judged pixels split by the judge's own flow: still
(under 1 px a frame), slow (1-3 px), fast (3 px and more): each class's share of the pixels, its
errors, and the gap it closes.
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
    a = p.parse_args()
    cut = os.path.join(os.path.dirname(os.path.abspath(a.run)), "cuts", f"{a.clip}-60.mp4")   # flicker.sh's cut
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


if __name__ == "__main__":
    main()

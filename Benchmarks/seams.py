#!/usr/bin/env python3
"""Seams of a distributed painting (issue 20), judged with OpenCV's flow as Benchmarks/flicker_judge.py
judges flicker: for every pair of consecutive frames, the warping error E_t of the painted video
along the input's DIS (MEDIUM) flow; at each seam (a segment's first frame and the frame before it,
painted on different machines) E_t against the median over all pairs, for the distributed and the
single-machine painting; and each segment's first frame against the single-machine painting's
(mean absolute difference, 0…255 RGB).

  seams.py --input IN --single SINGLE --distributed DIST --plan PLAN.json [--width 384] [--sheet OUT.jpg]

--sheet writes the worst seam for a person to look at: the frame before it and its first frame,
one piece above, in segments below (docs/scale-out-seam.jpg is made this way).
"""
import argparse
import json
import os
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flicker_judge as judge  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", required=True)
    parser.add_argument("--single", required=True)
    parser.add_argument("--distributed", required=True)
    parser.add_argument("--plan", required=True)
    parser.add_argument("--width", type=int, default=384, help="judge at this width (the flow's cost)")
    parser.add_argument("--sheet", help="write the worst seam's frames here (jpg or png)")
    args = parser.parse_args()
    plan = json.load(open(args.plan))
    w, h = judge.probe_size(args.input)
    size = (args.width, int(round(h * args.width / w / 2)) * 2)
    frames = {name: judge.decode(path, size) for name, path in
              (("input", args.input), ("single", args.single), ("distributed", args.distributed))}
    counts = {name: len(f) for name, f in frames.items()}
    if len(set(counts.values())) != 1:
        sys.exit(f"seams: frame counts differ: {counts}")
    flows = judge.flows_and_masks(frames["input"])
    masks = [mask for _, mask in flows]
    errors = {}
    for name in ("single", "distributed", "input"):
        maps = judge.difference_maps(frames[name], flows)
        errors[name] = np.array([float((d * m).sum() / (3 * m.sum())) if m.sum() > 0 else 0.0 for d, m in zip(maps, masks)])
    print(f"{counts['input']} frames judged at {size[0]}×{size[1]}; warping error per frame pair, median: "
          f"single {np.median(errors['single']):.6f}, distributed {np.median(errors['distributed']):.6f}, input {np.median(errors['input']):.6f}")
    print("seam | frame | seam kind | distributed E_t (× its median) | single E_t (× its median) | first frame vs single (MAD)")
    worst, worst_frame = 0.0, None
    for segment in plan["segments"][1:]:
        t = segment["firstFrame"]
        d, s = errors["distributed"][t - 1], errors["single"][t - 1]
        ratio = d / np.median(errors["distributed"])
        if ratio > worst:
            worst, worst_frame = ratio, t
        mad = float(np.abs(frames["distributed"][t].astype(np.float32) - frames["single"][t].astype(np.float32)).mean())
        print(f"{segment['index']} | {t} | {segment['seam']} | {d:.6f} ({ratio:.2f}×) | {s:.6f} ({s / np.median(errors['single']):.2f}×) | {mad:.2f}")
    mads = [float(np.abs(frames["distributed"][i].astype(np.float32) - frames["single"][i].astype(np.float32)).mean())
            for i in range(counts["input"])]
    print(f"worst seam: {worst:.2f}× the median pair (mark: ≤ 1.2×); distributed vs single over all frames: "
          f"mean absolute difference {np.mean(mads):.2f}, largest {np.max(mads):.2f} (frame {int(np.argmax(mads))})")
    if args.sheet and worst_frame is not None:
        t = worst_frame
        rows = [np.hstack([frames[name][t - 1], frames[name][t]]) for name in ("single", "distributed")]
        cv2.imwrite(args.sheet, cv2.cvtColor(np.vstack(rows), cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 88])
        print(f"sheet: {args.sheet} (frames {t - 1} and {t}; one piece above, segments below)")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The share of the flicker gap closed, judged with OpenCV's Farneback flow instead of DIS: a
second opinion on a change that moves our flow away from plain-SSD DIS (the judge's own method),
so that agreeing with the judge's errors cannot pass for steadiness.

  .venv-bench/bin/python Tools/temporal-lab/second_judge.py CLIP[,CLIP…] RUN [RUN…]

Each RUN is a `Benchmarks/flicker.sh --out` folder (the same per-frame videos in each, `--reuse`);
the cuts are read from .work/bench-flicker/cuts/CLIP-60.mp4. Prints per clip the input floor and
per-frame warping error (×10⁴) and each run's share of the gap closed, with Farneback's
flow and the judge's occlusion test (`flicker_judge.farneback`: flicker.sh's column "closed-fb",
here for runs side by side, or runs judged before that column).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Benchmarks"))
import flicker_judge as judge  # noqa: E402


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    clips, runs = sys.argv[1].split(","), sys.argv[2:]
    cuts = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".work", "bench-flicker", "cuts")
    for clip in clips:
        cut = os.path.join(cuts, f"{clip}-60.mp4")
        size = judge.probe_size(cut)
        frames = judge.decode(cut, size)
        flows = judge.flows_and_masks(frames, judge.farneback)
        floor = judge.warping_error(frames, flows)
        per = judge.warping_error(judge.decode(f"{runs[0]}/videos/{clip}-perframe.mp4", size), flows)
        cells = [clip, f"floor {floor * 1e4:.2f} per-frame {per * 1e4:.2f}"]
        for run in runs:
            tem = judge.warping_error(judge.decode(f"{run}/videos/{clip}-temporal.mp4", size), flows)
            cells.append(f"{os.path.basename(run.rstrip('/'))} {judge.gap_closed(per, tem, floor) * 100:.0f}%")
        print("  ".join(cells), flush=True)


if __name__ == "__main__":
    main()

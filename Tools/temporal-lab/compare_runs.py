#!/usr/bin/env python3
"""Two flicker.sh runs of one clip side by side (same per-frame videos, `--reuse`, so both crop
sheets show the same window): per-frame | temporal of run A | temporal of run B, frames t and
t + 1, as a picture for docs/.

  .venv-bench/bin/python Tools/temporal-lab/compare_runs.py RUN_A RUN_B CLIP OUT.jpg [--labels "A,B"]
"""
import argparse
import os
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Benchmarks"))
from flicker_judge import CROP_LABEL as BAND  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_a")
    p.add_argument("run_b")
    p.add_argument("clip")
    p.add_argument("out")
    p.add_argument("--labels", default="before,after")
    a = p.parse_args()
    sheets = []
    for run in (a.run_a, a.run_b):
        path = f"{run}/{a.clip}.png"
        sheet = cv2.imread(path) if os.path.isfile(path) else None
        if sheet is None:
            raise SystemExit(f"error: no crop sheet {run}/{a.clip}.png (run Benchmarks/flicker.sh with --out {run})")
        sheets.append(sheet[BAND:])
    third = sheets[0].shape[1] // 3
    if sheets[1].shape != sheets[0].shape:
        raise SystemExit("error: the two crop sheets differ in size: not the same clip and window")
    body = np.concatenate([sheets[0][:, third:2 * third], sheets[0][:, 2 * third:3 * third],
                           sheets[1][:, 2 * third:3 * third]], 1)
    band = np.full((BAND, body.shape[1], 3), 255, np.uint8)
    first, second = a.labels.split(",")
    label = f"{a.clip}: per-frame | temporal, {first} | temporal, {second}   (frames t, t+1; 2x)"
    cv2.putText(band, label, (6, 19), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.imwrite(a.out, np.concatenate([band, body], 0), [cv2.IMWRITE_JPEG_QUALITY, 85])


if __name__ == "__main__":
    main()

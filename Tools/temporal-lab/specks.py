#!/usr/bin/env python3
"""Colour specks in flicker.sh runs' videos: per mille of pixels whose Cr or Cb stands out of
its 5×5 neighbourhood's median by more than THRESHOLD levels, over frames 10 onward (the
history's warm-up left out). The first run's per-frame video is counted too.

  .venv-bench/bin/python Tools/temporal-lab/specks.py RUN [RUN ...] --clips taz,pens [--threshold 14]

A network paints a few bright or coloured specks somewhere new in each frame; a blend whose
gains regained them every frame kept them all (docs/temporal.md, "Specks").
"""
import argparse
import os

import cv2
import numpy as np


def specks(path, threshold):
    """Per mille of chroma samples standing out, frames 10 onward."""
    cap = cv2.VideoCapture(path)
    standing = total = t = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        t += 1
        if t <= 10:
            continue
        ycc = cv2.cvtColor(frame, cv2.COLOR_BGR2YCrCb)
        for ch in (1, 2):
            x = ycc[..., ch]
            standing += int((np.abs(x.astype(int) - cv2.medianBlur(x, 5).astype(int)) > threshold).sum())
            total += x.size
    if total == 0:
        raise SystemExit(f"error: no frames past the 10th in {path}")
    return 1000 * standing / total


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+")
    p.add_argument("--clips", required=True)
    p.add_argument("--threshold", type=float, default=14)
    a = p.parse_args()
    names = [os.path.basename(os.path.normpath(r)) for r in a.runs]
    print(f"{'clip':<20}{'per-frame':>12}" + "".join(f"{n:>14}" for n in names))
    for clip in a.clips.split(","):
        videos = [os.path.join(r, "videos", f"{clip}-temporal.mp4") for r in a.runs]
        perframe = os.path.join(a.runs[0], "videos", f"{clip}-perframe.mp4")
        for v in [perframe] + videos:
            if not os.path.isfile(v):
                raise SystemExit(f"error: no video {v}")
        row = [specks(perframe, a.threshold)] + [specks(v, a.threshold) for v in videos]
        print(f"{clip:<20}" + "".join(f"{x:>12.2f}" if i == 0 else f"{x:>14.2f}" for i, x in enumerate(row)))


if __name__ == "__main__":
    main()

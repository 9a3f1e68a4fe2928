#!/usr/bin/env python3
"""Where a temporal output's detail goes, by scale: flicker.sh's two videos of a clip compared
band by band (issue 16).

  .venv-bench/bin/python Tools/temporal-lab/detail_bands.py CLIP FLICKER_OUT

For every frame after the first, on luma: the fine band (the picture minus its 3×3 box blur),
the mid band (3×3 blur minus 9×9 blur), both as mean absolute value, and the coarse layer's
mean gradient (the 9×9 blur); each printed as temporal ÷ per-frame. Below 1: the temporal
output lost detail at that scale (smear); above 1: it has more than the per-frame painting.
"""
import os
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Benchmarks"))
import flicker_judge as judge  # noqa: E402


def frames(path):
    """The video's frames as 0…1 luma (the judge's decoding, so a file it cannot read ends here with one line)."""
    return [judge.luma(f) for f in judge.decode(path, judge.probe_size(path))]


def bands(y):
    b3, b9 = cv2.blur(y, (3, 3)), cv2.blur(y, (9, 9))
    gy, gx = np.gradient(b9)
    return np.abs(y - b3).mean(), np.abs(b3 - b9).mean(), np.hypot(gx, gy).mean()


def main():
    clip, folder = sys.argv[1], sys.argv[2]
    per = frames(f"{folder}/videos/{clip}-perframe.mp4")
    tem = frames(f"{folder}/videos/{clip}-temporal.mp4")
    n = min(len(per), len(tem))
    if n < 2:
        sys.exit(f"error: {folder}/videos has no frames of {clip}")
    p = np.sum([bands(per[t]) for t in range(1, n)], axis=0)
    q = np.sum([bands(tem[t]) for t in range(1, n)], axis=0)
    print(f"{clip}: fine {q[0] / p[0]:.3f}  mid {q[1] / p[1]:.3f}  coarse {q[2] / p[2]:.3f}  (temporal ÷ per-frame)")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Crops that follow one object of a synthetic clip with objects (Benchmarks/devset/synth.py
--objects) through flicker.sh runs: per frame, the per-frame picture and each run's temporal
picture, 40×40 px around the object (located from the clip's exact motion), enlarged 3×.

  .venv-bench/bin/python Tools/temporal-lab/object_crops.py CLIP OBJECT OUT.jpg --frames 20,24,28 RUN [RUN ...]
      [--labels "A,B"]

OBJECT is the object's label in CLIP.flow.npz (1…14); RUN a flicker.sh output folder holding
videos/CLIP-perframe.mp4 and videos/CLIP-temporal.mp4 (the per-frame video of the first is shown).
"""
import argparse
import os
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Benchmarks"))
import flicker_judge as fj  # noqa: E402

SIDE, ZOOM = 40, 3


def centres(labels, shifts, j):
    """The object's centre in every frame: where it shows most, then along its exact shifts."""
    ref = max(range(len(labels)), key=lambda t: int((labels[t] == j).sum()))
    ys, xs = np.nonzero(labels[ref] == j)
    c = {ref: np.array([xs.mean(), ys.mean()])}
    for t in range(ref + 1, len(labels)):
        c[t] = c[t - 1] + shifts[t, j - 1]
    for t in range(ref - 1, -1, -1):
        c[t] = c[t + 1] - shifts[t + 1, j - 1]
    return c


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("clip")
    p.add_argument("object", type=int)
    p.add_argument("out")
    p.add_argument("runs", nargs="+")
    p.add_argument("--frames", required=True)
    p.add_argument("--labels", default="")
    p.add_argument("--cache", default=os.path.expanduser("~/.cache/stylize/devset/clips"))
    a = p.parse_args()
    data = np.load(os.path.join(a.cache, a.clip + ".flow.npz"))
    w, h = map(int, data["size"])
    where = centres(data["labels"], data["shifts"], a.object)
    videos = [fj.decode(os.path.join(a.runs[0], "videos", a.clip + "-perframe.mp4"), (w, h))]
    videos += [fj.decode(os.path.join(r, "videos", a.clip + "-temporal.mp4"), (w, h)) for r in a.runs]
    names = ["per-frame"] + (a.labels.split(",") if a.labels else [os.path.basename(r.rstrip("/")) for r in a.runs])
    rows = []
    for t in (int(f) for f in a.frames.split(",")):
        cx, cy = where[t].astype(int)
        y0, x0 = min(max(cy - SIDE // 2, 0), h - SIDE), min(max(cx - SIDE // 2, 0), w - SIDE)
        tiles = [cv2.resize(v[t][y0:y0 + SIDE, x0:x0 + SIDE], None, fx=ZOOM, fy=ZOOM, interpolation=cv2.INTER_NEAREST)
                 for v in videos]
        rows.append(np.hstack([np.pad(tile, ((2, 2), (2, 2), (0, 0)), constant_values=255) for tile in tiles]))
    sheet = np.vstack(rows)
    band = np.full((44, sheet.shape[1], 3), 255, np.uint8)
    for y, text in ((17, f"{a.clip}, object {a.object}, frames {a.frames} (rows), 3x"), (37, " | ".join(names))):
        cv2.putText(band, text, (4, y), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.imwrite(a.out, cv2.cvtColor(np.vstack([band, sheet]), cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 88])


if __name__ == "__main__":
    main()

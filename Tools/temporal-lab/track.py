#!/usr/bin/env python3
"""A Python model of the stroke tracker (branch `tracker`, docs/temporal.md "Tried: strokes
resampled once"), to try temporal methods in minutes instead of Swift builds.

It takes a `Benchmarks/flicker.sh` cut and the per-frame video of that cut (the network's own
pictures), carries strokes along a flow (OpenCV's DIS or Stylize's, `stylize flow`), and writes
a temporal video that `Benchmarks/flicker_judge.py clip` judges like any other:

  .venv-bench/bin/python Tools/temporal-lab/track.py CUT.mp4 PERFRAME.mp4 OUT.mp4 [--flow opencv|stylize]
                                                     [--stylize BIN] [--low 10 --high 30]

Each output pixel shows one point of a stored per-frame picture, found by a per-pixel source map
(picture index, position) carried along the backward flow, and resampled from it once (bicubic).
It fades to the new picture where the input has changed since that picture was painted: the
Y/Cb/Cr differences, each box-blurred while signed after the local brightness change, against
`low`…`high`; below a trust of 0.05 a pixel is painted afresh from the current picture.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Benchmarks"))
import flicker_judge as judge  # noqa: E402  (decoding, sampling)


def box(a, r):
    return cv2.blur(a, (2 * r + 1, 2 * r + 1), borderType=cv2.BORDER_REFLECT) if r > 0 else a


def opencv_flow(preset=cv2.DISOPTICAL_FLOW_PRESET_FAST, finest_scale=1, stride=3):
    """Flow from frame `a` to `b` (0…255 float luma) by OpenCV's DIS: by default fast at finest
    scale 1, stride 3 (the method's flow); `opencv_flow(MEDIUM, None, None)` is the judge's."""
    dis = cv2.DISOpticalFlow_create(preset)
    if finest_scale is not None:
        dis.setFinestScale(finest_scale)
    if stride is not None:
        dis.setPatchStride(stride)
    return lambda a, b: dis.calc(np.clip(a + 0.5, 0, 255).astype(np.uint8), np.clip(b + 0.5, 0, 255).astype(np.uint8), None)


def stylize_flow(binary, preset="medium", trimmed=False):
    """Flow from `a` to `b` by Stylize's own DIS (`stylize flow --preset PRESET`, with --trimmed:
    the patch distance of the temporal blend's flows)."""
    def flow(a, b):
        h, w = a.shape
        with tempfile.TemporaryDirectory() as d:
            a.astype(np.float32).tofile(f"{d}/a.raw")
            b.astype(np.float32).tofile(f"{d}/b.raw")
            subprocess.run([binary, "flow", f"{d}/a.raw", f"{d}/b.raw", "--size", f"{w}x{h}", "--preset", preset,
                            "--runs", "1", "-o", f"{d}/flow.bin"] + (["--trimmed"] if trimmed else []), check=True, capture_output=True)
            f = np.fromfile(f"{d}/flow.bin", np.float32).reshape(2, h, w)
        return np.ascontiguousarray(np.dstack([f[0], f[1]]))
    return flow


def add_flow_options(parser, default="opencv"):
    parser.add_argument("--flow", choices=["opencv", "stylize"], default=default)
    parser.add_argument("--stylize", default=".build/release/stylize", help="the binary for --flow stylize")


def chosen_flow(args):
    return opencv_flow() if args.flow == "opencv" else stylize_flow(args.stylize)


def write_video(path, pictures, crf=18, pix_fmt="yuv420p"):
    """N×H×W×3 pictures (any float or uint8, clipped and rounded) as an H.264 file at 30 fps."""
    pictures = np.stack([np.clip(np.asarray(p, np.float32) + 0.5, 0, 255).astype(np.uint8) for p in pictures])
    n, h, w, _ = pictures.shape
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", "30",
                    "-i", "-", "-c:v", "libx264", "-crf", str(crf), "-pix_fmt", pix_fmt, path],
                   input=pictures.tobytes(), check=True)


def remap(img, px, py, interpolation=cv2.INTER_CUBIC):
    return cv2.remap(img, px, py, interpolation, borderMode=cv2.BORDER_REPLICATE)


def moving_points(back, fwd):
    """Where each pixel of frame t was in frame t−1 (`back` is the flow t → t−1, `fwd` t−1 → t),
    and True where that is inside the frame and the two flows agree (forward–backward check,
    |back + fwd(x + back)|² ≤ 0.01·(|back|² + |fwd|²) + 1)."""
    h, w = back.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    px, py = gx + back[..., 0], gy + back[..., 1]
    inside = (px >= 0) & (px <= w - 1) & (py >= 0) & (py <= h - 1)
    fb = np.stack([remap(np.ascontiguousarray(fwd[..., c]), px, py, cv2.INTER_LINEAR) for c in range(2)], -1)
    agree = ((back + fb) ** 2).sum(-1) <= 0.01 * ((back ** 2).sum(-1) + (fb ** 2).sum(-1)) + 1.0
    return px, py, inside & agree


def local_brightness(d_luma, mask, radius, fallback=0):
    """The luminance change around each pixel, from the pixels of `mask` only; `fallback` where too few."""
    support = box(mask, radius)
    return np.where(support > 0.05, box(d_luma * mask, radius) / np.maximum(support, 1e-6), fallback)


def residual(d, delta, radius):
    """Size of the Y/Cb/Cr difference `d` after the brightness change, each box-blurred while signed."""
    return np.sqrt(box(d[..., 0] - delta, radius) ** 2 + box(d[..., 1], radius) ** 2 + box(d[..., 2], radius) ** 2)


def gather(pictures, index, points):
    """pictures[index[y, x]] read at points[y, x] (bicubic)."""
    h, w = index.shape
    out = np.zeros((h, w, pictures[0].shape[2]), np.float32)
    mx, my = np.ascontiguousarray(points[..., 0]), np.ascontiguousarray(points[..., 1])
    for k in np.unique(index):
        sel = index == k
        out[sel] = cv2.remap(pictures[k], mx, my, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)[sel]
    return out


def track(frames, pictures, flow, low=10.0, high=30.0, radius=2, brightness_radius=4):
    """frames, pictures: N×H×W×3 uint8 (input, per-frame output); returns the tracked output."""
    n, h, w = frames.shape[:3]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    ycc = [cv2.cvtColor(f, cv2.COLOR_RGB2YCrCb).astype(np.float32) for f in frames]
    luma = [y[..., 0] for y in ycc]
    painted = [p.astype(np.float32) for p in pictures]
    index, points = np.zeros((h, w), np.int32), np.stack([gx, gy], -1)
    out = [pictures[0]]
    for t in range(1, n):
        back = flow(luma[t], luma[t - 1])
        px, py = gx + back[..., 0], gy + back[..., 1]
        inside = ((px >= 0) & (px <= w - 1) & (py >= 0) & (py <= h - 1)).astype(np.float32)
        # Carry the map: bilinear where the four neighbours show one picture, else the nearest's point.
        x0 = np.clip(np.floor(px).astype(int), 0, w - 2); y0 = np.clip(np.floor(py).astype(int), 0, h - 2)
        same = ((index[y0, x0] == index[y0, x0 + 1]) & (index[y0, x0] == index[y0 + 1, x0])
                & (index[y0, x0] == index[y0 + 1, x0 + 1]))
        smooth = np.stack([cv2.remap(np.ascontiguousarray(points[..., c]), px, py, cv2.INTER_LINEAR,
                                     borderMode=cv2.BORDER_REPLICATE) for c in range(2)], -1)
        xr = np.clip(np.rint(px).astype(int), 0, w - 1); yr = np.clip(np.rint(py).astype(int), 0, h - 1)
        nearest = points[yr, xr] + np.stack([px - xr, py - yr], -1)
        points = np.where(same[..., None], smooth, nearest).astype(np.float32)
        index = index[yr, xr]
        then = gather(ycc, index, points)
        d = ycc[t] - then
        delta = local_brightness(d[..., 0], inside, brightness_radius)
        trust = np.clip((high - residual(d, delta, radius)) / (high - low), 0, 1) * inside
        trust = np.minimum(trust, box(trust, 1))
        carried = gather(painted, index, points)
        out.append(np.clip(painted[t] + trust[..., None] * (carried + delta[..., None] - painted[t]), 0, 255).astype(np.uint8))
        redraw = trust < 0.05
        index = np.where(redraw, t, index)
        points = np.where(redraw[..., None], np.stack([gx, gy], -1), points)
    return np.stack(out)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("cut"); p.add_argument("perframe"); p.add_argument("out")
    add_flow_options(p)
    p.add_argument("--low", type=float, default=10); p.add_argument("--high", type=float, default=30)
    a = p.parse_args()
    size = judge.probe_size(a.cut)
    frames, pictures = judge.decode(a.cut, size), judge.decode(a.perframe, size)
    if len(frames) != len(pictures):
        sys.exit(f"track.py: {a.cut} has {len(frames)} frames, {a.perframe} {len(pictures)}")
    write_video(a.out, track(frames, pictures, chosen_flow(a), a.low, a.high))


if __name__ == "__main__":
    main()

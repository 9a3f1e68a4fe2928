#!/usr/bin/env python3
"""Where does the blend's smear come from: the history resampled every frame, or the averaging
of different brushings? Two blends of the same per-frame pictures with the same trust:

  recursive   out_t = P_t + a·c_t·(warp(out_{t−1}) − P_t), the history warped again every frame
              (bicubic), as Stylize's TemporalBlender does (without its contrast gain)
  direct      the same weights unrolled over the last K pictures, each picture resampled once
              from where it was painted, along the composed flows t → t−j

  .venv-bench/bin/python Tools/temporal-lab/blend.py CUT.mp4 PERFRAME.mp4 OUT.mp4 [--mode direct]
                                                     [--stability 0.85] [--frames-back 12]

Trust: OpenCV's DIS (fast, finest scale 1, stride 3) forward–backward check and the input's
Y/Cb/Cr residual along the flow (as track.py), feathered by a 3×3 minimum.
"""
import argparse
import os
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Benchmarks"))
import flicker_judge as judge  # noqa: E402
from track import (add_flow_options, box, chosen_flow, local_brightness, moving_points, remap,  # noqa: E402
                   residual, write_video)


def links(frames, flow, low, high):
    """Per frame t ≥ 1: backward flow t → t−1 as sample positions, trust 0…1, and the brightness change."""
    ycc = [cv2.cvtColor(f, cv2.COLOR_RGB2YCrCb).astype(np.float32) for f in frames]
    out = [None]
    for t in range(1, len(frames)):
        back, fwd = flow(ycc[t][..., 0], ycc[t - 1][..., 0]), flow(ycc[t - 1][..., 0], ycc[t][..., 0])
        px, py, trusted = moving_points(back, fwd)
        m = trusted.astype(np.float32)
        d = ycc[t] - remap(ycc[t - 1], px, py, cv2.INTER_LINEAR)
        delta = local_brightness(d[..., 0], m, 4)
        trust = np.clip((high - residual(d, delta, 1)) / (high - low), 0, 1) * m
        trust = cv2.erode(trust, np.ones((3, 3), np.uint8))
        out.append((px, py, trust, delta.astype(np.float32)))
    return out


def moments(x, r):
    m = box(x, r)
    return m, np.maximum(box(x * x, r) - m * m, 0)


def keep_contrast(sources, weights, r, max_gain=2.0):
    """Σ wᵢ·xᵢ with its local variance raised to Σ wᵢ·var(xᵢ) (TemporalBlender's contrast-preserving
    blend, per channel; the weights sum to 1 at every pixel)."""
    blend = sum(w[..., None] * x for x, w in zip(sources, weights))
    if r == 0:
        return blend
    target = sum(w[..., None] * moments(x, r)[1] for x, w in zip(sources, weights))
    mean, var = moments(blend, r)
    gain = np.clip(np.sqrt((target + 1) / (var + 1)), 1, max_gain)
    return mean + gain * (blend - mean)


def recursive(pictures, link, a, r=0):
    out = [pictures[0].astype(np.float32)]
    for t in range(1, len(pictures)):
        px, py, c, delta = link[t]
        p = pictures[t].astype(np.float32)
        carried = remap(out[-1], px, py) + delta[..., None]
        w = a * c
        out.append(np.clip(keep_contrast([p, carried], [1 - w, w], r), 0, 255))
    return out


def keyframes(pictures, link, period, r=0):
    """Two carried pictures, each painted once and resampled once from where it was painted: the
    older fades out while the newer (the per-frame picture of the last keyframe) fades in over
    `period` frames; where a picture's chain of trust breaks, the current per-frame picture shows."""
    n, h, w = pictures.shape[:3]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    painted = [p.astype(np.float32) for p in pictures]
    layers = []    # [keyframe index, x, y, trust, brightness] per carried picture, oldest first
    out = [painted[0]]
    layers.append([0, gx.copy(), gy.copy(), np.ones((h, w), np.float32), np.zeros((h, w), np.float32)])
    for t in range(1, n):
        lx, ly, c, delta = link[t]
        for layer in layers:   # carry every layer's map from t−1's grid to t's
            _, x, y, trust, b = layer
            layer[1], layer[2] = remap(x, lx, ly, cv2.INTER_LINEAR), remap(y, lx, ly, cv2.INTER_LINEAR)
            layer[3] = remap(trust, lx, ly, cv2.INTER_LINEAR) * c
            layer[4] = remap(b, lx, ly, cv2.INTER_LINEAR) + delta
        if t % period == 0:
            layers = layers[-1:] + [[t, gx.copy(), gy.copy(), np.ones((h, w), np.float32), np.zeros((h, w), np.float32)]]
        ramp = (t % period) / period
        shares = [1 - ramp, ramp] if len(layers) == 2 else [1.0]
        sources, weights = [], []
        for layer, share in zip(layers, shares):
            k, x, y, trust, b = layer
            sources.append(painted[k] if k == t else remap(painted[k], x, y) + b[..., None])
            weights.append(share * trust)
        rest = 1 - sum(weights)
        out.append(np.clip(keep_contrast(sources + [painted[t]], weights + [rest], r), 0, 255))
    return out


def direct(pictures, link, a, back):
    """Unrolled: weight of P_{t−j} = (1 − a·c_{t−j})·Π_{i<j} a·c_{t−i} along the chain; P_{t−K} takes the rest."""
    n, h, w = pictures.shape[:3]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    painted = [p.astype(np.float32) for p in pictures]
    out = [painted[0]]
    for t in range(1, n):
        total = np.zeros((h, w, 3), np.float32)
        px, py = gx.copy(), gy.copy()         # where each pixel of t is in frame t−j
        chain = np.ones((h, w), np.float32)   # Π a·c along the chain so far
        brightness = np.zeros((h, w), np.float32)
        for j in range(0, min(back, t) + 1):
            k = t - j
            if j > 0:
                lx, ly, c, delta = link[k + 1]  # flow k+1 → k, on k+1's grid, read at the chain's points
                brightness += remap(delta, px, py, cv2.INTER_LINEAR)
                c_here = remap(c, px, py, cv2.INTER_LINEAR)
                nx, ny = remap(lx, px, py, cv2.INTER_LINEAR), remap(ly, px, py, cv2.INTER_LINEAR)
                px, py = nx, ny
                chain = chain * a * c_here
            if j == min(back, t) or k == 0:
                weight = chain                 # the oldest picture keeps the rest
            else:
                _, _, c_next, _ = link[k]
                weight = chain * (1 - a * remap(c_next, px, py, cv2.INTER_LINEAR))
            picture = painted[k] if j == 0 else remap(painted[k], px, py) + brightness[..., None]
            total += weight[..., None] * picture
        out.append(np.clip(total, 0, 255))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("cut"); p.add_argument("perframe"); p.add_argument("out")
    p.add_argument("--mode", choices=["recursive", "direct", "keyframes"], default="direct")
    p.add_argument("--contrast-radius", type=int, default=0, help="keep the local contrast (recursive, keyframes)")
    p.add_argument("--period", type=int, default=8, help="keyframes: frames between keyframes")
    p.add_argument("--stability", type=float, default=0.85)
    p.add_argument("--frames-back", type=int, default=12)
    add_flow_options(p)
    p.add_argument("--low", type=float, default=10); p.add_argument("--high", type=float, default=30)
    a = p.parse_args()
    size = judge.probe_size(a.cut)
    frames, pictures = judge.decode(a.cut, size), judge.decode(a.perframe, size)
    link = links(frames, chosen_flow(a), a.low, a.high)
    if a.mode == "recursive":
        out = recursive(pictures, link, a.stability, a.contrast_radius)
    elif a.mode == "keyframes":
        out = keyframes(pictures, link, a.period, a.contrast_radius)
    else:
        out = direct(pictures, link, a.stability, a.frames_back)
    write_video(a.out, out)


if __name__ == "__main__":
    main()

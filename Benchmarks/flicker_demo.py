#!/usr/bin/env python3
"""Flicker before and after, for people to look at (the README's pictures, issue 16): a clip of the
development set stylized with the default preset three times — per frame (`--no-temporal`), with the
default temporal blend (one way, from the frames before, as the live camera does too) and with the
two-way blend (`--lookahead 16`) — then

  docs/flicker.gif         a crop of the three side by side (per frame | one-way | two-way), looping;
  docs/flicker-change.jpg  where each video changes from one frame to the next in a way the motion
                           does not explain (each frame against the one before carried along the
                           input's optical flow, OpenCV's, as Benchmarks/flicker_judge.py warps it;
                           here without its occlusion mask), as an RMS over the clip: the three on
                           one scale (white: per frame's 99th percentile); black is steady.

  .venv-bench/bin/python Benchmarks/flicker_demo.py [--bin .build/release/stylize] [--docs docs]
      [--clip .work/bench-flicker/cuts/dry-grass-60.mp4] [--crop X,Y,W,H] [--work .work/bench-flicker-demo]

The default clip is `dry-grass` (a still camera over grass, BugsSample.m4v from PyPI's
pyvision_toolkit 1.3.6, BSD licence), as Benchmarks/flicker.sh cuts it (480 px wide, 60 frames):
run `Benchmarks/flicker.sh --clips dry-grass` once first. The crop is in the clip's pixels.
"""
import argparse
import os
import subprocess
import sys

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import flicker_judge as judge  # noqa: E402

CLIP = os.path.join(REPO, ".work", "bench-flicker", "cuts", "dry-grass-60.mp4")
SIZE = 480                   # painted size
GIF_FRAMES, GIF_ZOOM = 16, 2
RUNS = {"per-frame": ["--no-temporal"], "one-way": [], "two-way": ["--lookahead", "16"]}


def stylize(binary, clip, out, *flags):
    command = [binary, "video", clip, "-o", out, "--force", "--max-size", str(SIZE), "--crf", "12", *flags]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no reason given"])[-1]
        sys.exit(f"flicker_demo: {' '.join(command)} failed: {reason}")


def label(tile, text):
    """`tile` with `text` in a dark band along its top."""
    out = tile.copy()
    cv2.rectangle(out, (0, 0), (out.shape[1], 16), (0, 0, 0), -1)
    cv2.putText(out, text, (4, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def side_by_side(tiles, gap=4):
    h = tiles[0].shape[0]
    spacer = np.full((h, gap, 3), 255, np.uint8)
    row = [tiles[0]]
    for tile in tiles[1:]:
        row += [spacer, tile]
    return np.hstack(row)


def write_gif(frames, path, fps):
    """`frames` (RGB) as a looping GIF, one palette for the whole clip (ffmpeg's palettegen)."""
    h, w = frames[0].shape[:2]
    raw = np.ascontiguousarray(np.stack(frames)).tobytes()
    graph = "split[a][b];[a]palettegen=max_colors=96:stats_mode=full[p];[b][p]paletteuse=dither=bayer:bayer_scale=3"
    done = subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
                           "-r", str(fps), "-i", "-", "-filter_complex", graph, "-loop", "0", path],
                          input=raw, capture_output=True)
    if done.returncode != 0:
        sys.exit(f"flicker_demo: cannot write {path}: {done.stderr.decode(errors='replace').strip()}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", default=os.path.join(REPO, ".build/release/stylize"))
    p.add_argument("--docs", default=os.path.join(REPO, "docs"))
    p.add_argument("--work", default=os.path.join(REPO, ".work", "bench-flicker-demo"))
    p.add_argument("--clip", default=CLIP)
    p.add_argument("--crop", default="170,90,120,120", help="X,Y,W,H in the clip's pixels")
    a = p.parse_args()
    x, y, w, h = (int(v) for v in a.crop.split(","))
    os.makedirs(a.work, exist_ok=True)
    os.makedirs(a.docs, exist_ok=True)
    videos = {name: os.path.join(a.work, f"{name}.mp4") for name in RUNS}
    if not os.path.exists(a.clip):
        sys.exit(f"flicker_demo: no {a.clip}: Benchmarks/flicker.sh --clips dry-grass fetches and cuts it")
    for name, flags in RUNS.items():
        stylize(a.bin, a.clip, videos[name], *flags)
    size = judge.probe_size(videos["per-frame"])
    if x + w > size[0] or y + h > size[1]:
        sys.exit(f"flicker_demo: the crop {a.crop} does not fit the painted frames ({size[0]}×{size[1]})")
    frames = {"input": judge.decode(a.clip, size)}
    frames.update({name: judge.decode(path, size) for name, path in videos.items()})
    count = min(len(f) for f in frames.values())

    # The animation: the middle second, enlarged without smoothing so that strokes stay strokes.
    first = max(0, count // 2 - GIF_FRAMES // 2)
    shown = []
    for t in range(first, min(count, first + GIF_FRAMES)):
        tiles = []
        for name in RUNS:
            crop = frames[name][t, y:y + h, x:x + w]
            tiles.append(label(cv2.resize(crop, None, fx=GIF_ZOOM, fy=GIF_ZOOM, interpolation=cv2.INTER_NEAREST), name))
        shown.append(side_by_side(tiles))
    gif = os.path.join(a.docs, "flicker.gif")
    write_gif(shown, gif, fps=25)

    # The change the motion does not explain: each frame against the one before carried along the
    # input's flow (the judge's: OpenCV DIS medium), as an RMS over the clip per pixel.
    flows = judge.flows_and_masks(frames["input"][:count])
    rms = {name: np.sqrt(np.mean(judge.difference_maps(frames[name][:count], flows), axis=0) / 3) * 255
           for name in RUNS}                                                   # levels, 0…255
    white = float(np.percentile(rms["per-frame"], 99))                         # the same scale for both
    tiles = []
    for name in RUNS:
        shade = np.clip(rms[name] * (255 / white), 0, 255).astype(np.uint8)
        half = cv2.resize(cv2.cvtColor(shade, cv2.COLOR_GRAY2RGB), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
        tiles.append(label(half, f"{name}: {np.mean(rms[name]):.1f} levels (white: {white:.0f})"))
    changes = os.path.join(a.docs, "flicker-change.jpg")
    cv2.imwrite(changes, cv2.cvtColor(side_by_side(tiles), cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 88])
    for path in (gif, changes):
        print(f"{path}: {os.path.getsize(path) / 1024:.0f} KB")


if __name__ == "__main__":
    main()

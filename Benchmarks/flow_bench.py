#!/usr/bin/env python3
"""Our DIS optical flow against OpenCV's DIS on synthetic pairs with exact ground truth.

Run by Benchmarks/flow-vs-opencv.sh (which builds `stylize` and makes the venv);
usable alone:  python flow_bench.py --stylize PATH/stylize [--runs N] [--work DIR]

Sequences, rendered from one real photo (or a procedural texture if none is found):
  affine      the photo under a small rotation + scale + subpixel shift
  homography  the photo under a perspective motion
  sprite      a textured elliptical sprite moving (translation + rotation) over the
              background moving by its own affine motion: the sprite covers and
              uncovers background, and the truth stays defined for every pixel of
              frame 1 (occluded background pixels keep the background's motion).

Each frame is sampled from the source photo through a homography (frame pixel ->
photo point), so a pixel x of frame 1 moving by the motion T lands at T(x) in frame 2
exactly: the truth is T(x) - x, with no resampling of the flow.

EPE: mean end-point error over pixels at least --border px from the edge whose true
position in frame 2 is inside frame 2, the same pixels for both methods.
Timing: median over --runs after one warm-up, one thread each (cv2.setNumThreads(1);
our DIS is single-threaded). OpenCV's calc() builds both frames' pyramids each call;
`stylize flow` prepares both frames once (the video pipeline reuses each frame's
pyramid for two pairs), so "ours ms" is the flow alone and "ours+prep" adds the
preparation of both frames, measured once.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

import cv2
import numpy as np

PRESETS = {
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}
SIZES = [(640, 480), (1280, 720)]
EPE_TARGET, TIME_TARGET = 1.1, 1.5
PHOTO_CANDIDATES = [
    "/usr/share/doc/opencv-doc/examples/data/aloeL.jpg",
    "/usr/share/doc/opencv-doc/examples/text/scenetext02.jpg",
]


def load_photo(repo):
    """A grayscale float32 photo, the largest found; returns (image, description)."""
    env = os.environ.get("FLOW_PHOTO")
    for path in ([env] if env else []) + PHOTO_CANDIDATES:
        if path and os.path.exists(path):
            im = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
            if im is not None:
                return im.astype(np.float32), f"{path} ({im.shape[1]}x{im.shape[0]})"
    clip = os.path.join(repo, "SampleClips/city-night.mp4")
    try:
        raw = subprocess.run(["ffmpeg", "-v", "error", "-ss", "2", "-i", clip, "-frames:v", "1",
                              "-vf", "format=gray", "-f", "rawvideo", "-"], capture_output=True, check=True).stdout
        w, h = 640, 360
        if len(raw) == w * h:
            return np.frombuffer(raw, np.uint8).reshape(h, w).astype(np.float32), f"{clip} frame at 2 s ({w}x{h}, upscaled)"
    except (OSError, subprocess.CalledProcessError):
        pass
    # Procedural fallback: oriented sinusoids + blobs.
    rng = np.random.default_rng(7)
    h, w = 1400, 1800
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.full((h, w), 128, np.float32)
    for _ in range(24):
        lam, ang, ph = 4 + 36 * rng.random(), 2 * np.pi * rng.random(), 2 * np.pi * rng.random()
        k = 2 * np.pi / lam
        img += (8 + 14 * rng.random() * lam / 40) / 3 * np.sin(k * np.cos(ang) * x + k * np.sin(ang) * y + ph)
    return np.clip(img, 0, 255), "procedural texture (no photo found)"


def stretch(img):
    lo, hi = np.percentile(img, [1, 99])
    return np.clip((img - lo) * (235.0 / max(hi - lo, 1)) + 10, 0, 255).astype(np.float32)


def prefilter(src, scale):
    """Blur the source before sampling it at `scale` source px per frame px (anti-aliasing)."""
    return cv2.GaussianBlur(src, (0, 0), 0.5 * scale) if scale > 1.2 else src


def sample(src, M, w, h):
    """Frame(x) = src(M x), M a 3x3 homography from frame pixels to source points."""
    return cv2.warpPerspective(src, M, (w, h), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REFLECT)


def about_center(A, w, h):
    """A motion given about the frame centre, as a pixel-coordinate homography."""
    c = np.array([[1, 0, w / 2], [0, 1, h / 2], [0, 0, 1]], np.float64)
    return c @ A @ np.linalg.inv(c)


def similarity(deg, scale, tx, ty):
    t = np.deg2rad(deg)
    return np.array([[scale * np.cos(t), -scale * np.sin(t), tx], [scale * np.sin(t), scale * np.cos(t), ty], [0, 0, 1]])


def apply(T, xs, ys):
    d = T[2, 0] * xs + T[2, 1] * ys + T[2, 2]
    return (T[0, 0] * xs + T[0, 1] * ys + T[0, 2]) / d, (T[1, 0] * xs + T[1, 1] * ys + T[1, 2]) / d


def make_case(case, src, w, h):
    """Returns frame1, frame2 (uint8) and the true flow (u, v) of frame 1's pixels."""
    sh, sw = src.shape
    s0 = 0.85 * min(sw / w, sh / h)  # source px per frame px; leaves a margin for the motion
    M0 = np.array([[s0, 0, (sw - s0 * w) / 2], [0, s0, (sh - s0 * h) / 2], [0, 0, 1]], np.float64)
    bg = prefilter(src, s0)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    k = w / 1280  # motions scale with the frame, so both sizes see the same relative motion
    if case == "affine":
        T = about_center(similarity(1.2, 1.015, 5.3 * k, -3.7 * k), w, h)
    elif case == "homography":
        T = about_center(np.array([[1.01, 0.015, 6.4 * k], [-0.012, 0.995, 3.1 * k],
                                   [1.5e-5 / k, -1.0e-5 / k, 1.0]]), w, h)
    else:
        T = about_center(similarity(-0.6, 1.005, -4.2 * k, 2.6 * k), w, h)
    # frame2(T x) = frame1(x)  <=>  frame2(y) = src(M0 T^-1 y)
    M1 = M0 @ np.linalg.inv(T)
    f1, f2 = sample(bg, M0, w, h), sample(bg, M1, w, h)
    tx, ty = apply(T, xs, ys)
    u, v = tx - xs, ty - ys
    if case == "sprite":
        # Sprite texture: the photo flipped both ways (different content), contrast raised.
        tex = stretch(cv2.flip(src, -1) * 1.3)
        rx, ry = 0.16 * w, 0.2 * h  # ellipse radii in frame px
        S = similarity(4.0, 1.0, 23.7 * k, 11.3 * k)  # sprite motion about its own centre
        c0 = np.array([[1, 0, 0.38 * w], [0, 1, 0.45 * h], [0, 0, 1]], np.float64)  # sprite centre in frame 1
        P1 = c0  # sprite-local (centred) -> frame 1 pixel
        P2 = c0 @ S  # sprite-local -> frame 2 pixel (rotation about the sprite centre, then moved)
        texM = np.array([[s0, 0, sw / 2], [0, s0, sh / 2], [0, 0, 1]], np.float64)  # sprite-local -> texture point
        for frame, P in ((f1, P1), (f2, P2)):
            L = np.linalg.inv(P)
            lx, ly = apply(L, xs, ys)
            inside = (lx / rx) ** 2 + (ly / ry) ** 2 <= 1
            frame[inside] = sample(prefilter(tex, s0), texM @ L, w, h)[inside]
        lx, ly = apply(np.linalg.inv(P1), xs, ys)
        inside = (lx / rx) ** 2 + (ly / ry) ** 2 <= 1
        sx, sy = apply(P2 @ np.linalg.inv(P1), xs, ys)
        u[inside] = (sx - xs)[inside]
        v[inside] = (sy - ys)[inside]
    to8 = lambda f: np.clip(np.rint(f), 0, 255).astype(np.uint8)
    return to8(f1), to8(f2), u.astype(np.float32), v.astype(np.float32)


def epe(fu, fv, u, v, mask):
    return float(np.sqrt((fu - u) ** 2 + (fv - v) ** 2)[mask].mean())


def opencv_dis(f1, f2, preset, runs):
    dis = cv2.DISOpticalFlow_create(PRESETS[preset])
    flow = dis.calc(f1, f2, None)  # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        flow = dis.calc(f1, f2, None)
        times.append((time.perf_counter() - t) * 1e3)
    return flow[..., 0], flow[..., 1], statistics.median(times)


def our_dis(stylize, a, b, w, h, preset, runs, out):
    r = subprocess.run([stylize, "flow", a, b, "--size", f"{w}x{h}", "--preset", preset, "--runs", str(runs),
                        "--output", out], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"stylize flow failed: {r.stderr.strip()}")
    m = re.search(r": ([0-9.]+) ms .*frame prep ([0-9.]+) ms", r.stdout)
    flow = np.fromfile(out, np.float32).reshape(2, h, w)
    return flow[0], flow[1], float(m.group(1)), float(m.group(2))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stylize", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--border", type=int, default=16)
    ap.add_argument("--work", default=".work/bench-flow")
    ap.add_argument("--cases", default="affine,homography,sprite", help="comma-separated subset")
    ap.add_argument("--presets", default=",".join(PRESETS), help="comma-separated subset")
    args = ap.parse_args()
    cases = [c for c in args.cases.split(",") if c]
    presets = [p for p in args.presets.split(",") if p in PRESETS]
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.makedirs(args.work, exist_ok=True)
    cv2.setNumThreads(1)
    photo, desc = load_photo(repo)
    photo = stretch(photo)
    print(f"opencv {cv2.__version__} (threads {cv2.getNumThreads()}), numpy {np.__version__}; photo: {desc}; "
          f"runs={args.runs}, border={args.border}px")

    head = (f"{'case':<11} {'size':>9} {'preset':<9} {'max|gt|':>7} {'our EPE':>8} {'CV EPE':>8} {'EPE x':>6} "
            f"{'our ms':>8} {'+prep':>8} {'CV ms':>8} {'time x':>7} {'+prep x':>7}  flags")
    print("\n" + head)
    misses = 0
    for case in cases:
        for (w, h) in SIZES:
            f1, f2, u, v = make_case(case, photo, w, h)
            a = os.path.join(args.work, f"{case}-{w}x{h}-1.gray")
            b = os.path.join(args.work, f"{case}-{w}x{h}-2.gray")
            f1.tofile(a)
            f2.tofile(b)
            ys, xs = np.mgrid[0:h, 0:w]
            B = args.border
            mask = (xs >= B) & (xs < w - B) & (ys >= B) & (ys < h - B)
            mask &= (xs + u >= 0) & (xs + u <= w - 1) & (ys + v >= 0) & (ys + v <= h - 1)
            gmax = float(np.sqrt(u ** 2 + v ** 2)[mask].max())
            for preset in presets:
                cu, cv_, cms = opencv_dis(f1, f2, preset, args.runs)
                ou, ov, oms, prep = our_dis(args.stylize, a, b, w, h, preset, args.runs,
                                            os.path.join(args.work, "flow.bin"))
                oe, ce = epe(ou, ov, u, v, mask), epe(cu, cv_, u, v, mask)
                er, tr, tpr = oe / ce, oms / cms, (oms + prep) / cms
                flags = []
                if er > EPE_TARGET:
                    flags.append(f"EPE>{EPE_TARGET}x")
                if tr > TIME_TARGET:
                    flags.append(f"time>{TIME_TARGET}x")
                misses += bool(flags)
                print(f"{case:<11} {f'{w}x{h}':>9} {preset:<9} {gmax:7.1f} {oe:8.3f} {ce:8.3f} {er:6.2f} "
                      f"{oms:8.1f} {oms + prep:8.1f} {cms:8.1f} {tr:7.2f} {tpr:7.2f}  {' '.join(flags) or 'ok'}",
                      flush=True)
    print(f"\ntargets: our EPE <= {EPE_TARGET}x OpenCV's, our flow time <= {TIME_TARGET}x OpenCV's (same preset, frames, "
          f"one thread). {misses} of {len(cases) * len(SIZES) * len(presets)} rows miss a target. "
          f"'+prep' adds our preparation of both frames (OpenCV's calc does its own each call).")
    return 0


if __name__ == "__main__":
    sys.exit(main())

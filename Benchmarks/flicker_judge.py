#!/usr/bin/env python3
"""The judge of Benchmarks/flicker.sh (issue 16): flicker, detail and look of a per-frame and a
temporal stylization of one clip, measured with OpenCV, not with Stylize's own flow, so the
blend cannot grade its own homework.

  flicker_judge.py clip --name N --split S --input CUT.mp4 --perframe P.mp4 --temporal T.mp4
                        [--fps-perframe X --fps-temporal Y] [--style-image PAINTING]
                        [--flow CLIP.flow.npz] --out DIR
      judges one clip: writes DIR/N.json and the crop DIR/N.png
  flicker_judge.py report DIR
      prints the table of every DIR/*.json, the worst row per column and a summary per split
  flicker_judge.py compare BEFORE AFTER
      two runs' results clip by clip, before → after, and the mean changes (two settings of a
      temporal sweep, two networks with `flicker.sh --style`)

Warping error (Lai et al. 2018, "Learning Blind Video Temporal Consistency"): for t = 1…T−1,
  E_t = Σ_x M_t(x) Σ_c (O_t(x,c) − O_{t−1}(x + b_t(x), c))² / (3 Σ_x M_t(x))
on 0…1 RGB, where b_t is the flow t → t−1 and M_t the non-occlusion mask on frame t's grid; the
video's error is the mean of E_t (a pair with an empty mask scores 0, as in Lai et al.'s script).
The flows are OpenCV's DIS (preset MEDIUM) computed on the INPUT frames at the benchmark size,
both directions; M_t drops pixels that fail the forward–backward test, sit on a motion boundary
(Lai et al.'s detect_occlusion, after Ruder et al. 2016) or come from outside frame t−1. The
same flows and masks judge the per-frame output, the temporal output and the input itself (the
floor: what interpolation and flow error alone leave).

DIS is not the truth either, and a method that carries strokes along its own flow is graded by
how well that flow agrees with DIS. The synthetic clips (split "synthetic", made by
Benchmarks/devset/synth.py: real photos under known camera motions) come with their exact
motion, and `--flow CLIP.flow.npz` judges along it instead (M_t: inside frame t−1 only).

The frames are warped bicubically (OpenCV's INTER_CUBIC), not bilinearly as in Lai et al.'s
script: at a half-pixel offset a bilinear warp itself takes about a fifth of the detail of a
painted frame (mean gradient ×0.79, against ×0.99 bicubic), so with it a texture carried exactly
along the motion still scores as flicker, and a blurrier output scores better — the judge would
reward the smear issue 16 is about. Lai et al.'s bilinear figure is kept beside it ("closed-lin"),
and so is the share closed on the input's textured areas only ("closed-tex", see textured_only).

A second referee ("closed-fb"): the same measure with OpenCV's Farnebäck flow and the same
occlusion test, on the real clips. Strokes carried along any DIS flow agree with the judge's
DIS more than with the scene's motion (docs/temporal.md, "What the judge allows a carried
stroke"), so a change that wins under DIS alone may only have moved its flow closer to the judge's;
one that is real wins under Farnebäck too. Its own figures run lower (its flow is coarser on
fine texture); compare them between runs, not with the marks, which stay on "closed".

Detail: mean gradient magnitude (forward differences on luma), temporal ÷ per-frame.
Look: VGG Gram style loss (Benchmarks/style_loss.py) on a few evenly spaced frames, the same
frames both ways; needs torch, and is left out (—) with a note when torch is missing.
"""
import argparse
import glob
import json
import math
import os
import subprocess
import sys

import cv2
import numpy as np

GAP_MARK, GRADIENT_MARK, STYLE_MARK = 0.80, 0.95, 0.10   # issue 16's "done when"
COST_MARK = 0.85   # temporal throughput as a share of per-frame's (issue 16)
SPLITS = ("dev", "holdout", "synthetic", "original", "unseen", "files")   # the manifest's splits and your own files, in the report's order
STYLE_FRAMES = 6       # frames sampled for the style loss (VGG on 2 cores is the slow part)
CROP = 128             # crop side at benchmark size; shown 2× (nearest) so strokes stay visible
CROP_LABEL = 28        # height of the crop sheet's label band, above the crops


# --- decoding -------------------------------------------------------------------------------

def read_with(command, path):
    """stdout of an ffprobe/ffmpeg `command` reading `path`; a file they cannot read ends the
    judge with one line naming it (missing, truncated, not a video)."""
    done = subprocess.run(command, capture_output=True)
    if done.returncode != 0:
        # ffmpeg's first complaint names the cause; its last is usually a generic consequence.
        reason = (done.stderr.decode(errors="replace").strip().splitlines() or ["no reason given"])[0]
        sys.exit(f"flicker_judge: cannot read {path}: {reason}")
    return done.stdout


def probe_size(path):
    out = read_with(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                     "stream=width,height", "-of", "csv=p=0", path], path).decode()
    try:
        w, h = out.strip().split(",")[:2]
        return int(w), int(h)
    except ValueError:
        sys.exit(f"flicker_judge: {path} has no video stream")


def decode(path, size):
    """Every frame of `path` as N×H×W×3 uint8 RGB at `size` (w, h). passthrough keeps ffmpeg from
    duplicating or dropping frames on VFR clips, so frame i of every file is the same instant."""
    w, h = size
    raw = read_with(["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-map", "0:v:0",
                     "-vf", f"scale={w}:{h}:flags=bicubic+accurate_rnd+full_chroma_int",
                     "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], path)
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)


# --- flow, mask, warping error --------------------------------------------------------------

def luma(rgb):
    """0…1 luma (BT.601) of uint8 or 0…1 RGB frames."""
    x = rgb.astype(np.float32) / (255.0 if rgb.dtype == np.uint8 else 1.0)
    return x @ np.array([0.299, 0.587, 0.114], np.float32)


def sample(field, flow, interpolation=cv2.INTER_LINEAR):
    """`field` (H×W×C) read at x + flow(x), border replicated."""
    h, w = flow.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(field, gx + flow[..., 0], gy + flow[..., 1], interpolation,
                     borderMode=cv2.BORDER_REPLICATE)


def non_occlusion(back, fwd):
    """1 where the flow t → t−1 (`back`) is trusted, on frame t's grid; `fwd` is t−1 → t."""
    h, w = back.shape[:2]
    fwd_at = sample(fwd, back)                     # where x lands in t−1, that frame's flow back
    lhs = np.sum((back + fwd_at) ** 2, axis=2)     # a round trip should come home
    occluded = lhs > 0.01 * (np.sum(back ** 2, axis=2) + np.sum(fwd_at ** 2, axis=2)) + 0.5
    du = np.gradient(back[..., 0])
    dv = np.gradient(back[..., 1])
    boundary = du[0] ** 2 + du[1] ** 2 + dv[0] ** 2 + dv[1] ** 2 > 0.01 * np.sum(back ** 2, axis=2) + 0.002
    gx, gy = np.meshgrid(np.arange(w), np.arange(h))
    tx, ty = gx + back[..., 0], gy + back[..., 1]
    outside = (tx < 0) | (tx > w - 1) | (ty < 0) | (ty > h - 1)
    return (~(occluded | boundary | outside)).astype(np.float32)


def dis_medium():
    """The judge's flow: OpenCV's DIS, preset MEDIUM, from one 8-bit gray frame to another."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return lambda a, b: dis.calc(a, b, None)


def farneback(a, b):
    """The second referee's flow: OpenCV's Farnebäck (pyramid ½, 5 levels, window 15, 3
    iterations, polynomial 5 / 1.1), an algorithm that shares nothing with DIS."""
    return cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 5, 15, 3, 5, 1.1, 0)


def flows_and_masks(frames, flow=None):
    """For t = 1…T−1: (flow t → t−1, non-occlusion mask of t) on the frames' luma, by `flow`
    (two 8-bit gray frames → their flow; default the judge's, `dis_medium`)."""
    flow = flow or dis_medium()
    gray = [np.clip(luma(f) * 255 + 0.5, 0, 255).astype(np.uint8) for f in frames]
    out = []
    for t in range(1, len(frames)):
        back = flow(gray[t], gray[t - 1])
        fwd = flow(gray[t - 1], gray[t])
        out.append((back, non_occlusion(back, fwd)))
    return out


def exact_flows(path, n, size):
    """For t = 1…n−1: (flow t → t−1, mask of t) from a synthetic clip's homographies
    (Benchmarks/devset/synth.py: H_t maps frame t's pixels to the photo). Frame t's pixel x shows
    the photo at H_t x, which frame t−1 shows at H_{t−1}⁻¹ H_t x; the photo is flat, so the mask
    drops pixels whose source lies outside frame t−1 and, in a clip with particles in front of
    the photo (`occluded`), those a particle covers in frame t or at their source in t−1. In a
    clip with objects moving on their own (`labels`, `shifts`), a pixel an object shows wholly
    moved with it; the mask keeps a pixel only where its source in t−1 shows the same thing wholly
    (an object's edge, or what one uncovers or covers, is left out)."""
    data = np.load(path)
    hom, w, h = data["homographies"], *map(int, data["size"])
    occluded = data["occluded"] if "occluded" in data else None
    labels, shifts = (data["labels"], data["shifts"]) if "labels" in data else (None, None)
    if (w, h) != tuple(size) or len(hom) < n:
        sys.exit(f"flicker_judge: {path} is for {len(hom)} frames of {w}×{h}, the input has {n} of {size[0]}×{size[1]}")
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
    pts = np.stack([gx, gy, np.ones_like(gx)], -1)
    out = []
    for t in range(1, n):
        q = pts @ (np.linalg.inv(hom[t - 1]) @ hom[t]).T
        tx, ty = q[..., 0] / q[..., 2], q[..., 1] / q[..., 2]
        if labels is not None:
            for j in range(shifts.shape[1]):
                on = labels[t] == j + 1
                tx[on], ty[on] = gx[on] - shifts[t, j, 0], gy[on] - shifts[t, j, 1]
        back = np.stack([tx - gx, ty - gy], -1).astype(np.float32)
        inside = (tx >= 0) & (tx <= w - 1) & (ty >= 0) & (ty <= h - 1)
        if occluded is not None:
            source = cv2.remap(occluded[t - 1].astype(np.float32), tx.astype(np.float32), ty.astype(np.float32),
                               cv2.INTER_LINEAR)
            inside &= (occluded[t] == 0) & (source == 0)
        if labels is not None:
            inside &= labels[t] != 255
            for value in np.unique(labels[t]):
                if value == 255:
                    continue
                on = labels[t] == value
                same = cv2.remap((labels[t - 1] == value).astype(np.float32), tx.astype(np.float32),
                                 ty.astype(np.float32), cv2.INTER_LINEAR)
                inside &= ~on | (same > 0.999)
        out.append((back, inside.astype(np.float32)))
    return out


def difference_maps(frames, flows, interpolation=cv2.INTER_CUBIC):
    """For t = 1…T−1: Σ_c (O_t − O_{t−1} warped along the flow)² per pixel, before any mask."""
    x = frames.astype(np.float32) / 255.0 if frames.dtype == np.uint8 else frames
    return [np.sum((x[t] - sample(x[t - 1], back, interpolation)) ** 2, axis=2)
            for t, (back, _) in enumerate(flows, start=1)]


def masked_error(maps, masks):
    """Mean over the pairs of E_t, the masked mean per channel (a pair with an empty mask scores 0)."""
    errors = [float((d2 * mask).sum() / (3 * mask.sum())) if mask.sum() > 0 else 0.0 for d2, mask in zip(maps, masks)]
    return float(np.mean(errors)) if errors else 0.0


def warping_error(frames, flows, interpolation=cv2.INTER_CUBIC):
    return masked_error(difference_maps(frames, flows, interpolation), [mask for _, mask in flows])


TEXTURE = 1.0 / 255    # mean local gradient of the input's luma below which an area counts as flat


def textured_only(inp, flows):
    """The flows with their masks narrowed to where frame t's input has texture. On flat input
    no flow can be checked against the picture, and OpenCV's DIS errs more there than Stylize's
    (synthetic clips with exact motion: 0.22–0.49 px against 0.14–0.38 px end-point error on flat
    areas, both ~0.06–0.15 px on textured ones), so strokes carried along the true motion of a
    flat wall can score as flicker. The column is a second view, not a replacement."""
    out = []
    for t, (back, mask) in enumerate(flows, start=1):
        y = cv2.GaussianBlur(luma(inp[t]), (0, 0), 1.0)
        gy, gx = np.gradient(y)
        texture = cv2.blur(np.hypot(gx, gy), (9, 9)) >= TEXTURE
        out.append((back, mask * texture))
    return out


def mean_gradient(frames):
    """Mean over frames of mean √(gx² + gy²), forward differences on 0…1 luma."""
    total = 0.0
    for f in frames:
        y = luma(f)
        gx, gy = y[:-1, 1:] - y[:-1, :-1], y[1:, :-1] - y[:-1, :-1]
        total += float(np.mean(np.sqrt(gx * gx + gy * gy)))
    return total / len(frames)


def gap_closed(per_frame, temporal, floor):
    """Share of the per-frame → floor gap that temporal blending closes; None where per-frame
    is not above the floor (nothing to close)."""
    return (per_frame - temporal) / (per_frame - floor) if per_frame > floor else None


# --- the crop -------------------------------------------------------------------------------

def crop_sheet(path, inp, per, tem, flows, per_maps):
    """input | per-frame | temporal, a CROP×CROP window of frame t (top) and t+1 (bottom), 2×.
    t is the middle pair, or the nearest one whose mask covers half the frame (not a cut);
    the window is where the per-frame output flickers most at t+1, so flicker and smear show."""
    n = len(flows)
    order = sorted(range(n), key=lambda i: abs(i - n // 2))
    i = next((i for i in order if flows[i][1].mean() >= 0.5), order[0])   # pair (t, t+1) = (i, i+1)
    h, w = per_maps[i].shape
    side = min(CROP, h, w)
    box = cv2.boxFilter(per_maps[i], -1, (side, side), normalize=False, borderType=cv2.BORDER_CONSTANT)
    half = side // 2
    valid = box[half:h - side + half + 1, half:w - side + half + 1]    # windows fully inside
    cy, cx = np.unravel_index(np.argmax(valid), valid.shape)
    y0, x0 = int(cy), int(cx)
    tiles = []
    for t in (i, i + 1):
        row = [np.repeat(np.repeat(v[t, y0:y0 + side, x0:x0 + side], 2, 0), 2, 1) for v in (inp, per, tem)]
        tiles.append(np.concatenate([np.pad(r, ((2, 2), (2, 2), (0, 0)), constant_values=255) for r in row], 1))
    sheet = np.concatenate(tiles, 0)
    band = np.full((CROP_LABEL, sheet.shape[1], 3), 255, np.uint8)
    label = f"input | per-frame | temporal   frames {i}, {i + 1} (top, bottom)   crop x{x0} y{y0} {side}px, 2x"
    cv2.putText(band, label, (6, 19), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.imwrite(path, cv2.cvtColor(np.concatenate([band, sheet], 0), cv2.COLOR_RGB2BGR))
    return {"frame": i, "x": x0, "y": y0, "side": side}


# --- one clip -------------------------------------------------------------------------------

def style_change(style_image, per, tem):
    """(temporal ÷ per-frame − 1 of the style loss, note); None and why when it cannot be had."""
    if not style_image:
        return None, "no painting given (--no-style-loss, or no style.jpg in the preset or beside the .onnx)"
    try:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import style_loss
    except ImportError as e:
        return None, f"style loss needs torch and Pillow ({e}): run Benchmarks/setup-venv.sh without --no-torch"
    judge = style_loss.StyleLoss(style_image)
    idx = np.unique(np.linspace(0, len(per) - 1, STYLE_FRAMES).round().astype(int))
    lp, lt = judge.of_frames(per[idx]), judge.of_frames(tem[idx])
    return lt / lp - 1, f"{len(idx)} frames at {style_loss.WIDTH} px wide"


def judge_clip(a):
    size = probe_size(a.input)
    inp, per, tem = decode(a.input, size), decode(a.perframe, size), decode(a.temporal, size)
    if not (len(inp) == len(per) == len(tem)) or len(inp) < 2:
        sys.exit(f"flicker_judge: {a.name}: frame counts differ or too few "
                 f"(input {len(inp)}, per-frame {len(per)}, temporal {len(tem)})")
    flows = exact_flows(a.flow, len(inp), size) if a.flow else flows_and_masks(inp)
    # Each video warped once per interpolation; the full and the textured-only masks share the maps.
    maps = [difference_maps(v, flows) for v in (inp, per, tem)]
    masks = [mask for _, mask in flows]
    floor, wp, wt = (masked_error(m, masks) for m in maps)
    per_maps = [d2 * mask for d2, mask in zip(maps[1], masks)]
    bilinear = [warping_error(v, flows, cv2.INTER_LINEAR) for v in (inp, per, tem)]
    textured_flows = textured_only(inp, flows)
    textured = [masked_error(m, [mask for _, mask in textured_flows]) for m in maps]
    # The second referee (real clips only: a synthetic clip's exact motion needs none).
    if a.flow:
        second = None
    else:
        farneback_flows = flows_and_masks(inp, farneback)
        second = [warping_error(v, farneback_flows) for v in (inp, per, tem)]
    style, style_note = style_change(a.style_image, per, tem)
    os.makedirs(a.out, exist_ok=True)
    crop = crop_sheet(os.path.join(a.out, a.name + ".png"), inp, per, tem, flows, per_maps)
    result = {
        "name": a.name, "split": a.split, "frames": len(inp), "size": list(size),
        "flow": "exact" if a.flow else "opencv-dis-medium",
        "floor": floor, "per_frame": wp, "temporal": wt, "gap_closed": gap_closed(wp, wt, floor),
        "bilinear": bilinear, "gap_closed_bilinear": gap_closed(bilinear[1], bilinear[2], bilinear[0]),
        "textured": textured, "gap_closed_textured": gap_closed(textured[1], textured[2], textured[0]),
        "textured_coverage": float(np.mean([m.mean() for _, m in textured_flows])),
        "farneback": second, "gap_closed_farneback": gap_closed(second[1], second[2], second[0]) if second else None,
        "gradient_ratio": mean_gradient(tem) / mean_gradient(per),
        "style_change": style, "style_note": style_note,
        "fps_per_frame": a.fps_perframe, "fps_temporal": a.fps_temporal,
        "mask_coverage": float(np.mean([m.mean() for _, m in flows])), "crop": crop,
    }
    with open(os.path.join(a.out, a.name + ".json"), "w") as f:
        json.dump(result, f, indent=1)


# --- the report -----------------------------------------------------------------------------

def fmt(v, spec, none="—"):
    return none if v is None else format(v, spec)


# key, header, width, format, and how bad a value is (the worst row has the largest):
# more flicker, less of the gap closed, less detail, a style loss further from per-frame, fewer fps.
COLUMNS = [
    ("floor", "floor", 9, ".6f", lambda v: v),
    ("per_frame", "per-frame", 9, ".6f", lambda v: v),
    ("temporal", "temporal", 9, ".6f", lambda v: v),
    ("gap_closed", "closed", 7, ".0%", lambda v: -v),
    ("gap_closed_bilinear", "closed-lin", 10, ".0%", lambda v: -v),
    ("gap_closed_textured", "closed-tex", 10, ".0%", lambda v: -v),
    ("gap_closed_farneback", "closed-fb", 9, ".0%", lambda v: -v),
    ("gradient_ratio", "grad", 5, ".2f", lambda v: -v),
    ("style_change", "style", 6, "+.1%", abs),
    ("fps_per_frame", "fps-pf", 6, ".2f", lambda v: -v),
    ("fps_temporal", "fps-tmp", 7, ".2f", lambda v: -v),
]


def passes(r):
    """Issue 16's marks: gap ≥ 80% (where there is one), gradient ratio ≥ 0.95, style ±10%."""
    return ((r["gap_closed"] is None or r["gap_closed"] >= GAP_MARK) and r["gradient_ratio"] >= GRADIENT_MARK
            and (r["style_change"] is None or abs(r["style_change"]) <= STYLE_MARK))


def report(a):
    rows = list(load_results(a.dir).values())
    if not rows:
        sys.exit(f"flicker_judge: no results in {a.dir}")
    rows.sort(key=lambda r: (SPLITS.index(r["split"]) if r["split"] in SPLITS else len(SPLITS), r["name"]))
    head = f"{'clip':<19} {'split':<9} " + " ".join(f"{h:>{w}}" for _, h, w, _, _ in COLUMNS) + "  pass"
    print(head)
    for r in rows:
        for key in ("gap_closed_bilinear", "gap_closed_textured", "gap_closed_farneback"):
            r.setdefault(key, None)   # results judged before these columns
        print(f"{r['name']:<19} {r['split']:<9} "
              + " ".join(f"{fmt(r[k], f):>{w}}" for k, _, w, f, _ in COLUMNS) + ("  yes" if passes(r) else "  no"))
    print("\nworst per column:")
    for k, h, _, f, badness in COLUMNS:
        have = [r for r in rows if r[k] is not None]
        if not have:
            continue
        r = max(have, key=lambda r: badness(r[k]))
        print(f"  {h:<9} {fmt(r[k], f):>9}  {r['name']}")
    print("\nsplit     clips  pass  gap closed (min / median)  closed-fb (median)  grad (min / mean)  style (mean)  fps per-frame → temporal (ratio)")
    for split in SPLITS + ("all",):
        s = [r for r in rows if split in ("all", r["split"])]
        if not s:
            continue
        gaps = [r["gap_closed"] for r in s if r["gap_closed"] is not None]
        second = [r["gap_closed_farneback"] for r in s if r["gap_closed_farneback"] is not None]
        grads = [r["gradient_ratio"] for r in s]
        styles = [r["style_change"] for r in s if r["style_change"] is not None]
        # Throughput over the split: all frames over all seconds (a slow clip weighs its time).
        fps = [sum(r["frames"] for r in s) / sum(r["frames"] / r[k] for r in s) if all(r[k] for r in s) else None
               for k in ("fps_per_frame", "fps_temporal")]
        print(f"{split:<9} {len(s):>5} {sum(map(passes, s)):>5}"
              f"  {fmt(min(gaps) if gaps else None, '.0%'):>11} / {fmt(float(np.median(gaps)) if gaps else None, '.0%'):<12}"
              f"  {fmt(float(np.median(second)) if second else None, '.0%'):>18}"
              f"  {min(grads):>7.2f} / {np.mean(grads):<7.2f}  {fmt(float(np.mean(styles)) if styles else None, '+.1%'):>12}"
              f"  {fmt(fps[0], '.2f'):>8} → {fmt(fps[1], '.2f')}"
              + (f" ({fps[1] / fps[0]:.3f})" if fps[0] and fps[1] else ""))
    exact = [r["name"] for r in rows if r.get("flow") == "exact"]
    if exact:
        print(f"judged along the exact motion (synthetic clips), not OpenCV's DIS: {', '.join(exact)}")
    notes = sorted({r["style_note"] for r in rows if r["style_change"] is None})
    for n in notes:
        print(f"style loss left out: {n}")
    print(f"marks (issue 16): closed ≥ {GAP_MARK:.0%} where per-frame is above the floor (— otherwise), "
          f"grad ≥ {GRADIENT_MARK}, style within ±{STYLE_MARK:.0%}; temporal fps ≥ {COST_MARK} of per-frame's")


def load_results(folder):
    """{clip name: its result} of a folder of NAME.json files."""
    return {r["name"]: r for r in (json.load(open(p)) for p in sorted(glob.glob(os.path.join(folder, "*.json"))))}


def compare(before, after):
    """Two runs' results, clip by clip (the clips both judged): rows of (name, {key: (before, after)})
    for the errors, the shares closed, the gradient ratio and the style change, and a summary: the
    geometric mean of each error's ratio after ÷ before, the mean change of each share in points,
    and how many clips meet the marks before and after."""
    keys = ("per_frame", "temporal", "gap_closed", "gap_closed_farneback", "gradient_ratio", "style_change")
    names = sorted(set(before) & set(after))
    rows = [(n, {k: (before[n].get(k), after[n].get(k)) for k in keys}) for n in names]
    summary = {}
    for k in ("per_frame", "temporal"):
        logs = [math.log(b / a) for _, c in rows for a, b in [c[k]] if a and b]
        summary[k] = math.exp(sum(logs) / len(logs)) if logs else None
    for k in ("gap_closed", "gap_closed_farneback", "gradient_ratio", "style_change"):
        changes = [b - a for _, c in rows for a, b in [c[k]] if a is not None and b is not None]
        summary[k] = sum(changes) / len(changes) if changes else None
    summary["passes"] = (sum(passes(before[n]) for n in names), sum(passes(after[n]) for n in names), len(names))
    return rows, summary


def print_comparison(a):
    before, after = load_results(a.before), load_results(a.after)
    rows, summary = compare(before, after)
    if not rows:
        sys.exit(f"flicker_judge: no clip judged in both {a.before} and {a.after}")
    print(f"{'clip':<19} {'per-frame ×1e-4':>17} {'temporal ×1e-4':>17} {'closed':>13} {'closed-fb':>13} "
          f"{'grad':>13} {'style':>15}")
    spec = {"per_frame": (".2f", 7, 1e4), "temporal": (".2f", 7, 1e4), "gap_closed": (".1f", 5, 100),
            "gap_closed_farneback": (".1f", 5, 100), "gradient_ratio": (".3f", 5, 1), "style_change": ("+.1f", 6, 100)}
    for name, c in rows:
        cells = []
        for k, (f, width, scale) in spec.items():
            x, y = (fmt(None if v is None else v * scale, f) for v in c[k])
            cells.append(f"{x:>{width}} → {y:>{width}}")
        print(f"{name:<19} " + "  ".join(cells))
    def ratio(k):
        return fmt(summary[k], ".3f")
    def points(k, scale=100, f="+.2f"):
        return fmt(None if summary[k] is None else summary[k] * scale, f)
    print(f"after ÷ before, geometric mean: per-frame {ratio('per_frame')}, temporal {ratio('temporal')}; "
          f"mean change: closed {points('gap_closed')} points, closed-fb {points('gap_closed_farneback')}, "
          f"grad {points('gradient_ratio', 1, '+.4f')}, style {points('style_change')} points; "
          f"clips meeting the marks {summary['passes'][0]} → {summary['passes'][1]} of {summary['passes'][2]}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("clip", help="judge one clip")
    c.add_argument("--name", required=True)
    c.add_argument("--split", default="dev")
    c.add_argument("--input", required=True, help="the benchmark cut the two outputs were made from")
    c.add_argument("--perframe", required=True)
    c.add_argument("--temporal", required=True)
    c.add_argument("--fps-perframe", type=float)
    c.add_argument("--fps-temporal", type=float)
    c.add_argument("--style-image", default="", help="the painting, for the style loss ('' leaves it out)")
    c.add_argument("--flow", default="", help="a synthetic clip's .flow.npz (Benchmarks/devset/synth.py): "
                   "judge along its exact motion instead of OpenCV's DIS")
    c.add_argument("--out", required=True, help="folder for NAME.json and NAME.png")
    r = sub.add_parser("report", help="print the table of a folder of results")
    r.add_argument("dir")
    v = sub.add_parser("compare", help="two folders of results clip by clip (e.g. two settings, or two networks)")
    v.add_argument("before")
    v.add_argument("after")
    a = p.parse_args()
    {"clip": judge_clip, "report": report, "compare": print_comparison}[a.command](a)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Evaluate trained style networks: how much they flicker under motion, and their losses.

For each held-out photo it renders a synthetic-motion clip — the photo under a slow, known
affine motion (rotation, zoom and pan, exactly sampled from a larger view), with slight
noise like a camera's — runs the network on every frame on its own, and computes the
warping error of Lai et al. 2018 with the *exact* flow: per pair, the per-channel mean
squared difference (0..1 RGB) between output t and output t+1 moved back along the known
motion, over the pixels that stay in the frame, averaged over pairs. It also reports the
held-out content and style losses of train.py, and checks that the exported ONNX file
gives the same output in ONNX Runtime as the PyTorch weights.

  python Training/evaluate.py --style painting.jpg MODEL.pt [MODEL2.pt ...] [--variant quality]
  python Training/evaluate.py --presets [starry-night,great-wave]     # the closing table

Used for the closing figures: the shipped model (trained with the stability term) against
the same recipe trained with --temporal-weight 0, and with --temporal-weight 0 at the lower
style weight that gives a similar style loss (train_all.py's `ablation` and `matched` runs).
"""
import argparse
import glob
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402
import paths  # noqa: E402
import train  # noqa: E402
import train_all  # noqa: E402
import vgg  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def motion_clip(photo, frames=8, size=(320, 240), seed=0):
    """Frames of `photo` (1×3×H×W, 0..255) seen through a window that rotates, zooms and pans
    slowly; returns the frames (N×3×h×w) and, per pair, the sampling grid that moves frame
    t+1 back onto frame t (for warping outputs) and its in-frame mask."""
    rng = np.random.default_rng(seed)
    w, h = size
    _, _, H, W = photo.shape
    # Window of the photo for frame k: centre, scale (photo px per frame px) and angle.
    scale0 = 0.8 * min(W / w, H / h)
    d_angle, d_zoom = math.radians(rng.uniform(0.4, 0.8)), rng.uniform(0.005, 0.01)
    d_pan = rng.uniform(-1.5, 1.5, 2)
    windows = []
    for k in range(frames):
        windows.append((W / 2 + d_pan[0] * k * scale0, H / 2 + d_pan[1] * k * scale0,
                        scale0 * (1 - d_zoom * k), d_angle * k))

    def frame_to_photo(win):
        """Affine map from frame pixel (x, y, 1) to photo pixel."""
        cx, cy, s, a = win
        c, si = math.cos(a), math.sin(a)
        return np.array([[s * c, -s * si, cx - s * (c * w / 2 - si * h / 2)],
                         [s * si, s * c, cy - s * (si * w / 2 + c * h / 2)], [0, 0, 1]])

    def grid_for(M, src_w, src_h):
        """grid_sample grid sampling a src_w×src_h image at M·(x, y, 1) for each frame pixel."""
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
        px = M[0, 0] * xs + M[0, 1] * ys + M[0, 2]
        py = M[1, 0] * xs + M[1, 1] * ys + M[1, 2]
        gx, gy = (px + 0.5) / src_w * 2 - 1, (py + 0.5) / src_h * 2 - 1
        return torch.from_numpy(np.stack([gx, gy], -1)).float().unsqueeze(0)

    clip, pairs = [], []
    for k, win in enumerate(windows):
        g = grid_for(frame_to_photo(win), W, H)
        f = F.grid_sample(photo, g, mode="bicubic", padding_mode="border", align_corners=False)
        f = (f + torch.from_numpy(rng.normal(0, 2, f.shape)).float()).clamp(0, 255)
        clip.append(f)
        if k > 0:
            # Frame t pixel → photo → frame t+1 pixel.
            M = np.linalg.inv(frame_to_photo(win)) @ frame_to_photo(windows[k - 1])
            back = grid_for(M, w, h)
            inside = ((back[..., 0].abs() <= 1) & (back[..., 1].abs() <= 1)).unsqueeze(1)
            pairs.append((back, inside))
    return torch.cat(clip), pairs


def warping_error(outputs, pairs):
    """Lai et al.'s warping error with exact flow; outputs N×3×h×w in 0..255."""
    o = outputs.clamp(0, 255) / 255
    errors = []
    for t, (back, inside) in enumerate(pairs):
        moved = F.grid_sample(o[t + 1:t + 2], back, mode="bilinear", padding_mode="border", align_corners=False)
        m = inside.float()
        errors.append(float(((moved - o[t:t + 1]) ** 2 * m).sum() / (3 * m.sum())))
    return sum(errors) / len(errors)


def onnx_check(net, onnx_path, x):
    """Largest |ONNX Runtime − PyTorch| on x, relative to the output range."""
    import onnxruntime as ort
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    ours = session.run(None, {"input": x.numpy()})[0]
    with torch.no_grad():
        ref = net(x).numpy()
    return float(np.abs(ours - ref).max() / max(np.ptp(ref), 1e-6))


def evaluate(model_paths, painting_path, variant, clips, loss_net, onnx_paths=None):
    """Per model: (warping error, held-out content, style, ONNX Runtime vs PyTorch or None).
    The exported file compared is `onnx_paths[i]`, by default VARIANT.onnx beside the .pt."""
    painting = train.load_rgb(painting_path, 384).unsqueeze(0).float()
    with torch.no_grad():
        style_grams = {k: train.gram(v) for k, v in loss_net(painting).items()}
    results = []
    for i, path in enumerate(model_paths):
        net = train.load_network(path, variant).eval()
        errors, content, style = [], 0.0, 0.0
        with torch.no_grad():
            for frames, pairs in clips:
                outputs = torch.cat([net(f.unsqueeze(0)) for f in frames])
                errors.append(warping_error(outputs, pairs))
                f_out, f_in = loss_net(outputs), loss_net(frames)
                content += float(F.mse_loss(f_out["relu2_2"], f_in["relu2_2"])) * train.CONTENT_SCALE / len(clips)
                style += sum(float(F.mse_loss(train.gram(f_out[k]), style_grams[k].expand(len(frames), -1, -1)))
                             for k in train.STYLE_LAYERS) * train.STYLE_SCALE / len(clips)
        onnx_path = onnx_paths[i] if onnx_paths else os.path.join(os.path.dirname(path), f"{variant}.onnx")
        onnx_diff = onnx_check(net, onnx_path, clips[0][0][:1]) if onnx_path and os.path.exists(onnx_path) else None
        results.append((sum(errors) / len(errors), content, style, onnx_diff))
    return results


def held_out_photos(folder, size=384, multiple=4):
    """The held-out photos at `size` (longer side), cut to a multiple of `multiple`, 1×3×H×W each."""
    photos = []
    for path in sorted(glob.glob(os.path.join(folder, "*.jpg"))):
        x = train.load_rgb(path, size).unsqueeze(0).float()
        photos.append(x[:, :, :x.shape[2] // multiple * multiple, :x.shape[3] // multiple * multiple])
    if not photos:
        sys.exit(f"evaluate: error: no photos in {folder}")
    return photos


def scale_losses(paint, painting_path, photos, loss_net, size=384):
    """Mean held-out (fine style, coarse style, content) losses in train.py's units of
    `paint` (1×3×H×W 0..255 → same) on `photos` (at `size`): fine = the output against the painting
    at `size`, the scale the networks are trained at (texture); coarse = the output and the painting
    both at half of that (the painting's large structures: swirls, big strokes); content on relu2_2."""
    def grams(size):
        return {k: train.gram(v) for k, v in loss_net(train.load_rgb(painting_path, size).unsqueeze(0).float()).items()}
    fine = coarse = content = 0.0
    with torch.no_grad():
        fine_grams, coarse_grams = grams(size), grams(size // 2)
        for x in photos:
            y = paint(x).clamp(0, 255)
            fy, fx = loss_net(y), loss_net(x, upto="relu2_2")
            fine += float(train.style_loss(fy, fine_grams)) / len(photos)
            coarse += float(train.style_loss(loss_net(train.coarse(y)), coarse_grams)) / len(photos)
            content += float(F.mse_loss(fy["relu2_2"], fx["relu2_2"])) * train.CONTENT_SCALE / len(photos)
    return fine, coarse, content


def preset_rows(names, clips, loss_net):
    """The closing table: per shipped preset, its quality network (trained with the stability
    term) against the same recipe without the term (train_all.py --variants ablation), and
    without the term at a lower style weight that reaches a similar style loss (`matched`, when
    trained); then the shipped realtime network, the webcam's."""
    manifest_path = os.path.join(train.DATA, "styles", "manifest.json")
    manifest = json.load(open(manifest_path)) if os.path.exists(manifest_path) else {}
    print("| preset | network | temporal weight | style weight | iterations | training time | warping error "
          "| ÷ shipped quality's | style | content | exported ONNX in ONNX Runtime vs PyTorch |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in names:
        preset = os.path.join(REPO, "Presets", name)
        arms = [("quality (shipped)", "quality", os.path.join(paths.RUNS, f"{name}-quality"), preset),
                ("quality without the term", "quality", os.path.join(paths.RUNS, f"{name}-quality-notemporal"),
                 os.path.join(train_all.ABLATION, name)),
                ("quality without the term, style-matched", "quality",
                 os.path.join(paths.RUNS, f"{name}-quality-notemporal-matched"),
                 os.path.join(train_all.ABLATION, f"{name}-matched")),
                ("realtime (shipped)", "realtime", os.path.join(paths.RUNS, f"{name}-realtime"), preset)]
        painting = os.path.join(train.DATA, "styles", manifest[name]["file"]) if name in manifest \
            else os.path.join(preset, "style.jpg")
        reference = None
        for label, variant, work, folder in arms:
            model = os.path.join(work, f"{variant}.pt")
            meta_path = os.path.join(folder, "preset.json")
            if not (os.path.exists(model) and os.path.exists(meta_path)):
                print(f"| {name} | {label} | not trained yet |", flush=True)
                continue
            meta = json.load(open(meta_path))["training"][variant]
            (error, content, style, onnx_diff), = evaluate([model], painting, variant, clips, loss_net,
                                                          onnx_paths=[os.path.join(folder, f"{variant}.onnx")])
            if variant == "quality" and folder == preset:
                reference = error
            settings = meta["settings"]
            onnx = f"max diff {onnx_diff:.1e} of range" if onnx_diff is not None else "no file"
            print(f"| {name} | {label} | {settings['temporal_weight']:g} | {settings['style_weight']:.3g} | "
                  f"{meta['iterations']} | {meta.get('training_seconds', 0) / 60:.0f} min | {error:.6f} | "
                  f"{f'{error / reference:.2f}' if reference else '—'} | {style:.4g} | {content:.4g} | {onnx} |", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("models", nargs="*", help="PyTorch state dicts (.pt) written by train.py")
    p.add_argument("--style", help="the painting the models were trained on")
    p.add_argument("--presets", nargs="?", const="all",
                   help="instead: the closing table for these presets (comma-separated; default every trained one)")
    p.add_argument("--variant", choices=models.VARIANTS, default="quality")
    p.add_argument("--test-photos", default=os.path.join(train.DATA, "photos", "test"))
    p.add_argument("--frames", type=int, default=8)
    args = p.parse_args()
    if not args.presets and not (args.models and args.style):
        p.error("give MODEL.pt files and --style, or --presets")
    torch.set_num_threads(2)
    photos = sorted(glob.glob(os.path.join(args.test_photos, "*.jpg")))
    if not photos:
        sys.exit(f"evaluate: error: no photos in {args.test_photos}")
    clips = [motion_clip(train.load_rgb(path).unsqueeze(0).float(), args.frames, seed=i)
             for i, path in enumerate(photos)]
    loss_net = vgg.VGG16Features(os.path.join(train.DATA, "vgg"))
    inputs = [warping_error(frames, pairs) for frames, pairs in clips]
    print(f"input clips: warping error {sum(inputs) / len(inputs):.6f} (the floor: noise and resampling)")
    if args.presets:
        names = args.presets.split(",") if args.presets != "all" else sorted(
            os.path.basename(os.path.dirname(m)) for m in glob.glob(os.path.join(REPO, "Presets", "*", "preset.json"))
            if not json.load(open(m)).get("placeholder"))
        preset_rows(names, clips, loss_net)
        return
    for path, (error, content, style, onnx_diff) in zip(args.models, evaluate(
            args.models, args.style, args.variant, clips, loss_net)):
        line = f"{path}: warping error {error:.6f}, held-out content {content:.4g}, style {style:.4g}"
        if onnx_diff is not None:
            line += f", ONNX Runtime vs PyTorch max diff {onnx_diff:.2e} of range"
        print(line, flush=True)


if __name__ == "__main__":
    main()

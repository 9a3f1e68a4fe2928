#!/usr/bin/env python3
"""The presets contact sheet (docs/presets.jpg): one row per trained preset — its painting,
then each held-out photo stylized by the quality and the realtime variant — run from the
shipped ONNX files in ONNX Runtime, so the sheet shows exactly what ships.

  python Training/contact_sheet.py [--out docs/presets.jpg] [--height 160]
  python Training/contact_sheet.py --check      # artefact numbers per preset instead
"""
import argparse
import glob
import json
import os
import sys
import unicodedata

import numpy as np
from PIL import Image, ImageDraw, ImageFont

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

sys.path.insert(0, HERE)
import paths  # noqa: E402

PHOTOS = os.path.join(paths.DATA, "photos", "test")


def fit(img, height, multiple=8):
    """Resized to `height`, width rounded to `multiple` (what the networks need)."""
    w = max(multiple, round(img.width * height / img.height / multiple) * multiple)
    return img.resize((w, height), Image.LANCZOS)


def label_font():
    """DejaVu Sans where the system has it; Pillow's built-in font has no accented letters
    (it drew "Café" as "Caf" and a box), so with it the labels are folded to plain ASCII."""
    try:
        return ImageFont.truetype("DejaVuSans.ttf", 11), str
    except OSError:
        fold = lambda text: unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return ImageFont.load_default(), fold


def stylize(session, img):
    x = np.asarray(img, np.float32).transpose(2, 0, 1)[None]
    y = session.run(None, {"input": x})[0][0]
    return Image.fromarray(np.clip(y, 0, 255).round().astype(np.uint8).transpose(1, 2, 0))


def artefacts(img):
    """Numbers for the failures the sheet is looked at for (compare an output's with its photo's):
    clipped   share of pixels blown out to white or crushed to black (all channels ≥ 250 or ≤ 5;
              one saturated channel is a colour, e.g. gold, not a fault)
    flat      share of 8×8 blocks with almost no variation (dead grey or black patches)
    grid      spectral peak at the 8- and 4-pixel periods over its neighbours (checkerboard
              from strided or upsampling layers); ≈1 for natural pictures
    border    how much the outer 4-pixel frame's mean colour differs from the band just inside,
              in levels (border artefacts from padding)"""
    a = np.asarray(img, np.float64)
    h, w = a.shape[0] // 8 * 8, a.shape[1] // 8 * 8
    clipped = float(((a <= 5).all(2) | (a >= 250).all(2)).mean())
    blocks = a[:h, :w].reshape(h // 8, 8, w // 8, 8, 3).std((1, 3)).max(-1)
    flat = float((blocks < 1.0).mean())
    g = a[:h, :w].mean(2)
    f = np.abs(np.fft.fft2(g - g.mean()))
    peaks = []
    for period in (8, 4):
        for k in range(period):
            for l in range(period):
                if k == 0 and l == 0:
                    continue
                i, j = k * h // period, l * w // period
                near = [f[(i + di) % h, (j + dj) % w] for di in (-3, -2, 2, 3) for dj in (-3, -2, 2, 3)]
                peaks.append(f[i, j] / (np.mean(near) + 1e-9))
    grid = float(np.mean(peaks))
    outer = np.concatenate([a[:4].reshape(-1, 3), a[-4:].reshape(-1, 3), a[:, :4].reshape(-1, 3), a[:, -4:].reshape(-1, 3)])
    inner = np.concatenate([a[4:12, 4:-4].reshape(-1, 3), a[-12:-4, 4:-4].reshape(-1, 3),
                            a[4:-4, 4:12].reshape(-1, 3), a[4:-4, -12:-4].reshape(-1, 3)])
    border = float(np.abs(outer.mean(0) - inner.mean(0)).mean())
    return {"clipped": clipped, "flat": flat, "grid": grid, "border": border}


def check(photos, presets):
    """Prints the artefact numbers per preset and variant (means over the photos) beside the
    photos' own."""
    import onnxruntime as ort
    keys = ("clipped", "flat", "grid", "border")
    inputs = [artefacts(p) for p in photos]
    print("| preset | variant | " + " | ".join(keys) + " |\n|---|---|" + "---|" * len(keys))
    print("| (the photos) | | " + " | ".join(f"{np.mean([s[k] for s in inputs]):.3g}" for k in keys) + " |")
    for name, folder, meta in presets:
        for variant in ("quality", "realtime"):
            model = os.path.join(folder, meta.get("models", {}).get(variant, f"{variant}.onnx"))
            if not os.path.exists(model):
                continue
            session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
            outs = [artefacts(stylize(session, p)) for p in photos]
            print(f"| {name} | {variant} | " + " | ".join(f"{np.mean([s[k] for s in outs]):.3g}" for k in keys) + " |",
                  flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=os.path.join(REPO, "docs", "presets.jpg"))
    p.add_argument("--height", type=int, default=160)
    p.add_argument("--photos", default=PHOTOS)
    p.add_argument("--check", action="store_true",
                   help="instead of the sheet: artefact numbers per preset (see artefacts()) at 384 px")
    args = p.parse_args()
    import onnxruntime as ort
    if args.check:
        args.height = max(args.height, 384)

    photos = [fit(Image.open(f).convert("RGB"), args.height) for f in sorted(glob.glob(os.path.join(args.photos, "*.jpg")))]
    if not photos:
        sys.exit(f"contact_sheet: error: no held-out photos in {args.photos} (run Training/fetch_data.py)")
    presets = []
    for meta_path in sorted(glob.glob(os.path.join(REPO, "Presets", "*", "preset.json"))):
        meta = json.load(open(meta_path))
        if not meta.get("placeholder"):
            presets.append((os.path.basename(os.path.dirname(meta_path)), os.path.dirname(meta_path), meta))
    if args.check:
        check(photos, presets)
        return
    rows = []
    for _, folder, meta in presets:
        painting = Image.open(os.path.join(folder, "style.jpg")).convert("RGB")
        painting.thumbnail((args.height * 3 // 2, args.height), Image.LANCZOS)
        cell = Image.new("RGB", (args.height * 3 // 2, args.height), (250, 250, 248))
        cell.paste(painting, ((cell.width - painting.width) // 2, (cell.height - painting.height) // 2))
        cells = [cell]   # one width for every painting, so the columns line up under their headers
        for photo in photos:
            for variant in ("quality", "realtime"):
                model = os.path.join(folder, meta.get("models", {}).get(variant, f"{variant}.onnx"))
                if not os.path.exists(model):
                    cells.append(Image.new("RGB", photo.size, (40, 40, 40)))
                    continue
                session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
                cells.append(stylize(session, photo))
        label = f"{meta.get('title', os.path.basename(folder))} - {meta.get('artist') or ''}, {meta.get('year') or ''}"
        rows.append((label, cells))
    if not rows:
        sys.exit("contact_sheet: error: no trained presets in Presets/")
    gap, caption = 6, 18
    width = max(sum(c.width for c in cells) + gap * (len(cells) + 1) for _, cells in rows)
    header = 22
    sheet = Image.new("RGB", (width, header + len(rows) * (args.height + caption + gap) + gap), (250, 250, 248))
    draw = ImageDraw.Draw(sheet)
    font, fold = label_font()
    x = gap + rows[0][1][0].width + gap
    draw.text((gap, 5), "painting", font=font, fill=(60, 60, 60))
    for photo in photos:
        for variant in ("quality", "realtime"):
            draw.text((x, 5), variant, font=font, fill=(60, 60, 60))
            x += photo.width + gap
    y = header
    for label, cells in rows:
        draw.text((gap, y), fold(label), font=font, fill=(20, 20, 20))
        x = gap
        for cell in cells:
            sheet.paste(cell, (x, y + caption))
            x += cell.width + gap
        y += args.height + caption + gap
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    sheet.save(args.out, quality=88)
    print(f"contact_sheet: {len(rows)} presets → {args.out} ({sheet.width}×{sheet.height})")


if __name__ == "__main__":
    main()

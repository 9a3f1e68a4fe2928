#!/usr/bin/env python3
"""The presets contact sheet (docs/presets.jpg): one row per trained preset — its painting,
then each held-out photo stylized by the quality and the realtime variant — run from the
shipped ONNX files in ONNX Runtime, so the sheet shows exactly what ships.

  python Training/contact_sheet.py [--out docs/presets.jpg] [--height 160]
"""
import argparse
import glob
import json
import os
import sys

import numpy as np
from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

sys.path.insert(0, HERE)
import paths  # noqa: E402

PHOTOS = os.path.join(paths.DATA, "photos", "test")


def fit(img, height, multiple=8):
    """Resized to `height`, width rounded to `multiple` (what the networks need)."""
    w = max(multiple, round(img.width * height / img.height / multiple) * multiple)
    return img.resize((w, height), Image.LANCZOS)


def stylize(session, img):
    x = np.asarray(img, np.float32).transpose(2, 0, 1)[None]
    y = session.run(None, {"input": x})[0][0]
    return Image.fromarray(np.clip(y, 0, 255).round().astype(np.uint8).transpose(1, 2, 0))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=os.path.join(REPO, "docs", "presets.jpg"))
    p.add_argument("--height", type=int, default=160)
    p.add_argument("--photos", default=PHOTOS)
    args = p.parse_args()
    import onnxruntime as ort

    photos = [fit(Image.open(f).convert("RGB"), args.height) for f in sorted(glob.glob(os.path.join(args.photos, "*.jpg")))]
    if not photos:
        sys.exit(f"contact_sheet: error: no held-out photos in {args.photos} (run Training/fetch_data.py)")
    rows = []
    for meta_path in sorted(glob.glob(os.path.join(REPO, "Presets", "*", "preset.json"))):
        meta = json.load(open(meta_path))
        folder = os.path.dirname(meta_path)
        if meta.get("placeholder"):
            continue
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
    x = gap + rows[0][1][0].width + gap
    draw.text((gap, 5), "painting", fill=(60, 60, 60))
    for photo in photos:
        for variant in ("quality", "realtime"):
            draw.text((x, 5), variant, fill=(60, 60, 60))
            x += photo.width + gap
    y = header
    for label, cells in rows:
        draw.text((gap, y), label, fill=(20, 20, 20))
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

#!/usr/bin/env python3
"""The presets contact sheet (docs/presets.jpg): one row per trained preset — its painting,
then each held-out photo at three strengths (light, the preset's default, 1: the boldest), then
one row of two paintings blended — run from the shipped ONNX files in ONNX Runtime, so the
sheet shows exactly what ships. A preset that is a row of a style bank moves along the bank's
rows as Stylize does (BankLook.weights); a plain network fades toward the photo.

  python Training/contact_sheet.py [--out docs/presets.jpg] [--height 128] [--blend a,b]
  python Training/contact_sheet.py --variant realtime --out docs/presets-realtime.jpg   # the live networks
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
import bank_look  # noqa: E402
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


def stylize(session, img, weights=None):
    x = np.asarray(img, np.float32).transpose(2, 0, 1)[None]
    feeds = {"input": x}
    if weights is not None:
        feeds["style_weights"] = np.asarray(weights, np.float32)
    y = session.run(None, feeds)[0][0]
    return Image.fromarray(np.clip(y, 0, 255).round().astype(np.uint8).transpose(1, 2, 0))


class Look:
    """A preset at any strength: a style bank row's weights (BankLook.weights), or a plain
    network faded toward the photo."""
    LIGHT = 0.3

    def __init__(self, folder, meta, sessions, variant="quality"):
        self.entry = meta.get("bank")
        bank_meta = {}
        if self.entry:
            bank = os.path.normpath(os.path.join(folder, self.entry["folder"]))
            bank_meta = json.load(open(os.path.join(bank, "bank.json")))
        if variant in bank_meta.get("models", {}):
            self.rows = bank_meta["rows"]
            model = os.path.join(bank, bank_meta["models"][variant])
            self.default = self.entry["strength"]
        else:   # a plain network, or a bank row whose bank has no network of this variant (as Stylize)
            self.entry = None
            model = os.path.join(folder, meta.get("models", {}).get(variant, f"{variant}.onnx"))
            self.default = 1.0
        if model not in sessions:
            import onnxruntime as ort
            sessions[model] = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
        self.session = sessions[model]

    def weights(self, strength):
        e = self.entry
        return np.asarray(bank_look.weights(self.rows, e["photo"], e["row"], e.get("bold"), self.default, strength), np.float32)

    def paint(self, photo, strength):
        if self.entry:
            return stylize(self.session, photo, self.weights(strength))
        return Image.blend(photo, stylize(self.session, photo), min(max(strength, 0.0), 1.0))

    def strengths(self):
        return (self.LIGHT, self.default, 1.0)


def blended(looks, photo):
    """Two bank presets mixed half and half at their default strengths (`--style a:0.5,b:0.5`)."""
    w = sum(0.5 * look.weights(look.default) for look in looks)
    return stylize(looks[0].session, photo, w)


def painting_cell(paths, height):
    """The paintings side by side in one cell of the sheet's first column."""
    cell = Image.new("RGB", (height * 3 // 2, height), (250, 250, 248))
    width = cell.width // len(paths)
    for i, path in enumerate(paths):
        painting = Image.open(path).convert("RGB")
        painting.thumbnail((width, height), Image.LANCZOS)
        cell.paste(painting, (i * width + (width - painting.width) // 2, (cell.height - painting.height) // 2))
    return cell


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
    photos' own; a style bank row at its default strength and at 1."""
    import onnxruntime as ort
    keys = ("clipped", "flat", "grid", "border")
    inputs = [artefacts(p) for p in photos]
    print("| preset | variant | " + " | ".join(keys) + " |\n|---|---|" + "---|" * len(keys))
    print("| (the photos) | | " + " | ".join(f"{np.mean([s[k] for s in inputs]):.3g}" for k in keys) + " |")

    def line(name, variant, outs):
        print(f"| {name} | {variant} | " + " | ".join(f"{np.mean([s[k] for s in outs]):.3g}" for k in keys) + " |",
              flush=True)

    sessions = {}
    for name, folder, meta in presets:
        look = Look(folder, meta, sessions)
        if look.entry:
            for strength in sorted({look.default, 1.0}):
                line(name, f"bank at {strength:g}", [artefacts(look.paint(p, strength)) for p in photos])
        for variant in ("realtime",) if look.entry else ("quality", "realtime"):
            model = os.path.join(folder, meta.get("models", {}).get(variant, f"{variant}.onnx"))
            if not os.path.exists(model):
                continue
            session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
            line(name, variant, [artefacts(stylize(session, p)) for p in photos])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=os.path.join(REPO, "docs", "presets.jpg"))
    p.add_argument("--height", type=int, default=128)
    p.add_argument("--photos", default=PHOTOS)
    p.add_argument("--presets", default=os.path.join(REPO, "Presets"), help="the presets folder")
    p.add_argument("--blend", default="starry-night,great-wave", help="two bank presets for the blended row")
    p.add_argument("--variant", choices=("quality", "realtime"), default="quality",
                   help="which network of each preset paints the sheet (realtime: what the live camera runs)")
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
    for meta_path in sorted(glob.glob(os.path.join(args.presets, "*", "preset.json"))):
        meta = json.load(open(meta_path))
        if not meta.get("placeholder"):
            presets.append((os.path.basename(os.path.dirname(meta_path)), os.path.dirname(meta_path), meta))
    if args.check:
        check(photos, presets)
        return
    rows, sessions, looks = [], {}, {}
    for name, folder, meta in presets:
        look = looks[name] = Look(folder, meta, sessions, args.variant)
        cells = [painting_cell([os.path.join(folder, "style.jpg")], args.height)]
        for photo in photos:
            cells += [look.paint(photo, s) for s in look.strengths()]
        label = f"{meta.get('title', name)} - {meta.get('artist') or ''}, {meta.get('year') or ''}"
        rows.append((label, cells))
    if not rows:
        sys.exit("contact_sheet: error: no trained presets in Presets/")
    pair = args.blend.split(",")
    if all(n in looks and looks[n].entry for n in pair) and len(pair) == 2:
        mix = [looks[n] for n in pair]
        cells = [painting_cell([os.path.join(args.presets, n, "style.jpg") for n in pair], args.height)]
        for photo in photos:
            cells += [Image.new("RGB", photo.size, (250, 250, 248)), blended(mix, photo), Image.new("RGB", photo.size, (250, 250, 248))]
        rows.append((f"--style {pair[0]}:0.5,{pair[1]}:0.5 (a blend of two rows of the style bank)", cells))
    gap, caption = 6, 18
    width = max(sum(c.width for c in cells) + gap * (len(cells) + 1) for _, cells in rows)
    header = 22
    sheet = Image.new("RGB", (width, header + len(rows) * (args.height + caption + gap) + gap), (250, 250, 248))
    draw = ImageDraw.Draw(sheet)
    font, fold = label_font()
    x = gap + rows[0][1][0].width + gap
    draw.text((gap, 5), "painting", font=font, fill=(60, 60, 60))
    for photo in photos:
        for heading in (f"strength {Look.LIGHT:g}", "default", "strength 1"):
            draw.text((x, 5), heading, font=font, fill=(60, 60, 60))
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

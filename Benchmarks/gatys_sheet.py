#!/usr/bin/env python3
"""The optimization contact sheet (docs/gatys.jpg, issue 18): 4 photos × 3 paintings at 384 px,
each row the photo, the painting, the trained quality preset of that painting, and painting by
optimization (`stylize image --style PAINTING.jpg`, 150 L-BFGS iterations). Each painted tile
carries its style loss at 384 px (the texture), at 192 px (photo, output and painting all halved:
the painting's large structures) and its content loss, in train.py's units, measured with
PyTorch on the same VGG16 (Training/evaluate.py's `scale_losses`, which the optimization did not use).

  .venv-train/bin/python Benchmarks/gatys_sheet.py [--bin .build/release/stylize] [--iterations 150]
      [--out docs/gatys.jpg] [--work .work/bench-gatys-sheet]
"""
import argparse
import os
import subprocess
import sys

import torch
from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "Training"))
import contact_sheet  # noqa: E402
import evaluate  # noqa: E402
import train  # noqa: E402
import vgg  # noqa: E402

PHOTOS = ["photos/test/skimage-astronaut.jpg", "photos/test/skimage-coffee.jpg",
          "photos/test/gcompris-explore-monuments-montstmichel.jpg", "photos/train/darknet-horses.jpg"]
PAINTINGS = ["starry-night", "the-scream", "great-wave"]
SIZE = 384


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", default=os.path.join(REPO, ".build/release/stylize"))
    p.add_argument("--iterations", type=int, default=150)
    p.add_argument("--out", default=os.path.join(REPO, "docs", "gatys.jpg"))
    p.add_argument("--work", default=os.path.join(REPO, ".work", "bench-gatys-sheet"))
    p.add_argument("--tile", type=int, default=112, help="tile height in the sheet")
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    loss_net = vgg.VGG16Features(os.path.join(train.DATA, "vgg"))
    font, fold = contact_sheet.label_font()
    rows, totals = [], {"fast": [0, 0, 0], "ours": [0, 0, 0]}
    print(f"{'photo':<44} {'painting':<13} {'method':<5} {'style 384':>10} {'style 192':>10} {'content':>9}")
    for photo_path in PHOTOS:
        x = train.load_rgb(os.path.join(train.DATA, photo_path), SIZE).unsqueeze(0).float()
        x = x[:, :, :x.shape[2] // 8 * 8, :x.shape[3] // 8 * 8]
        name = os.path.splitext(os.path.basename(photo_path))[0]
        photo_png = os.path.join(args.work, f"{name}.png")
        Image.fromarray(x[0].byte().permute(1, 2, 0).numpy()).save(photo_png)
        for painting in PAINTINGS:
            painting_path = os.path.join(train.DATA, "styles", f"{painting}.jpg")
            tiles = {}
            for method, style in (("fast", painting), ("ours", painting_path)):
                out = os.path.join(args.work, f"{name}-{painting}-{method}.png")
                if not os.path.exists(out):
                    extra = ["--iterations", str(args.iterations)] if method == "ours" else []
                    subprocess.run([args.bin, "image", photo_png, "-o", out, "--style", style, "--max-size", str(SIZE),
                                    "--force", "-q"] + extra, check=True)
                y = train.load_rgb(out).unsqueeze(0).float()
                fine, coarse, content = evaluate.scale_losses(lambda _: y, painting_path, [x], loss_net, SIZE)
                print(f"{photo_path:<44} {painting:<13} {method:<5} {fine:>10.4g} {coarse:>10.4g} {content:>9.4g}", flush=True)
                for i, v in enumerate((fine, coarse, content)):
                    totals[method][i] += v / (len(PHOTOS) * len(PAINTINGS))
                tiles[method] = (Image.open(out).convert("RGB"), f"{fine:.3g} / {coarse:.3g} / {content:.3g}")
            rows.append([(Image.open(photo_png).convert("RGB"), fold(name)),
                         (Image.open(painting_path).convert("RGB"), painting),
                         (tiles["fast"][0], "preset " + tiles["fast"][1]), (tiles["ours"][0], "optim. " + tiles["ours"][1])])
    for method, (fine, coarse, content) in totals.items():
        print(f"mean {method}: style 384 {fine:.4g}, style 192 {coarse:.4g}, content {content:.4g}")
    print(f"ours / preset: style 384 {totals['ours'][0] / totals['fast'][0]:.2f}×, "
          f"style 192 {totals['ours'][1] / totals['fast'][1]:.2f}×, content {totals['ours'][2] / totals['fast'][2]:.2f}×")
    # The sheet: every tile at the same height, a caption line under each.
    h, caption = args.tile, 14
    widths = [max(round(img.width * h / img.height) for img, _ in column) for column in zip(*rows)]
    sheet = Image.new("RGB", (sum(widths) + 4 * len(widths), len(rows) * (h + caption + 4)), "white")
    draw = ImageDraw.Draw(sheet)
    for r, row in enumerate(rows):
        x0 = 0
        for (img, text), width in zip(row, widths):
            tile = img.resize((round(img.width * h / img.height), h), Image.LANCZOS)
            y0 = r * (h + caption + 4)
            sheet.paste(tile, (x0, y0))
            draw.text((x0 + 2, y0 + h + 1), text, fill="black", font=font)
            x0 += width + 4
    sheet.save(args.out, quality=80)
    print(f"wrote {args.out} ({os.path.getsize(args.out) // 1024} KB)")


if __name__ == "__main__":
    main()

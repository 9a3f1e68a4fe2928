"""Reduced precision against fp32, on pictures: PSNR per preset and picture, and a crop sheet.

Runs `stylize image` on every picture with every preset at each precision (PNG out, same
size), then prints PSNR of each reduced precision against fp32 (over the 0-255 RGB output)
and writes, per precision, one sheet: for the preset and picture with the lowest PSNR, the
fp32 crop, the reduced crop and their difference ×8, from the flattest 160×160 region (where
banding would show: lowest gradient energy in the fp32 output).

With --sky PICTURE (a picture with sky along its top), also writes OUT/sky-P.png per precision:
for the first three presets, the top band's 160×100 crop at --sky-x, ×2: fp32 | P | difference ×8.
docs/precision-sky.jpg is the int8 one: --sky-out docs/precision-sky.jpg writes it there (JPEG).

Usage: precision_quality.py BIN OUT PRECISIONS PICTURE... [--presets a,b] [--max-size N]
                            [--sky PICTURE --sky-x X --sky-out FILE]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image


def stylize(binary: str, picture: Path, preset: str, precision: str, out: Path, max_size: int) -> np.ndarray:
    if not out.exists():
        subprocess.run([binary, "image", str(picture), "-o", str(out), "--style", preset, "--precision", precision,
                        "--max-size", str(max_size), "--force"], check=True, stdout=subprocess.DEVNULL)
    return np.asarray(Image.open(out).convert("RGB"), dtype=np.float64)


def psnr(x: np.ndarray, reference: np.ndarray) -> float:
    mse = np.mean((x - reference) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def flattest_crop(picture: np.ndarray, size: int = 160) -> tuple[int, int]:
    gray = picture.mean(axis=2)
    energy = np.abs(np.diff(gray, axis=0))[:, :-1] + np.abs(np.diff(gray, axis=1))[:-1, :]
    best, where = None, (0, 0)
    for y in range(0, max(1, energy.shape[0] - size), size // 4):
        for x in range(0, max(1, energy.shape[1] - size), size // 4):
            value = energy[y:y + size, x:x + size].mean()
            if best is None or value < best:
                best, where = value, (y, x)
    return where


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("out", type=Path)
    parser.add_argument("precisions", help="comma-separated reduced precisions, e.g. int8,bf16")
    parser.add_argument("pictures", nargs="+", type=Path)
    parser.add_argument("--presets", default="starry-night,great-wave,the-scream,the-kiss,composition-viii,cafe-terrace")
    parser.add_argument("--max-size", type=int, default=768)
    parser.add_argument("--sky", type=Path)
    parser.add_argument("--sky-x", type=int, default=300)
    parser.add_argument("--sky-out", type=Path, help="where the first precision's sky sheet also goes")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    presets = args.presets.split(",")
    reduced = args.precisions.split(",")
    print(f"{'preset':<18} {'picture':<28} " + " ".join(f"{p + ' dB':>9}" for p in reduced))
    worst = {p: (float("inf"), None) for p in reduced}
    summary = {p: [] for p in reduced}
    for preset in presets:
        for picture in args.pictures:
            fp32 = stylize(args.binary, picture, preset, "fp32", args.out / f"{preset}-{picture.stem}-fp32.png", args.max_size)
            row = []
            for precision in reduced:
                other = stylize(args.binary, picture, preset, precision,
                                args.out / f"{preset}-{picture.stem}-{precision}.png", args.max_size)
                value = psnr(other, fp32)
                row.append(value)
                summary[precision].append(value)
                if value < worst[precision][0]:
                    worst[precision] = (value, (preset, picture, fp32, other))
            print(f"{preset:<18} {picture.stem[:28]:<28} " + " ".join(f"{v:9.2f}" for v in row), flush=True)
    for precision in reduced:
        values = summary[precision]
        print(f"{precision}: PSNR min {min(values):.2f} dB, median {float(np.median(values)):.2f} dB over {len(values)} pictures")
        value, (preset, picture, fp32, other) = worst[precision]
        y, x = flattest_crop(fp32)
        crops = [fp32[y:y + 160, x:x + 160], other[y:y + 160, x:x + 160]]
        crops.append(np.clip(128 + 8 * (crops[1] - crops[0]), 0, 255))
        sheet = np.concatenate([np.kron(c, np.ones((2, 2, 1))) for c in crops], axis=1).astype(np.uint8)
        path = args.out / f"worst-{precision}.png"
        Image.fromarray(sheet).save(path)
        print(f"  worst: {preset} on {picture.name} ({value:.2f} dB); flattest crop at ({x}, {y}) ×2, "
              f"fp32 | {precision} | difference ×8: {path}")
    if args.sky:
        for precision in reduced:
            rows = []
            for preset in presets[:3]:
                fp32 = stylize(args.binary, args.sky, preset, "fp32", args.out / f"{preset}-{args.sky.stem}-fp32.png", args.max_size)
                other = stylize(args.binary, args.sky, preset, precision,
                                args.out / f"{preset}-{args.sky.stem}-{precision}.png", args.max_size)
                window = (slice(0, 100), slice(args.sky_x, args.sky_x + 160))
                crops = [fp32[window], other[window], np.clip(128 + 8 * (other - fp32), 0, 255)[window]]
                rows.append(np.concatenate([np.kron(c, np.ones((2, 2, 1))) for c in crops], axis=1))
            path = args.out / f"sky-{precision}.png"
            sheet = Image.fromarray(np.concatenate(rows, axis=0).astype(np.uint8))
            sheet.save(path)
            if args.sky_out and precision == reduced[0]:
                sheet.save(args.sky_out, quality=90)
            print(f"sky of {args.sky.name}, {', '.join(presets[:3])}: fp32 | {precision} | difference ×8: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Style loss of stylized videos against their painting (the train.py definition: Gram
matrices of VGG16 relu1_2, relu2_2, relu3_3, relu4_3), averaged over every Nth frame — the
check that temporal blending keeps the look (issue 5: within 10% of per-frame stylization).

  python Benchmarks/style_loss.py --style Presets/NAME/style.jpg OUT1.mp4 [OUT2.mp4 ...] [--every 4]
Needs the training venv (Training/setup-venv.sh) for torch and the cached VGG16.
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Training"))
import train  # noqa: E402
import vgg  # noqa: E402


def frames(path, every, width=320):
    """Every `every`-th frame, scaled to `width` wide, as 1×3×H×W floats 0..255."""
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                            "-of", "csv=p=0", path], capture_output=True, text=True, check=True).stdout.split(",")
    w, h = int(probe[0]), int(probe[1])
    height = round(h * width / w / 2) * 2
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-vf", f"select=not(mod(n\\,{every})),scale={width}:{height}",
                          "-vsync", "0", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    data = np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)
    for f in data:
        yield torch.from_numpy(f.copy()).permute(2, 0, 1).unsqueeze(0).float()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("videos", nargs="+")
    p.add_argument("--style", required=True)
    p.add_argument("--every", type=int, default=4)
    args = p.parse_args()
    torch.set_num_threads(2)
    net = vgg.VGG16Features(os.path.join(train.DATA, "vgg"))
    with torch.no_grad():
        target = {k: train.gram(v) for k, v in net(train.load_rgb(args.style, 384).unsqueeze(0).float()).items()}
        for path in args.videos:
            losses = []
            for x in frames(path, args.every):
                f = net(x)
                losses.append(sum(float(torch.nn.functional.mse_loss(train.gram(f[k]), target[k]))
                                  for k in train.STYLE_LAYERS) * train.STYLE_SCALE)
            print(f"{path}: style loss {np.mean(losses):.4g} over {len(losses)} frames", flush=True)


if __name__ == "__main__":
    main()

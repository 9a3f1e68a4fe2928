#!/usr/bin/env python3
"""Style loss of stylized videos against their painting (the train.py definition: Gram
matrices of VGG16 relu1_2, relu2_2, relu3_3, relu4_3), averaged over every Nth frame — the
check that temporal blending keeps the look (issue 5: within 10% of per-frame stylization).

  python Benchmarks/style_loss.py --style Presets/NAME/style.jpg OUT1.mp4 [OUT2.mp4 ...] [--every 4]
Needs torch and Pillow (the training venv, Training/setup-venv.sh, or the benchmark venv,
Benchmarks/setup-venv.sh without --no-torch) and the VGG16 weights (downloaded and cached on
first use, see Training/vgg.py).

As a module (Benchmarks/flicker_judge.py uses it): `StyleLoss(style_path).of_frames(frames)`
gives the mean loss of H×W×3 uint8 RGB frames, resized to WIDTH wide first as the CLI does.
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

WIDTH = 320   # the width frames are judged at (the loss depends on scale, so keep it fixed)


def frames(path, every, width=WIDTH):
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


class StyleLoss:
    """The VGG16 loss network and the painting's Gram targets, loaded once."""

    def __init__(self, style_path, threads=2):
        torch.set_num_threads(threads)
        self.net = vgg.VGG16Features(os.path.join(train.DATA, "vgg"))
        with torch.no_grad():
            painting = train.load_rgb(style_path, 384).unsqueeze(0).float()
            self.target = {k: train.gram(v) for k, v in self.net(painting).items()}

    def of_tensor(self, x):
        """Style loss of one 1×3×H×W float 0..255 frame."""
        with torch.no_grad():
            f = self.net(x)
            return sum(float(torch.nn.functional.mse_loss(train.gram(f[k]), self.target[k]))
                       for k in train.STYLE_LAYERS) * train.STYLE_SCALE

    def of_frames(self, rgb_frames, width=WIDTH):
        """Mean style loss of H×W×3 uint8 RGB frames, each resized to `width` wide (even height)
        with an antialiased bilinear filter, close to the CLI's ffmpeg scaling."""
        losses = []
        for f in rgb_frames:
            x = torch.from_numpy(np.ascontiguousarray(f)).permute(2, 0, 1).unsqueeze(0).float()
            h, w = f.shape[:2]
            if w != width:
                height = round(h * width / w / 2) * 2
                x = torch.nn.functional.interpolate(x, size=(height, width), mode="bilinear",
                                                    align_corners=False, antialias=True)
            losses.append(self.of_tensor(x))
        return float(np.mean(losses))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("videos", nargs="+")
    p.add_argument("--style", required=True)
    p.add_argument("--every", type=int, default=4)
    args = p.parse_args()
    judge = StyleLoss(args.style)
    for path in args.videos:
        losses = [judge.of_tensor(x) for x in frames(path, args.every)]
        print(f"{path}: style loss {np.mean(losses):.4g} over {len(losses)} frames", flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Is a network that flickers less by itself worth more to the temporal blend? Fine-tunes the
plain Starry Night quality network (Presets/starry-night/quality.onnx) for a few hundred more
steps of train.py's recipe, with the stability term's moved frame also degraded as real footage
is between two frames — half the time correlated sensor noise (σ 1…4 levels, 3×3), half the time
JPEG at quality 30…90 — so that the network learns to paint through compression and noise
alike (`--control`: the same steps with the term as shipped, to tell the degradation's effect
from the extra steps'). Writes a preset folder; judge it with
`Benchmarks/flicker.sh --style OUT/quality.onnx` beside the unchanged network
(docs/temporal.md, "Tried, not kept: a network that flickers less by itself").

  .venv-train/bin/python Tools/temporal-lab/stable_network.py [--control | --only noise|jpeg] --out DIR \\
      [--iterations 400] [--lr 5e-4] [train.py's options]
"""
import argparse
import io
import os
import random
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(REPO, "Training"))
import train  # noqa: E402

START = os.path.join(REPO, "Presets", "starry-night", "quality.onnx")


def jpeg(batch, quality):
    """Each picture of the batch (N×3×H×W, 0…255) through JPEG at `quality`."""
    out = []
    for picture in batch:
        pixels = picture.clamp(0, 255).round().byte().permute(1, 2, 0).numpy()
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, "JPEG", quality=quality)
        buffer.seek(0)
        out.append(torch.from_numpy(np.array(Image.open(buffer).convert("RGB"))).permute(2, 0, 1).float())
    return torch.stack(out)


def degraded(motion, rng, kinds):
    """train.random_motion with the moved batch also degraded (see the module's docstring), by the
    `kinds` named ("noise", "jpeg")."""
    def moved_and_degraded(x, train_rng):
        moved, move, valid = motion(x, train_rng)
        if "noise" in kinds and rng.random() < 0.5:
            # Box-filtered white noise keeps its standard deviation at σ when multiplied by 3.
            noise = F.avg_pool2d(torch.randn_like(moved), 3, 1, 1) * 3 * rng.uniform(1, 4)
            moved = (moved + noise).clamp(0, 255)
        if "jpeg" in kinds and rng.random() < 0.5:
            moved = jpeg(moved, rng.randint(30, 90))
        return moved, move, valid
    return moved_and_degraded


class FineTuner(train.Trainer):
    def make_net(self):
        net = super().make_net()
        train.load_weights(net, START)
        return net


def main():
    # Its own options; the rest are train.py's (abbreviations off, so that none is taken for one of these).
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                allow_abbrev=False)
    which = p.add_mutually_exclusive_group()
    which.add_argument("--control", action="store_true", help="the stability term as shipped (no degradation)")
    which.add_argument("--only", choices=("noise", "jpeg"), help="one of the two degradations, to tell their effects apart")
    own, rest = p.parse_known_args()
    if not any(a == "--out" or a.startswith("--out=") for a in rest):
        p.error("--out DIR is needed (the preset folder to write, outside Presets/)")
    defaults = ["--style", os.path.join(train.DATA, "styles", "starry-night.jpg"), "--name", "stable-network",
                "--iterations", "400", "--lr", "5e-4"]
    args = train.parse_args(defaults + rest)
    if not own.control:
        kinds = {own.only} if own.only else {"noise", "jpeg"}
        train.random_motion = degraded(train.random_motion, random.Random(args.seed + 6), kinds)
    train.run(args, FineTuner, "stable_network")


if __name__ == "__main__":
    main()

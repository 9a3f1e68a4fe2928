#!/usr/bin/env python3
"""Gatys, Ecker & Bethge's optimization in PyTorch: the reference that the engine's own
(`stylize image PHOTO -o OUT --style PAINTING.jpg`, Sources/StyleEngine/Optimization) is checked
against. The same objective as `StyleObjective.swift`:

    content · 1e-4 · mean((relu2_2(x) − relu2_2(photo))²) + style · 1e-3 · Σ_taps mean((Gram(x) − Gram(painting))²)

over VGG16's relu1_2 … relu4_3 (`vgg.py`), optimized with torch.optim.LBFGS (history 50, strong
Wolfe line search) from the photo (or noise), at the pictures' own sizes: give it the photo and the
painting already at the size to run (the comparison must not depend on two resizers).

  .venv-train/bin/python Training/gatys.py PHOTO PAINTING [--iterations 100] [--out result.png]
      [--content-weight 1] [--style-weight 30] [--init content|noise] [--seed 0]
      [--gradient-at-start FILE]    # also write the loss and gradient at the start (JSON)
  .venv-train/bin/python Training/gatys.py --benchmark 384x384 [--bf16] [--threads 2] [--runs 5]
      # milliseconds per loss-and-gradient evaluation on made-up pictures (as `stylize bench --optimization`)
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402
import vgg  # noqa: E402

STYLE_TAPS = train.STYLE_LAYERS
CONTENT_TAP = "relu2_2"


def gram(f):
    c, n = f.shape[1], f.shape[2] * f.shape[3]
    f = f.reshape(c, n)
    return f @ f.t() / (c * n)


def objective(net, x, content_features, grams, content_weight, style_weight):
    """(total, content, style) at x (1×3×H×W, RGB 0..255)."""
    features = net(x)
    content = x.new_zeros(())
    if content_features is not None and content_weight:
        content = content_weight * train.CONTENT_SCALE * ((features[CONTENT_TAP] - content_features) ** 2).mean()
    style = x.new_zeros(())
    for tap in STYLE_TAPS:
        style = style + ((gram(features[tap]) - grams[tap]) ** 2).mean()
    style = style * style_weight * train.STYLE_SCALE
    return content + style, content, style


def benchmark(net, size, bf16, runs):
    """Median milliseconds of `runs` evaluations (after one untimed), fp32 or bf16 autocast."""
    w, h = (int(v) for v in size.split("x"))
    g = torch.Generator().manual_seed(1)
    photo = torch.rand(1, 3, h, w, generator=g) * 255
    painting = torch.rand(1, 3, h, w, generator=g) * 255
    if bf16:
        net = net.to(memory_format=torch.channels_last)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        grams = {k: gram(v.float()) for k, v in net(painting).items()}
        content_features = net(photo)[CONTENT_TAP].float()
    x = (photo + torch.randn(photo.shape, generator=g) * 20).clamp(0, 255).requires_grad_(True)
    times = []
    for run in range(runs + 1):
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            total, _, _ = objective(net, x, content_features, grams, 1.0, 1000.0)
        x.grad = None
        total.backward()
        if run:
            times.append((time.perf_counter() - start) * 1000)
    return sorted(times)[len(times) // 2]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("photo", nargs="?")
    p.add_argument("painting", nargs="?")
    p.add_argument("--benchmark", metavar="WxH")
    p.add_argument("--bf16", action="store_true")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--curve-every", type=int, default=10, help="print the loss every N iterations")
    p.add_argument("--iterations", type=int, default=100)
    p.add_argument("--content-weight", type=float, default=1.0)
    p.add_argument("--style-weight", type=float, default=30.0)
    p.add_argument("--init", choices=("content", "noise"), default="content")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out")
    p.add_argument("--gradient-at-start")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    net = vgg.VGG16Features(os.path.join(train.DATA, "vgg"))
    if args.benchmark:
        ms = benchmark(net, args.benchmark, args.bf16, args.runs)
        print(f"pytorch {'bf16' if args.bf16 else 'fp32'} {args.benchmark} {args.threads} threads: "
              f"{ms:.1f} ms per loss and gradient (median of {args.runs})")
        return
    if not (args.photo and args.painting):
        p.error("give a photo and a painting (or --benchmark WxH)")
    photo = train.load_rgb(args.photo).unsqueeze(0).float().contiguous()
    painting = train.load_rgb(args.painting).unsqueeze(0).float().contiguous()
    with torch.no_grad():
        grams = {k: gram(v) for k, v in net(painting).items()}
        content_features = net(photo)[CONTENT_TAP]
    if args.init == "content":
        x = photo.clone()
    else:
        x = torch.from_numpy(np.random.default_rng(args.seed).uniform(0, 255, photo.shape).astype(np.float32))
    x.requires_grad_(True)
    if args.gradient_at_start:
        total, content, style = objective(net, x, content_features, grams, args.content_weight, args.style_weight)
        total.backward()
        with open(args.gradient_at_start, "w") as f:
            json.dump({"loss": float(total), "content": float(content), "style": float(style),
                       "gradient": [float(v) for v in x.grad.flatten()]}, f)
        x.grad = None
    # Run in steps of `--curve-every` iterations: LBFGS keeps its history between steps, and each
    # step returns the loss it started from, which is the point the last iteration accepted.
    every = args.curve_every
    optimizer = torch.optim.LBFGS([x], lr=1, max_iter=every, history_size=50, line_search_fn="strong_wolfe",
                                  tolerance_grad=1e-7, tolerance_change=1e-9, max_eval=every * 25)
    evaluations = 0
    start = time.time()

    def closure():
        nonlocal evaluations
        optimizer.zero_grad()
        total, _, _ = objective(net, x, content_features, grams, args.content_weight, args.style_weight)
        total.backward()
        evaluations += 1
        return total

    done = 0
    while done < args.iterations:
        optimizer.step(closure)
        before, done = done, optimizer.state[optimizer._params[0]]["n_iter"]
        if done == before:
            break   # converged
        with torch.no_grad():
            total, _, _ = objective(net, x, content_features, grams, args.content_weight, args.style_weight)
        print(f"iteration {done}: loss {float(total):.6g}", flush=True)
    with torch.no_grad():
        total, content, style = objective(net, x, content_features, grams, args.content_weight, args.style_weight)
    iterations = done
    print(f"gatys: {iterations} iterations, {evaluations} evaluations, {time.time() - start:.1f} s; "
          f"loss {float(total):.6g} (content {float(content):.6g}, style {float(style):.6g})")
    if args.out:
        from PIL import Image
        Image.fromarray(x.detach()[0].clamp(0, 255).round().byte().permute(1, 2, 0).numpy()).save(args.out)


if __name__ == "__main__":
    main()

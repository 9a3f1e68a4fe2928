#!/usr/bin/env python3
"""Train a style preset on the CPU: Johnson et al. 2016's perceptual-loss recipe, with
temporal stability built in, then export it as a Stylize preset folder.

  python Training/train.py --style painting.jpg --name my-style                # quality variant
  python Training/train.py --style painting.jpg --name my-style --variant realtime   # distilled

Losses (VGG16 ImageNet weights, Caffe preprocessing; see vgg.py):
  content   ‖φ_relu2_2(G(x)) − φ_relu2_2(x)‖²
  style     Σ over relu1_2, relu2_2, relu3_3, relu4_3 of ‖Gram(φ(G(x))) − Gram(φ(painting))‖²
  tv        total variation of G(x) (a little smoothness)
  temporal  ‖G(warp(x)) − warp(G(x))‖² on valid pixels, where warp is a random small affine
            motion with a slight brightness change and noise: the network learns to move its
            strokes with the picture instead of re-drawing them, so it flickers less on video
            before any optical-flow blending.
  distill   (realtime only) ‖G(x) − T(x)‖² against the trained quality network T.

Runs well on this CPU: bf16 autocast (VGG channels-last) where the CPU has AMX or AVX512-BF16
(≈3× faster), fp32 otherwise (everything channels-last); 2 threads by default. Checkpoints every few minutes to the
work folder; `--resume` continues from the last one (a session may stop at any time).
At the end it writes the preset folder: quality.onnx or realtime.onnx (dynamic H×W, RGB
0..255 in and out), preset.json, style.jpg (the painting, small) and example.jpg.
"""
import argparse
import glob
import json
import math
import os
import random
import signal
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402
import paths  # noqa: E402
import vgg  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = paths.DATA
STYLE_LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")
# Loss scales: VGG features of 0..255 Caffe input are large; these bring content and style
# losses to order 1 at the start so the weights below read as plain ratios.
CONTENT_SCALE = 1e-4
STYLE_SCALE = 1e-3


def fail(message):
    print(f"train: error: {message}", file=sys.stderr)
    sys.exit(1)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_painting_options(p)
    p.add_argument("--year", default=None)
    p.add_argument("--source", default=None, help="where the painting came from (package and path), for preset.json")
    p.add_argument("--licence", default=None, help="the painting's licence, for preset.json")
    add_recipe_options(p)
    return p.parse_args(argv)


def add_painting_options(p):
    """The painting a preset is learned from and what preset.json says of it."""
    p.add_argument("--style", required=True, help="the painting (any image you own or that is public domain)")
    p.add_argument("--name", required=True, help="preset folder name, e.g. starry-night")
    p.add_argument("--title", help="title for preset.json (default: from --name)")
    p.add_argument("--artist", default=None)


def add_recipe_options(p):
    """The options every training run shares (train.py's and train_bank.py's)."""
    p.add_argument("--variant", choices=models.VARIANTS, default="quality")
    p.add_argument("--photos", default=os.path.join(DATA, "photos", "train"), help="folder of content photos")
    p.add_argument("--test-photos", default=os.path.join(DATA, "photos", "test"), help="held-out photos")
    p.add_argument("--out", help="preset folder (default Presets/NAME)")
    p.add_argument("--work", help="checkpoints (default ~/.cache/stylize/training/NAME-VARIANT, see paths.py)")
    p.add_argument("--teacher", help="realtime: the quality model to distil, .onnx or .pt (default: OUT/quality.onnx)")
    p.add_argument("--iterations", type=int, default=2000)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--size", type=int, default=192, help="training crop side")
    p.add_argument("--style-size", type=int, default=384, help="longer side the painting is seen at")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--content-weight", type=float, default=1.0)
    p.add_argument("--style-weight", type=float, default=0.08)
    p.add_argument("--tv-weight", type=float, default=1e-6)
    p.add_argument("--temporal-weight", type=float, default=10.0,
                   help="stability term (0 turns it off, for comparison)")
    p.add_argument("--distill-weight", type=float, default=1.0, help="realtime: weight of ‖G(x) − T(x)‖²")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--precision", choices=["auto", "bf16", "fp32"], default="auto")
    p.add_argument("--checkpoint-minutes", type=float, default=5)
    p.add_argument("--resume", action="store_true", help="continue from the work folder's checkpoint")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--export-only", action="store_true", help="export the checkpoint as it is")


# --- data ---------------------------------------------------------------------------------

def load_rgb(path, longest=None):
    try:
        img = Image.open(path).convert("RGB")
    except OSError as e:
        fail(f"cannot read {path}: {e}")
    if longest and max(img.size) != longest:
        s = longest / max(img.size)
        img = img.resize((max(1, round(img.width * s)), max(1, round(img.height * s))), Image.LANCZOS)
    return torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1)   # uint8 3×H×W


def photo_paths(folder):
    paths = sorted(p for ext in ("jpg", "jpeg", "png", "webp") for p in glob.glob(os.path.join(folder, f"*.{ext}")))
    if not paths:
        fail(f"no photos in {folder} (run Training/fetch_data.py first)")
    return paths


class Crops:
    """Random crops of the photos: random scale, position and mirror, resized to size×size."""

    def __init__(self, paths, size, rng):
        self.images = [load_rgb(p) for p in paths]
        self.size, self.rng = size, rng

    def batch(self, n):
        out = torch.empty(n, 3, self.size, self.size)
        for i in range(n):
            img = self.images[self.rng.randrange(len(self.images))]
            _, h, w = img.shape
            side = int(min(h, w) * self.rng.uniform(0.5, 1.0))
            y, x = self.rng.randrange(h - side + 1), self.rng.randrange(w - side + 1)
            crop = img[:, y:y + side, x:x + side].unsqueeze(0).float()
            crop = F.interpolate(crop, size=(self.size, self.size), mode="bilinear", align_corners=False,
                                 antialias=True)
            if self.rng.random() < 0.5:
                crop = crop.flip(3)
            out[i] = crop[0]
        return out


# --- losses -------------------------------------------------------------------------------

def gram(f):
    b, c, h, w = f.shape
    f = f.float().reshape(b, c, h * w)
    return f @ f.transpose(1, 2) / (c * h * w)


def style_loss(features, grams):
    """Σ over STYLE_LAYERS of ‖Gram(φ) − Gram(painting)‖², scaled."""
    total = 0.0
    for layer in STYLE_LAYERS:
        g = gram(features[layer])
        total = total + F.mse_loss(g, grams[layer].expand_as(g))
    return total * STYLE_SCALE


def coarse(y):
    """The picture at half size: the scale at which a painting's large structures (swirls, big
    strokes) fall inside VGG's receptive fields."""
    return F.avg_pool2d(y, 2)


class Target:
    """What a network (or one row of a bank) is trained toward: the painting's Gram matrices at
    the fine scale (`grams`), optionally at the coarse scale too (`coarse_grams`, the painting
    at half the size against the output at half size), and the loss weights. A target without
    grams is the photo itself (a row that paints nothing: pixel and content loss only)."""

    def __init__(self, name, weights, grams=None, coarse_grams=None):
        self.name, self.weights, self.grams, self.coarse_grams = name, weights, grams, coarse_grams

    @classmethod
    def painting(cls, name, path, vgg_net, weights, style_size, coarse_weight=0.0):
        """The painting in `path`, seen at `style_size` (longer side) and, with a coarse weight, at half that."""
        def grams_at(size):
            with torch.no_grad():
                return {k: gram(v) for k, v in vgg_net(load_rgb(path, size).unsqueeze(0).float()).items()}
        coarse_grams = grams_at(style_size // 2) if coarse_weight > 0 else None
        return cls(name, dict(weights, coarse=coarse_weight), grams_at(style_size), coarse_grams)


def total_variation(y):
    return (y[:, :, 1:, :] - y[:, :, :-1, :]).abs().mean() + (y[:, :, :, 1:] - y[:, :, :, :-1]).abs().mean()


def random_motion(x, rng):
    """A random small affine motion of the batch (≤2°, ±3% scale, ±4 px), a slight brightness
    change and noise. Returns the moved batch and a function that moves any other batch (the
    stylized one) the same way, with the mask of pixels that came from inside the frame."""
    n, _, h, w = x.shape
    thetas = []
    for _ in range(n):
        a = math.radians(rng.uniform(-2, 2))
        s = 1 + rng.uniform(-0.03, 0.03)
        tx, ty = rng.uniform(-4, 4) * 2 / w, rng.uniform(-4, 4) * 2 / h
        thetas.append([[s * math.cos(a), -s * math.sin(a), tx], [s * math.sin(a), s * math.cos(a), ty]])
    grid = F.affine_grid(torch.tensor(thetas, dtype=torch.float32), list(x.shape), align_corners=False)

    def move(t):
        return F.grid_sample(t.float(), grid, mode="bilinear", padding_mode="border", align_corners=False)

    valid = F.grid_sample(torch.ones(n, 1, h, w), grid, mode="bilinear", padding_mode="zeros",
                          align_corners=False) > 0.999
    gain = torch.tensor([rng.uniform(0.95, 1.05) for _ in range(n)]).view(n, 1, 1, 1)
    moved = (move(x) * gain + torch.randn_like(x) * 2.0).clamp(0, 255)
    return moved, move, valid


def load_quality(path):
    """The trained quality network, from train.py's state dict (.pt) or from the exported ONNX
    file (its initializers keep the PyTorch parameter names), so a realtime variant can be
    distilled from a shipped preset on any machine."""
    if not os.path.exists(path):
        fail(f"the realtime variant is distilled from the quality one: {path} not found "
             f"(train --variant quality first, or pass --teacher)")
    return load_network(path, "quality")


def load_network(path, variant):
    """A plain (bank-less) network of `variant` with the weights of `path` (see load_weights)."""
    net = models.VARIANTS[variant]()
    load_weights(net, path)
    return net


def load_weights(net, path):
    """`net`'s parameters from a state dict (.pt) or from an ONNX file exported from such a
    network: its initializers keep the PyTorch names (under `net.` when exported through a
    wrapper, as the style bank is)."""
    if not holds_weights_of(net, path, load=True):
        fail(f"{path} does not hold this network's weights (exported by train.py or train_bank.py?)")


def holds_weights_of(net, path, load=False):
    """Whether `path` (.pt or .onnx) has a tensor of the right shape for every parameter of
    `net`; with `load`, they become `net`'s."""
    if path.endswith(".onnx"):
        import onnx
        from onnx import numpy_helper
        try:
            initializers = onnx.load(path).graph.initializer
        except Exception as error:  # a truncated or foreign file: one line, not a traceback
            fail(f"{path} is not a readable ONNX file ({type(error).__name__})")
        tensors = {t.name.removeprefix("net."): torch.from_numpy(numpy_helper.to_array(t).copy()) for t in initializers}
    else:
        tensors = torch.load(path)
    wanted = net.state_dict()
    state = {k: tensors[k] for k in wanted if k in tensors and tensors[k].shape == wanted[k].shape}
    if len(state) != len(wanted):
        return False
    if load:
        net.load_state_dict(state)
    return True


# --- the run ------------------------------------------------------------------------------

def cpu_has_bf16():
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        return False
    return " amx_bf16" in flags or " avx512_bf16" in flags


def net_format(bf16):
    """The style networks' layout: channels-last in fp32, NCHW under bf16 autocast (faster each;
    channels-last always pays for VGG: Training/README.md, "Speed")."""
    return torch.contiguous_format if bf16 else torch.channels_last


class Trainer:
    def __init__(self, args):
        self.args = args
        self.out = args.out or os.path.join(REPO, "Presets", args.name)
        self.work = args.work or os.path.join(paths.RUNS, f"{args.name}-{args.variant}")
        os.makedirs(self.work, exist_ok=True)
        torch.set_num_threads(args.threads)
        self.bf16 = args.precision == "bf16" or (args.precision == "auto" and cpu_has_bf16())
        self.rng = random.Random(args.seed)
        torch.manual_seed(args.seed)
        self.net_format = net_format(self.bf16)
        self.net = self.make_net().to(memory_format=self.net_format)
        self.vgg = vgg.VGG16Features(os.path.join(DATA, "vgg")).to(memory_format=torch.channels_last)
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=args.lr)
        self.iteration = 0
        self.elapsed = 0.0        # training seconds over all sessions
        self.history = []         # (iteration, losses) every 50 iterations
        self.teachers = [t.to(memory_format=self.net_format).requires_grad_(False).eval()
                         for t in self.make_teachers()]
        self.targets = self.make_targets()

    def make_net(self):
        return models.VARIANTS[self.args.variant]()

    def make_teachers(self):
        """The networks the distillation term learns from: the realtime variant's is the trained
        quality network."""
        if self.args.variant != "realtime":
            return []
        return [load_quality(self.args.teacher or os.path.join(self.out, "quality.onnx"))]

    def teacher_for(self, target):
        """The network `target`'s distillation term compares with, or None."""
        return self.teachers[0] if self.teachers else None

    def make_targets(self):
        a = self.args
        weights = {"content": a.content_weight, "style": a.style_weight, "tv": a.tv_weight,
                   "temporal": a.temporal_weight, "distill": a.distill_weight}
        return [Target.painting(a.name, a.style, self.vgg, weights, a.style_size)]

    def next_target(self):
        """The target of this iteration (a plain network has one)."""
        return self.targets[0]

    # checkpoints
    @property
    def checkpoint_path(self):
        return os.path.join(self.work, "checkpoint.pt")

    def save(self):
        state = {"net": self.net.state_dict(), "optimizer": self.optimizer.state_dict(),
                 "iteration": self.iteration, "elapsed": self.elapsed, "history": self.history,
                 "rng": self.rng.getstate(), "torch_rng": torch.get_rng_state(), "args": vars(self.args)}
        tmp = self.checkpoint_path + ".tmp"
        torch.save(state, tmp)
        os.replace(tmp, self.checkpoint_path)   # a stop mid-write never leaves a broken checkpoint

    def load(self):
        if not os.path.exists(self.checkpoint_path):
            fail(f"--resume: no checkpoint in {self.work}")
        state = torch.load(self.checkpoint_path, weights_only=False)
        self.net.load_state_dict(state["net"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.iteration, self.elapsed, self.history = state["iteration"], state["elapsed"], state["history"]
        self.rng.setstate(state["rng"])
        torch.set_rng_state(state["torch_rng"])

    def pick_precision(self, crops):
        """`--precision auto` on a CPU with bf16 instructions: times two steps each way and keeps
        the faster. The instructions alone do not say: bf16 autocast was 3× faster than fp32 on an
        EPYC with AVX512-BF16, and 1.3× slower on a Xeon with AVX512-BF16 but no AMX (Training/README.md,
        "Speed"). The probe's crops and noise do not change the run's random streams."""
        states = self.rng.getstate(), torch.get_rng_state()
        target = self.next_target()
        seconds = {}
        for bf16 in (True, False):
            self.use_precision(bf16)
            times = []
            for _ in range(3):   # the first step of each warms up
                t0 = time.time()
                self.total(self.losses(crops.batch(self.args.batch), target), target).backward()
                self.optimizer.zero_grad(set_to_none=True)
                times.append(time.time() - t0)
            seconds[bf16] = min(times[1:])
        self.use_precision(seconds[True] < seconds[False])
        self.rng.setstate(states[0])
        torch.set_rng_state(states[1])
        print(f"train: a step takes {seconds[True]:.2f} s with bf16 autocast, {seconds[False]:.2f} s in fp32 here", flush=True)

    def use_precision(self, bf16):
        """bf16 autocast or fp32 from here on, with the style networks' layout that suits it."""
        self.bf16 = bf16
        self.net_format = net_format(bf16)
        for net in [self.net] + self.teachers:
            net.to(memory_format=self.net_format)

    def autocast(self):
        return torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16)

    def losses(self, x, target, train=True):
        """All loss terms for a batch x (0..255) toward `target`, as float32 scalars in a dict."""
        x = x.contiguous(memory_format=self.net_format)
        with self.autocast():
            y = self.net(x)
            fy = self.vgg(y.contiguous(memory_format=torch.channels_last))
            with torch.no_grad():
                fx = self.vgg(x.contiguous(memory_format=torch.channels_last), upto="relu2_2")
            fc = self.vgg(coarse(y).contiguous(memory_format=torch.channels_last)) if target.coarse_grams else None
        terms = {"content": F.mse_loss(fy["relu2_2"].float(), fx["relu2_2"].float()) * CONTENT_SCALE}
        if target.grams is not None:
            terms["style"] = style_loss(fy, target.grams)
        else:
            terms["pixel"] = F.mse_loss(y.float(), x.float()) / 255.0
        if fc is not None:
            terms["coarse"] = style_loss(fc, target.coarse_grams)
        terms["tv"] = total_variation(y.float())
        if train and target.weights.get("temporal", 0) > 0:
            moved, move, valid = random_motion(x.float(), self.rng)
            with self.autocast():
                y2 = self.net(moved.contiguous(memory_format=self.net_format))
            carried = move(y.float())
            diff = (y2.float() - carried) ** 2 * valid
            terms["temporal"] = diff.sum() / (valid.sum() * 3 + 1) / 255.0
        teacher = self.teacher_for(target)
        if teacher is not None:
            with torch.no_grad(), self.autocast():
                t = teacher(x)
            terms["distill"] = F.mse_loss(y.float(), t.float()) / 255.0
        return terms

    @staticmethod
    def total(terms, target):
        return sum(target.weights.get(k, 1.0) * v for k, v in terms.items())

    def train(self):
        a = self.args
        crops = Crops(photo_paths(a.photos), a.size, self.rng)
        if a.precision == "auto" and cpu_has_bf16() and self.iteration < a.iterations:
            self.pick_precision(crops)
        print(f"train: {a.name} ({a.variant}), {len(crops.images)} photos, {a.size}² crops × {a.batch}, "
              f"{'bf16 autocast, VGG channels-last' if self.bf16 else 'fp32'}, {a.threads} threads, "
              f"from iteration {self.iteration}", flush=True)
        last_save = time.time()
        window_start, window_iters = time.time(), 0
        self.net.train()
        while self.iteration < a.iterations:
            t0 = time.time()
            # Learning rate: constant, then a cosine decay over the last quarter.
            q = max(0.0, (self.iteration - 0.75 * a.iterations) / (0.25 * a.iterations))
            for g in self.optimizer.param_groups:
                g["lr"] = a.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * q)))
            target = self.next_target()
            terms = self.losses(crops.batch(a.batch), target)
            loss = self.total(terms, target)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.iteration += 1
            self.elapsed += time.time() - t0
            window_iters += 1
            if self.iteration % 50 == 0 or self.iteration == a.iterations:
                self.history.append((self.iteration, {k: float(v.detach()) for k, v in terms.items()}))
            if self.iteration % 10 == 0 or self.iteration == a.iterations:
                rate = window_iters / max(time.time() - window_start, 1e-6)
                eta = (a.iterations - self.iteration) / max(rate, 1e-6)
                parts = "  ".join(f"{k} {float(v.detach()):.4g}" for k, v in terms.items())
                print(f"it {self.iteration}/{a.iterations}  {target.name}  {parts}  {rate:.2f} it/s  "
                      f"ETA {int(eta // 60)}:{int(eta % 60):02d}", flush=True)
                window_start, window_iters = time.time(), 0
            if time.time() - last_save > a.checkpoint_minutes * 60:
                self.save()
                last_save = time.time()
            if Stop.requested:
                self.save()
                return False
        self.save()
        return True

    def held_out(self):
        """Mean content and style loss on the held-out photos (at 384 px, no temporal term)."""
        paths = photo_paths(self.args.test_photos)
        self.net.eval()
        sums = {}
        with torch.no_grad():
            for p in paths:
                x = load_rgb(p, 384).unsqueeze(0).float()
                m = models.SIZE_MULTIPLE[self.args.variant]
                x = x[:, :, :x.shape[2] // m * m, :x.shape[3] // m * m]
                for k, v in self.losses(x, self.targets[0], train=False).items():
                    sums[k] = sums.get(k, 0.0) + float(v) / len(paths)
        return sums, paths

    def export_net(self):
        """The network as it is exported: fp32, NCHW, in eval mode."""
        return self.net.float().to(memory_format=torch.contiguous_format).eval()

    def export(self):
        a = self.args
        os.makedirs(self.out, exist_ok=True)
        net = self.export_net()
        name = a.variant
        torch.save(net.state_dict(), os.path.join(self.work, f"{name}.pt"))   # for evaluate.py
        onnx_path = os.path.join(self.out, f"{name}.onnx")
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(net, (torch.zeros(1, 3, 64, 64),), onnx_path, dynamo=False, opset_version=17,
                              input_names=["input"], output_names=["output"],
                              dynamic_axes={"input": {2: "height", 3: "width"},
                                            "output": {2: "out_height", 3: "out_width"}})
        held, test_paths = self.held_out()
        # style.jpg: the painting, small; example.jpg: the first held-out photo, stylized.
        style_img = Image.open(a.style).convert("RGB")
        style_img.thumbnail((512, 512), Image.LANCZOS)
        style_img.save(os.path.join(self.out, "style.jpg"), quality=90)
        x = load_rgb(test_paths[0], 512).unsqueeze(0).float()
        m = models.SIZE_MULTIPLE[a.variant]
        x = x[:, :, :x.shape[2] // m * m, :x.shape[3] // m * m]
        with torch.no_grad():
            y = net(x).clamp(0, 255)[0].permute(1, 2, 0).round().byte().numpy()
        if a.variant == "quality":
            Image.fromarray(y).save(os.path.join(self.out, "example.jpg"), quality=90)
        # preset.json: one file for both variants.
        meta_path = os.path.join(self.out, "preset.json")
        meta = json.load(open(meta_path)) if os.path.exists(meta_path) else {}
        meta.update({"title": a.title or meta.get("title") or a.name.replace("-", " ").title(),
                     "artist": a.artist or meta.get("artist"), "year": a.year or meta.get("year"),
                     "inputRange": 255,
                     "sizeMultiple": max(meta.get("sizeMultiple", 4), models.SIZE_MULTIPLE[a.variant])})
        if a.source:
            meta["source"] = a.source
        if a.licence:
            meta["licence"] = a.licence
        meta.setdefault("models", {})[name] = f"{name}.onnx"
        final = self.history[-1][1] if self.history else {}
        meta.setdefault("training", {})[name] = {
            "recipe": "Johnson et al. 2016 perceptual losses (VGG16 relu2_2 content; relu1_2, relu2_2, relu3_3, "
                      "relu4_3 Gram style; total variation) + temporal stability term"
                      + (" + distillation from the quality variant" if a.variant == "realtime" else ""),
            "settings": {k: getattr(a, k) for k in ("iterations", "batch", "size", "style_size", "lr",
                                                     "content_weight", "style_weight", "tv_weight",
                                                     "temporal_weight", "distill_weight", "seed")},
            "precision": "bf16 autocast" if self.bf16 else "fp32",
            "iterations": self.iteration,
            "training_seconds": round(self.elapsed),
            "macs_640x480": models.macs(net, 480, 640),
            "final_losses": {k: round(v, 6) for k, v in final.items()},
            "held_out_losses": {k: round(v, 6) for k, v in held.items()},
            "held_out_photos": [os.path.basename(p) for p in test_paths],
        }
        with open(meta_path + ".tmp", "w") as f:
            json.dump(meta, f, indent=2)
            f.write("\n")
        os.replace(meta_path + ".tmp", meta_path)
        print(f"train: wrote {onnx_path} and {meta_path}; held-out "
              + ", ".join(f"{k} {v:.4g}" for k, v in held.items()), flush=True)


class Stop:
    """Ctrl-C or SIGTERM (a session's end, `kill`) asks training to stop after the current step,
    with a checkpoint — never mid-update. SIGINT is installed explicitly because a shell without
    job control starts background jobs with it ignored."""
    requested = False

    @classmethod
    def on_signals(cls):
        def request(signum, frame):
            cls.requested = True
        signal.signal(signal.SIGINT, request)
        signal.signal(signal.SIGTERM, request)


def train_or_exit(trainer, program):
    """Trains to the end, or, on a stop request, exits 130 saying how to go on (the checkpoint is saved)."""
    if not trainer.train():
        print(f"{program}: stopped at iteration {trainer.iteration}; checkpoint saved, --resume to go on",
              file=sys.stderr)
        sys.exit(130)


def run(args, trainer_class=None, program="train"):
    """A run of `trainer_class` (default Trainer) on parsed `args`: resumed or exported as they ask,
    trained to the end or to a stop request, exported."""
    Stop.on_signals()
    if not os.path.exists(args.style):
        fail(f"{args.style}: no such file")
    trainer = (trainer_class or Trainer)(args)
    if args.resume or args.export_only:
        trainer.load()
    if not args.export_only:
        train_or_exit(trainer, program)
    trainer.export()


def main(argv=None):
    run(parse_args(argv))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A new painting in minutes (issue 17): learn one new row of a style bank — every instance
norm's scale and shift for the painting — against the bank's frozen shared network, then write a
preset that is that row (preset.json, rows.json, style.jpg, example.jpg). Where the bank has a
realtime network too, a short second run learns the row of that one, distilled from the quality
network's new row, so the style paints live with the fast network.

  python Training/learn_style.py --style painting.jpg --name my-style [--bank Presets/bank]
                                 [--out ~/.local/share/stylize/presets/my-style] [--iterations N] [--resume]

The shared network comes from the bank's exported quality.onnx (its initializers keep the
PyTorch names), so this runs on any machine that has the presets. The new row starts from the
mean of the bank's painting rows and is trained with the bank's own losses for a painting row
(train.py's recipe, the bank's weights); only the row moves. Progress, checkpoints, Ctrl-C and
--resume are train.py's (the work folder is outside the checkout).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402
import paths  # noqa: E402
import train  # noqa: E402
import train_bank  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    train.add_painting_options(p)
    p.add_argument("--bank", default=os.path.join(train.REPO, "Presets", "bank"), help="the style bank's folder")
    train.add_recipe_options(p)
    p.add_argument("--realtime-iterations", type=int, default=100,
                   help="steps of the realtime network's row, where the bank has one (0: quality only)")
    p.set_defaults(iterations=200, lr=5e-3)
    args = p.parse_args(argv)
    args.variant = "quality"
    return args


def realtime_args(args):
    """The second run's settings: the realtime network's row, in a work folder of its own."""
    rt = argparse.Namespace(**vars(args))
    rt.variant, rt.iterations, rt.work = "realtime", args.realtime_iterations, args.work + "-realtime"
    return rt


def load_bank(folder, variant="quality"):
    """(row names, the bank's `variant` network) from a bank folder's bank.json and VARIANT.onnx."""
    meta_path, onnx_path = os.path.join(folder, "bank.json"), os.path.join(folder, f"{variant}.onnx")
    if not (os.path.exists(meta_path) and os.path.exists(onnx_path)):
        train.fail(f"{folder} is not a style bank with a {variant} network (bank.json and {variant}.onnx)")
    rows = json.load(open(meta_path))["rows"]
    net = models.VARIANTS[variant](styles=len(rows))
    train.load_weights(net, onnx_path)
    return rows, net


class RowTrainer(train.Trainer):
    """Trains the last row of `bank rows + [name]` of the bank's `args.variant` network; everything
    else stays as the bank has it. The realtime row also learns from `teacher` (the quality
    network painting the new row)."""

    def __init__(self, args, teacher=None):
        self.bank_rows, self.bank = load_bank(args.bank, args.variant)
        self.row_teacher = teacher
        if args.name in self.bank_rows:
            train.fail(f"the bank already has a row '{args.name}'; choose another --name")
        self.rows = self.bank_rows + [args.name]
        super().__init__(args)
        self.banks = [p for m in self.net.modules() if isinstance(m, models.ConditionalInstanceNorm)
                      for p in (m.weight, m.bias)]
        for p in self.net.parameters():
            p.requires_grad_(False)
        mask = torch.zeros(len(self.rows), 1)
        mask[-1] = 1
        for p in self.banks:
            p.requires_grad_(True)
            p.register_hook(lambda g: g * mask)
        self.optimizer = torch.optim.Adam(self.banks, lr=args.lr)
        models.set_mix(self.net, len(self.rows) - 1)

    def make_net(self):
        net = models.VARIANTS[self.args.variant](styles=len(self.rows))
        painting_rows = [i for i, r in enumerate(self.bank_rows) if r != train_bank.PHOTO_ROW and not r.endswith(":bold")]
        state = {}
        for key, value in self.bank.state_dict().items():
            if value.dim() == 2:   # a norm's bank: the new row starts from the paintings' mean
                value = torch.cat([value, value[painting_rows].mean(0, keepdim=True)])
            state[key] = value
        net.load_state_dict(state)
        return net

    def make_teachers(self):
        return [self.row_teacher] if self.row_teacher is not None else []

    def load(self):
        """The checkpoint, and the new row chosen again (the mix is not part of the state)."""
        super().load()
        models.set_mix(self.net, len(self.rows) - 1)

    def make_targets(self):
        a = self.args
        weights = {"content": a.content_weight, "style": a.style_weight, "tv": a.tv_weight,
                   "temporal": a.temporal_weight, "distill": a.distill_weight}
        return [train.Target.painting(a.name, a.style, self.vgg, weights, a.style_size)]

    def new_row(self):
        """The learned row of every norm, by the exported initializer names."""
        return {f"net.{k}": [float(x) for x in v[-1]] for k, v in self.export_net().state_dict().items() if v.dim() == 2}

    def export(self, realtime=None):
        """rows.json (the new row of every bank, by the exported initializer names), preset.json,
        style.jpg and example.jpg into the preset folder; written beside it first, then moved in."""
        a = self.args
        out = a.out
        tmp = out + ".partial"
        os.makedirs(tmp, exist_ok=True)
        parameters = {"quality": self.new_row()}
        if realtime is not None:
            parameters["realtime"] = realtime.new_row()
        net = self.export_net()
        write_json(os.path.join(tmp, "rows.json"), {"rows": [a.name], "parameters": parameters})
        held, test_paths = self.held_out()
        held_realtime = realtime.held_out()[0] if realtime is not None else {}
        write_json(os.path.join(tmp, "preset.json"), {
            "title": a.title or a.name.replace("-", " ").title(), "artist": a.artist,
            "bank": {"folder": os.path.abspath(a.bank), "photo": train_bank.PHOTO_ROW, "row": a.name,
                     "strength": 0.6, "rows": "rows.json"},
            "training": {"recipe": "a new row of the style bank, learned against its frozen shared networks (realtime: distilled from the quality row)",
                         "settings": {k: getattr(a, k) for k in ("iterations", "realtime_iterations", "batch", "size",
                                                                  "style_size", "lr", "style_weight", "temporal_weight",
                                                                  "seed")},
                         "iterations": self.iteration,
                         "training_seconds": round(self.elapsed + (realtime.elapsed if realtime else 0)),
                         "held_out_losses": {k: round(v, 6) for k, v in held.items()},
                         "held_out_losses_realtime": {k: round(v, 6) for k, v in held_realtime.items()}}})
        painting = Image.open(a.style).convert("RGB")
        painting.thumbnail((512, 512), Image.LANCZOS)
        painting.save(os.path.join(tmp, "style.jpg"), quality=90)
        x = train.load_rgb(test_paths[0], 512).unsqueeze(0).float()
        x = x[:, :, :x.shape[2] // 4 * 4, :x.shape[3] // 4 * 4]
        with torch.no_grad():
            y = net(x).clamp(0, 255)[0].permute(1, 2, 0).round().byte().numpy()
        Image.fromarray(np.ascontiguousarray(y)).save(os.path.join(tmp, "example.jpg"), quality=90)
        if os.path.exists(out):
            import shutil
            shutil.rmtree(out)
        os.replace(tmp, out)
        def listed(losses):
            return ", ".join(f"{k} {v:.4g}" for k, v in losses.items())
        print(f"learn_style: wrote {out}; held-out {listed(held)}"
              + (f"; realtime {listed(held_realtime)}" if held_realtime else ""), flush=True)


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=1)
        f.write("\n")


def main(argv=None):
    args = parse_args(argv)
    train.Stop.on_signals()
    if not os.path.exists(args.style):
        train.fail(f"{args.style}: no such file")
    try:
        Image.open(args.style).verify()
    except Exception:
        train.fail(f"{args.style}: not a picture this can read")
    args.work = args.work or os.path.join(paths.RUNS, f"learn-{args.name}")
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    args.out = args.out or os.path.join(data_home, "stylize", "presets", args.name)
    trainer = RowTrainer(args)
    if args.resume:
        trainer.load()
    train.train_or_exit(trainer, "learn_style")
    realtime = None
    if args.realtime_iterations > 0 and os.path.exists(os.path.join(args.bank, "realtime.onnx")):
        print("learn_style: the realtime network's row, from the quality network's", flush=True)
        teacher = trainer.export_net()
        models.set_mix(teacher, len(trainer.rows) - 1)
        realtime = RowTrainer(realtime_args(args), teacher)
        if args.resume and os.path.exists(realtime.checkpoint_path):
            realtime.load()
        train.train_or_exit(realtime, "learn_style")
    trainer.export(realtime)


if __name__ == "__main__":
    main()

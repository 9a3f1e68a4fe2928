#!/usr/bin/env python3
"""One network for every painting (issue 17): a style bank trained with conditional instance
normalization (Dumoulin, Shlens and Kudlur 2017, "A Learned Representation for Artistic Style").

  python Training/train_bank.py [--styles starry-night,great-wave,…] [--iterations N] [--resume]

The shared convolutions are one network; every instance norm takes its scale and shift from a
bank with one row per look (models.ConditionalInstanceNorm). The rows:

  photo          the photo itself (pixel and content loss only): strength 0 of every painting
  NAME           the painting as today's preset paints it (train.py's recipe and weights)
  NAME:bold      the same painting with its large structures too: the Gram loss also at the
                 coarse scale (output at half size against the painting at half size)

so a strength dial moves photo → NAME → NAME:bold, and a blend of paintings is a blend of rows.
Each iteration trains one row (a shuffled round over all rows); everything else is train.py's:
losses, the stability term, bf16 autocast, checkpoints every few minutes to the work folder
(outside the checkout) and `--resume`. The shared network starts from a shipped preset's
quality network (`--init`), every row from its norms.
"""
import argparse
import os
import random
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402
import paths  # noqa: E402
import train  # noqa: E402
import train_all  # noqa: E402

PHOTO_ROW = "photo"
DEFAULT_STRENGTH = 0.6   # a painting row's place on the strength dial: its usual look


def row_weights(text):
    """'ROW.TERM=W,…' → {(ROW, TERM): W}: a loss term's weight of its own for a row."""
    weights = {}
    for item in filter(None, text.split(",")):
        key, sep, value = item.rpartition("=")
        row, dot, term = key.rpartition(".")
        try:
            weights[(row, term)] = float(value)
        except ValueError:
            sep = ""
        if not sep or not dot or not row or not term:
            raise argparse.ArgumentTypeError(f"'{item}' is not ROW.TERM=WEIGHT (e.g. the-scream.temporal=22)")
    return weights


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--styles", default=",".join(train_all.ORDER),
                   help="paintings of the fetched styles manifest, comma-separated")
    p.add_argument("--init", help="the plain network of the same variant the shared one starts from "
                                  "(default: Presets/starry-night/VARIANT.onnx; 'none': from scratch), "
                                  "or a bank of the same rows to go on from (an exported VARIANT.onnx)")
    p.add_argument("--bold-coarse-weight", type=float, default=0.3,
                   help="weight of the coarse-scale Gram loss of the bold rows")
    p.add_argument("--bold-style-weight", type=float, default=None,
                   help="fine-scale style weight of the bold rows (default: --style-weight)")
    p.add_argument("--bold-style-size", type=int, default=None,
                   help="longer side the bold rows see the painting at (default: --style-size)")
    p.add_argument("--photo-pixel-weight", type=float, default=1.0)
    p.add_argument("--anchor-weight", type=float, default=0.0,
                   help="each painting row also learns ‖G(x) − P(x)‖² toward the painting's own plain network "
                        "of this variant (Presets/NAME/VARIANT.onnx), so the usual look stays today's (0: off)")
    p.add_argument("--row-weight", type=row_weights, default={}, metavar="ROW.TERM=W,…",
                   help="a loss term's weight of its own for a row, e.g. the-scream.temporal=22,starry-night.style=0.09 "
                        "(terms: content, style, tv, temporal, distill, coarse, pixel; default: the option's weight)")
    p.add_argument("--name", default="bank", help="the work folder's name (default: bank)")
    p.add_argument("--report", action="store_true", help="at the end, held-out losses at two scales per row")
    p.add_argument("--link-presets", action="store_true",
                   help="after the export, make every painting's preset in Presets/ a row of the exported bank")
    train.add_recipe_options(p)
    return p.parse_args(argv)


def style_paths(names):
    """{name: painting file} from the fetched styles manifest."""
    import json
    manifest_path = os.path.join(train.DATA, "styles", "manifest.json")
    if not os.path.exists(manifest_path):
        train.fail("no styles manifest; run Training/fetch_data.py first")
    manifest = json.load(open(manifest_path))
    unknown = [n for n in names if n not in manifest]
    if unknown:
        train.fail(f"not in {manifest_path}: {', '.join(unknown)}")
    return {n: os.path.join(train.DATA, "styles", manifest[n]["file"]) for n in names}


def row_names(styles):
    return [PHOTO_ROW] + [row for s in styles for row in (s, f"{s}:bold")]


class BankTrainer(train.Trainer):
    def __init__(self, args):
        self.styles = [s for s in args.styles.split(",") if s]
        self.rows = row_names(self.styles)
        super().__init__(args)

    def make_net(self):
        return models.VARIANTS[self.args.variant](styles=len(self.rows))

    def make_teachers(self):
        """Realtime: the quality bank, run on the same row (`--teacher`, .pt or .onnx, else the
        quality bank trained here, `quality.pt` in its work folder, else the shipped one). With
        `--anchor-weight`: each painting row's own plain network, which teaches that row instead."""
        self.bank_teacher, self.anchors = None, {}
        if self.args.variant == "realtime":
            trained = os.path.join(paths.RUNS, f"{self.args.name}-quality", "quality.pt")
            shipped = os.path.join(train.REPO, "Presets", "bank", "quality.onnx")
            path = self.args.teacher or (trained if os.path.exists(trained) else shipped)
            if not os.path.exists(path):
                train.fail(f"the realtime bank is distilled from the quality bank: {path} not found "
                           f"(train the quality bank first, or pass --teacher)")
            self.bank_teacher = models.TransformerNet(styles=len(self.rows))
            train.load_weights(self.bank_teacher, path)
        if self.args.anchor_weight > 0:
            for name in self.styles:
                path = os.path.join(train.REPO, "Presets", name, f"{self.args.variant}.onnx")
                if not os.path.exists(path):
                    train.fail(f"{path} not found (the plain network --anchor-weight keeps row '{name}' near)")
                self.anchors[name] = train.load_network(path, self.args.variant)
        return [t for t in [self.bank_teacher, *self.anchors.values()] if t is not None]

    def teacher_for(self, target):
        return self.anchors.get(target.name, self.bank_teacher)

    def make_targets(self):
        a = self.args
        plain = {"content": a.content_weight, "style": a.style_weight, "tv": a.tv_weight,
                 "temporal": a.temporal_weight, "distill": a.distill_weight}
        bold = dict(plain, style=a.bold_style_weight if a.bold_style_weight is not None else a.style_weight)
        files = style_paths(self.styles)
        targets = [train.Target(PHOTO_ROW, dict(plain, pixel=a.photo_pixel_weight))]
        anchored = dict(plain, distill=a.anchor_weight) if a.anchor_weight > 0 else plain
        for name in self.styles:
            targets.append(train.Target.painting(name, files[name], self.vgg, anchored, a.style_size))
            targets.append(train.Target.painting(f"{name}:bold", files[name], self.vgg, bold,
                                                 a.bold_style_size or a.style_size, a.bold_coarse_weight))
        by_name = {t.name: t for t in targets}
        for (row, term), weight in a.row_weight.items():
            if row not in by_name:
                train.fail(f"no row named {row} in this bank (its rows: {', '.join(self.rows)})")
            if term not in by_name[row].weights:
                train.fail(f"row {row} has no loss term '{term}' (its terms: {', '.join(sorted(by_name[row].weights))})")
            by_name[row].weights = dict(by_name[row].weights, **{term: weight})
        return targets

    def start_from(self, path):
        """The shared network from a plain network's weights, every row from its norms; or the
        whole network from a bank with the same rows."""
        if path == "none":
            return
        path = path or os.path.join(train.REPO, "Presets", "starry-night", f"{self.args.variant}.onnx")
        if not os.path.exists(path):
            train.fail(f"{path} not found (the plain network the bank starts from: --init, or --init none)")
        if not train.holds_weights_of(self.net, path, load=True):
            models.bank_from_plain(self.net, train.load_network(path, self.args.variant))

    def next_target(self):
        """Rows in a shuffled round, the same on a resumed run (seeded by the round's number)."""
        n = len(self.targets)
        order = random.Random(self.args.seed * 100003 + self.iteration // n).sample(range(n), n)
        row = order[self.iteration % n]
        models.set_mix(self.net, row)
        if self.bank_teacher is not None:
            models.set_mix(self.bank_teacher, row)
        return self.targets[row]


def export(trainer):
    """The bank as a preset folder (`--out`, default Presets/bank): VARIANT.onnx with inputs `input`
    (1×3×H×W, RGB 0..255) and `style_weights` (one weight per row, in bank.json's order), and
    bank.json (the rows, the models, the training settings; `--report` or compare_bank.py gives the
    held-out losses of every row)."""
    import json
    import warnings
    a = trainer.args
    out = a.out or os.path.join(train.REPO, "Presets", "bank")
    os.makedirs(out, exist_ok=True)
    net = trainer.export_net()
    torch.save(net.state_dict(), os.path.join(trainer.work, f"{a.variant}.pt"))
    onnx_path = os.path.join(out, f"{a.variant}.onnx")
    mix = torch.zeros(len(trainer.rows))
    mix[1 if len(trainer.rows) > 1 else 0] = 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(models.Mixed(net), (torch.zeros(1, 3, 64, 64), mix), onnx_path, dynamo=False,
                          opset_version=17, input_names=["input", "style_weights"], output_names=["output"],
                          dynamic_axes={"input": {2: "height", 3: "width"}, "output": {2: "out_height", 3: "out_width"}})
    meta_path = os.path.join(out, "bank.json")
    meta = json.load(open(meta_path)) if os.path.exists(meta_path) else {}
    meta["rows"] = trainer.rows
    meta.setdefault("models", {})[a.variant] = f"{a.variant}.onnx"
    meta.setdefault("training", {})[a.variant] = {
        "recipe": "conditional instance normalization (Dumoulin et al. 2017) over train.py's losses; "
                  "bold rows add the Gram loss at the coarse scale"
                  + ("; every row distilled from the same row of the quality bank" if a.variant == "realtime" else ""),
        "settings": dict({k: getattr(a, k) for k in ("init", "iterations", "batch", "size", "style_size", "lr",
                                                      "content_weight", "style_weight", "tv_weight", "temporal_weight",
                                                      "distill_weight", "anchor_weight", "bold_coarse_weight",
                                                      "bold_style_weight", "bold_style_size", "photo_pixel_weight", "seed")},
                         row_weights={f"{row}.{term}": w for (row, term), w in a.row_weight.items()}),
        "precision": "bf16 autocast" if trainer.bf16 else "fp32",
        "iterations": trainer.iteration,
        "training_seconds": round(trainer.elapsed),
        "macs_640x480": models.macs(models.Mixed(net).net, 480, 640),
    }
    with open(meta_path + ".tmp", "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    os.replace(meta_path + ".tmp", meta_path)
    print(f"train_bank: wrote {onnx_path} and {meta_path}", flush=True)


def link_presets(out, styles, strength=DEFAULT_STRENGTH):
    """Every painting's Presets/NAME/preset.json gains `"bank"`: its row, bold row and photo row of
    the bank in `out`, at `strength` (its usual look). Its own networks stay listed: Stylize runs
    them for a variant the bank has no network of."""
    import json
    for name in styles:
        path = os.path.join(train.REPO, "Presets", name, "preset.json")
        if not os.path.exists(path):
            print(f"train_bank: no preset {path}; not linked", flush=True)
            continue
        meta = json.load(open(path))
        meta["bank"] = {"folder": os.path.relpath(out, os.path.dirname(path)), "photo": PHOTO_ROW,
                        "row": name, "bold": f"{name}:bold", "strength": strength}
        with open(path + ".tmp", "w") as f:
            json.dump(meta, f, indent=2)
            f.write("\n")
        os.replace(path + ".tmp", path)
        print(f"train_bank: {path} is now the bank's row '{name}'", flush=True)


def report(trainer):
    """Held-out losses at both scales and warping error: per painting, the shipped plain network,
    then the bank from the photo row through the painting's row to its bold row (compare_bank.py)."""
    import compare_bank
    compare_bank.table(trainer.net, trainer.rows, trainer.styles, style_paths(trainer.styles),
                       trainer.args.test_photos, trainer.vgg.float(), strengths=(0, 0.3, 0.6, 0.8, 1.0))


def main(argv=None):
    args = parse_args(argv)
    train.Stop.on_signals()
    args.work = args.work or os.path.join(paths.RUNS, f"{args.name}-{args.variant}")
    trainer = BankTrainer(args)
    if args.resume or args.export_only:
        trainer.load()
    else:
        trainer.start_from(args.init)
    print(f"train_bank: {len(trainer.rows)} rows: {', '.join(trainer.rows)}", flush=True)
    if not args.export_only:
        train.train_or_exit(trainer, "train_bank")
    export(trainer)
    if args.link_presets:
        link_presets(args.out or os.path.join(train.REPO, "Presets", "bank"), trainer.styles)
    if args.report:
        report(trainer)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Train (or finish training) every shipped preset, one after another, resuming where the
last run stopped: for each painting in the fetched styles manifest (Training/fetch_data.py),
the quality variant, then the realtime variant distilled from it. A variant already exported
with the wanted number of iterations is skipped; one with a checkpoint is resumed.

The pseudo-variant `ablation` trains the quality network once more with the temporal
stability term off (`--temporal-weight 0`, same iterations and seed) into
CACHE/ablation/NAME, outside Presets/: evaluate.py compares the two to show what the term buys.
The term also costs style (the strokes it keeps still are fewer), so `matched` trains it once
more without the term at a lower style weight, chosen from the two runs' held-out style losses
to land near the shipped network's: flicker compared at a similar style loss.

  python Training/train_all.py [--only starry-night,great-wave] [--variants quality,realtime,ablation,matched]
                               [--iterations N] [--realtime-iterations N] [-- extra train.py options…]
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import paths  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DATA = paths.DATA
ORDER = ["starry-night", "great-wave", "the-scream", "the-kiss", "composition-viii", "cafe-terrace"]


ABLATION = os.path.join(paths.CACHE, "ablation")
# Held-out style loss ∝ style_weight^-1.03 without the term, measured on The Great Wave
# (style weight 0.08 → 0.0492: style loss 63.6 → 104.7); used to aim the matched run.
STYLE_ELASTICITY = 1.03


def done(folder, model, iterations):
    meta = os.path.join(folder, "preset.json")
    if not os.path.exists(meta) or not os.path.exists(os.path.join(folder, f"{model}.onnx")):
        return False
    info = json.load(open(meta)).get("training", {}).get(model, {})
    return info.get("iterations", 0) >= iterations


def held_out(folder):
    """(style weight, held-out style loss) of the quality network exported into `folder`."""
    info = json.load(open(os.path.join(folder, "preset.json")))["training"]["quality"]
    return info["settings"]["style_weight"], info["held_out_losses"]["style"]


def matched_style_weight(name):
    """The style weight at which the network without the term should reach the shipped one's style loss."""
    for folder in (os.path.join(REPO, "Presets", name), os.path.join(ABLATION, name)):
        if not done(folder, "quality", 1):
            sys.exit(f"train_all: error: {name} matched needs its quality and ablation runs first ({folder})")
    _, shipped = held_out(os.path.join(REPO, "Presets", name))
    ablation_weight, ablation = held_out(os.path.join(ABLATION, name))
    return ablation_weight * (shipped / ablation) ** (-1 / STYLE_ELASTICITY)


def plan(name, variant, args):
    """(model variant, preset folder, work folder, iterations, extra train.py options) of one run."""
    if variant == "ablation":
        return ("quality", os.path.join(ABLATION, name), os.path.join(paths.RUNS, f"{name}-quality-notemporal"),
                args.iterations, ["--temporal-weight", "0", "--out", os.path.join(ABLATION, name)])
    if variant == "matched":
        out = os.path.join(ABLATION, f"{name}-matched")
        work = os.path.join(paths.RUNS, f"{name}-quality-notemporal-matched")
        if done(out, "quality", args.iterations):
            return "quality", out, work, args.iterations, []
        # The weight is chosen once and kept beside the checkpoint, so a resumed run goes on with it.
        chosen = os.path.join(work, "style-weight")
        if not os.path.exists(chosen):
            os.makedirs(work, exist_ok=True)
            with open(chosen, "w") as f:
                f.write(f"{matched_style_weight(name):.4f}\n")
        weight = open(chosen).read().strip()
        return ("quality", out, work, args.iterations,
                ["--temporal-weight", "0", "--style-weight", weight, "--out", out])
    iterations = args.realtime_iterations if variant == "realtime" and args.realtime_iterations else args.iterations
    return variant, os.path.join(REPO, "Presets", name), os.path.join(paths.RUNS, f"{name}-{variant}"), iterations, []


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", default=",".join(ORDER))
    p.add_argument("--variants", default="quality,realtime")
    p.add_argument("--iterations", type=int, default=2000, help="quality (and ablation) iterations")
    p.add_argument("--realtime-iterations", type=int, default=None, help="default: --iterations")
    p.add_argument("extra", nargs="*", help="passed to train.py (after --)")
    args = p.parse_args()
    manifest_path = os.path.join(DATA, "styles", "manifest.json")
    if not os.path.exists(manifest_path):
        sys.exit("train_all: error: no styles manifest; run Training/fetch_data.py first")
    manifest = json.load(open(manifest_path))
    for name in [n for n in args.only.split(",") if n]:
        if name not in manifest:
            sys.exit(f"train_all: error: {name} is not in {manifest_path}")
        info = manifest[name]
        for variant in [v for v in args.variants.split(",") if v]:
            if variant not in ("quality", "realtime", "ablation", "matched"):
                sys.exit(f"train_all: error: unknown variant {variant} (quality, realtime, ablation, matched)")
            model, folder, work, iterations, extra = plan(name, variant, args)
            if done(folder, model, iterations):
                print(f"train_all: {name} {variant} already trained", flush=True)
                continue
            command = [sys.executable, os.path.join(HERE, "train.py"),
                       "--style", os.path.join(DATA, "styles", info["file"]), "--name", name,
                       "--variant", model, "--iterations", str(iterations), "--work", work,
                       "--title", info["title"], "--artist", info["artist"], "--year", str(info["year"]),
                       "--source", f"Debian package {info['source_package']}: {info['source_path']}",
                       "--licence", info["licence"]] + extra + args.extra
            if os.path.exists(os.path.join(work, "checkpoint.pt")):
                command.append("--resume")
            print("train_all: " + " ".join(command[1:6]) + " …", flush=True)
            result = subprocess.run(command)
            if result.returncode != 0:
                sys.exit(result.returncode)


if __name__ == "__main__":
    main()

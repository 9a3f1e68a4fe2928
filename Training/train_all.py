#!/usr/bin/env python3
"""Train (or finish training) every shipped preset, one after another, resuming where the
last run stopped: for each painting in the fetched styles manifest (Training/fetch_data.py),
the quality variant, then the realtime variant distilled from it. A variant already exported
with the wanted number of iterations is skipped; one with a checkpoint is resumed.

  python Training/train_all.py [--only starry-night,great-wave] [--variants quality,realtime]
                               [-- extra train.py options…]
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


def done(name, variant, iterations):
    meta = os.path.join(REPO, "Presets", name, "preset.json")
    if not os.path.exists(meta) or not os.path.exists(os.path.join(REPO, "Presets", name, f"{variant}.onnx")):
        return False
    info = json.load(open(meta)).get("training", {}).get(variant, {})
    return info.get("iterations", 0) >= iterations


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", default=",".join(ORDER))
    p.add_argument("--variants", default="quality,realtime")
    p.add_argument("--iterations", type=int, default=2000)
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
            if done(name, variant, args.iterations):
                print(f"train_all: {name} {variant} already trained", flush=True)
                continue
            work = os.path.join(paths.RUNS, f"{name}-{variant}")
            command = [sys.executable, os.path.join(HERE, "train.py"),
                       "--style", os.path.join(DATA, "styles", info["file"]), "--name", name,
                       "--variant", variant, "--iterations", str(args.iterations),
                       "--title", info["title"], "--artist", info["artist"], "--year", str(info["year"]),
                       "--source", f"Debian package {info['source_package']}: {info['source_path']}",
                       "--licence", info["licence"]] + args.extra
            if os.path.exists(os.path.join(work, "checkpoint.pt")):
                command.append("--resume")
            print("train_all: " + " ".join(command[1:6]) + " …", flush=True)
            result = subprocess.run(command)
            if result.returncode != 0:
                sys.exit(result.returncode)


if __name__ == "__main__":
    main()

"""End-to-end tests of train.py on a tiny run (needs the training venv and the converted VGG16
weights that fetch_data.py caches; skipped without them):
`.venv-train/bin/python Training/test_train.py`, or under pytest."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import paths  # noqa: E402


def tiny_run(tmp, iterations, *extra):
    """A train.py command on three random-texture photos at 32² crops, batch 1."""
    photos = Path(tmp, "photos")
    if not photos.exists():
        photos.mkdir()
        rng = np.random.default_rng(0)
        for i in range(3):
            Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(photos / f"p{i}.png")
        Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(Path(tmp, "style.png"))
    return [sys.executable, str(HERE / "train.py"), "--style", str(Path(tmp, "style.png")), "--name", "tiny",
            "--photos", str(photos), "--test-photos", str(photos), "--size", "32", "--batch", "1",
            "--style-size", "40", "--iterations", str(iterations), "--threads", "1",
            "--work", str(Path(tmp, "work")), "--out", str(Path(tmp, "out"))] + list(extra)


def tiny_learn_style(tmp):
    """A learn_style.py command against the shipped bank, on tiny_run's photos and painting (2
    steps of the quality row), installing into TMP/learned."""
    command = tiny_run(tmp, 2)
    command[1] = str(HERE / "learn_style.py")
    return command + ["--bank", str(HERE.parent / "Presets" / "bank"), "--precision", "fp32",
                      "--out", str(Path(tmp, "learned"))]


def have_vgg():
    return os.path.isdir(os.path.join(paths.DATA, "vgg"))


def test_sigterm_stops_with_a_checkpoint_and_resume_finishes():
    if not have_vgg():
        print("skipped: no converted VGG16 weights (run Training/fetch_data.py)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        # Started the way a background queue starts it: SIGINT ignored, as a shell does for `cmd &`.
        proc = subprocess.Popen(tiny_run(tmp, 100000), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
        for line in proc.stdout:          # wait until it trains
            if line.startswith("it 10/"):
                break
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, f"exit {proc.returncode}: {err}"
        assert "checkpoint saved" in err, err
        checkpoint = Path(tmp, "work", "checkpoint.pt")
        assert checkpoint.exists(), "no checkpoint after SIGTERM"
        import torch
        stopped_at = torch.load(checkpoint, weights_only=False)["iteration"]
        assert 10 <= stopped_at < 100000, stopped_at
        # --resume picks it up and finishes a few more steps, then exports.
        done = subprocess.run(tiny_run(tmp, stopped_at + 5, "--resume"), capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert f"from iteration {stopped_at}" in done.stdout, done.stdout
        meta = json.load(open(Path(tmp, "out", "preset.json")))
        assert meta["training"]["quality"]["iterations"] == stopped_at + 5, meta["training"]["quality"]
        assert Path(tmp, "out", "quality.onnx").stat().st_size > 0


def test_an_anchored_painting_row_learns_from_its_own_plain_network():
    """train_bank --anchor-weight: a painting row's distillation term compares it with that
    painting's shipped plain network; the photo and bold rows have none (quality variant)."""
    if not have_vgg() or not os.path.exists(os.path.join(paths.DATA, "styles", "manifest.json")):
        print("skipped: no converted VGG16 weights or styles (run Training/fetch_data.py)")
        return
    import torch
    import models
    import train_bank
    with tempfile.TemporaryDirectory() as tmp:
        args = train_bank.parse_args(["--styles", "starry-night,great-wave", "--anchor-weight", "2",
                                      "--work", tmp, "--threads", "1", "--precision", "fp32"])
        trainer = train_bank.BankTrainer(args)
        trainer.start_from(None)          # every row starts as the plain starry-night network
        x = torch.rand(1, 3, 64, 64) * 255
        distill = {}
        for row, target in enumerate(trainer.targets):
            models.set_mix(trainer.net, row)
            with torch.no_grad():
                distill[target.name] = (trainer.losses(x, target).get("distill"),
                                        target.weights.get("distill"))
    assert distill["starry-night"][0] < 1e-6 and distill["starry-night"][1] == 2, distill
    assert distill["great-wave"][0] > 1e-3 and distill["great-wave"][1] == 2, distill
    for row in ("photo", "starry-night:bold", "great-wave:bold"):
        assert distill[row][0] is None, (row, distill)


def test_a_row_weight_changes_that_row_s_term_only():
    """train_bank --row-weight ROW.TERM=W: that row's loss weight, the option's for every other row;
    a malformed pair, an unknown row or term is refused."""
    if not have_vgg() or not os.path.exists(os.path.join(paths.DATA, "styles", "manifest.json")):
        print("skipped: no converted VGG16 weights or styles (run Training/fetch_data.py)")
        return
    import argparse
    import train_bank
    assert train_bank.row_weights("the-scream.temporal=22,a:bold.style=0.5") == {
        ("the-scream", "temporal"): 22.0, ("a:bold", "style"): 0.5}
    for bad in ("the-scream=22", "the-scream.temporal", ".temporal=1", "x.temporal=many"):
        try:
            train_bank.row_weights(bad)
        except argparse.ArgumentTypeError:
            continue
        raise AssertionError(f"{bad!r} was accepted")
    with tempfile.TemporaryDirectory() as tmp:
        args = train_bank.parse_args(["--styles", "starry-night,great-wave", "--temporal-weight", "15",
                                      "--row-weight", "great-wave.temporal=22,starry-night:bold.style=0.1",
                                      "--work", tmp, "--threads", "1", "--precision", "fp32"])
        weights = {t.name: t.weights for t in train_bank.BankTrainer(args).targets}
        assert weights["great-wave"]["temporal"] == 22 and weights["starry-night"]["temporal"] == 15, weights
        assert weights["starry-night:bold"]["style"] == 0.1 and weights["great-wave:bold"]["style"] == args.style_weight
        for bad in ("nosuch.temporal=1", "great-wave.bogus=1"):
            result = subprocess.run([sys.executable, str(HERE / "train_bank.py"), "--styles", "starry-night,great-wave",
                                     "--row-weight", bad, "--work", tmp, "--iterations", "0"],
                                    capture_output=True, text=True)
            assert result.returncode != 0 and len(result.stderr.strip().splitlines()) == 1, (bad, result.stderr)


def test_a_learned_style_has_a_row_for_every_network_of_the_bank():
    """learn_style.py on the shipped bank (quality and realtime networks): rows.json holds the new
    row of every norm of both, and --realtime-iterations 0 leaves the realtime one out."""
    if not have_vgg():
        print("skipped: no converted VGG16 weights (run Training/fetch_data.py)")
        return
    import models
    with tempfile.TemporaryDirectory() as tmp:
        command = tiny_learn_style(tmp)
        done = subprocess.run(command + ["--realtime-iterations", "2"], capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        rows = json.load(open(Path(tmp, "learned", "rows.json")))
        norms = {v: sum(isinstance(m, models.ConditionalInstanceNorm) for m in models.VARIANTS[v](styles=2).modules())
                 for v in ("quality", "realtime")}
        for variant, count in norms.items():
            assert len(rows["parameters"][variant]) == 2 * count, (variant, sorted(rows["parameters"][variant]))
        assert rows["parameters"]["quality"] != rows["parameters"]["realtime"]
        done = subprocess.run(command + ["--realtime-iterations", "0", "--name", "other"], capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        assert list(json.load(open(Path(tmp, "learned", "rows.json")))["parameters"]) == ["quality"]


def test_a_style_stopped_in_its_realtime_part_resumes_there():
    """learn_style.py stopped (SIGTERM) while it learns the realtime row: exit 130 with a
    checkpoint and no preset; --resume skips the finished quality part and goes on from there."""
    if not have_vgg():
        print("skipped: no converted VGG16 weights (run Training/fetch_data.py)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        command = tiny_learn_style(tmp)
        proc = subprocess.Popen(command + ["--realtime-iterations", "100000"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
        realtime = False
        for line in proc.stdout:
            realtime = realtime or "(realtime)" in line
            if realtime and line.startswith("it 10/"):
                break
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, f"exit {proc.returncode}: {err}"
        assert not Path(tmp, "learned").exists(), "a preset was installed by a stopped run"
        done = subprocess.run(command + ["--realtime-iterations", "15", "--resume"], capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stderr
        assert "(quality)" in done.stdout and "from iteration 2" in done.stdout, done.stdout
        assert "(realtime)" in done.stdout and "from iteration 0" not in done.stdout, done.stdout
        assert "realtime" in json.load(open(Path(tmp, "learned", "rows.json")))["parameters"]


if __name__ == "__main__":
    from run_tests import run
    run(globals())

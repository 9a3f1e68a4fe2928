#!/usr/bin/env python3
"""The style-bank fixture of the Swift tests (Tests/PipelineTests/Fixtures/StyleBank): a tiny
quality network with a conditional-norm bank of three rows (photo, alpha, alpha:bold), random
weights (seeded, so a rerun writes the same file), exported as train_bank.py exports, two
presets that are rows of it, and one (gamma) with a row of its own added to it. Not a painting: the tests check the wiring, not the look.

  .venv-train/bin/python Training/make_test_bank.py
"""
import json
import os
import sys
import warnings

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                   "Tests", "PipelineTests", "Fixtures", "StyleBank")
ROWS = ["photo", "alpha", "alpha:bold", "beta"]


def main():
    torch.manual_seed(7)
    net = models.TransformerNet(widths=(4, 4, 4), blocks=1, styles=len(ROWS)).eval()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, models.ConditionalInstanceNorm):
                m.weight.uniform_(0.5, 2.0)
                m.bias.normal_(0, 0.5)
        net.decode[-1].conv.bias.fill_(128)    # outputs around mid-grey, like a 0..255 network
        net.decode[-1].conv.weight.mul_(40)
    bank = os.path.join(OUT, "bank")
    os.makedirs(bank, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(models.Mixed(net), (torch.zeros(1, 3, 16, 16), torch.eye(len(ROWS))[1]),
                          os.path.join(bank, "quality.onnx"), dynamo=False, opset_version=17,
                          input_names=["input", "style_weights"], output_names=["output"],
                          dynamic_axes={"input": {2: "height", 3: "width"}, "output": {2: "out_height", 3: "out_width"}})
    write(os.path.join(bank, "bank.json"), {"rows": ROWS, "models": {"quality": "quality.onnx"}})
    write(os.path.join(OUT, "alpha", "preset.json"),
          {"title": "Alpha", "bank": {"folder": "../bank", "photo": "photo", "row": "alpha", "bold": "alpha:bold",
                                      "strength": 0.6}})
    write(os.path.join(OUT, "beta", "preset.json"),
          {"title": "Beta", "bank": {"folder": "../bank", "photo": "photo", "row": "beta", "strength": 0.5}})
    # A style learned later (as `stylize train` writes it): one added row, here a copy of alpha's
    # values, so the tests can check it paints exactly as alpha does.
    alpha = ROWS.index("alpha")
    write(os.path.join(OUT, "gamma", "rows.json"),
          {"rows": ["gamma"], "parameters": {"quality": {
              f"net.{name}": [float(v) for v in tensor[alpha]]
              for name, tensor in net.state_dict().items() if tensor.dim() == 2}}})
    write(os.path.join(OUT, "gamma", "preset.json"),
          {"title": "Gamma", "bank": {"folder": "../bank", "photo": "photo", "row": "gamma", "strength": 0.6,
                                      "rows": "rows.json"}})
    print(f"wrote {OUT}")


def write(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(value, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()

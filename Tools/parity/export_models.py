#!/usr/bin/env python3
"""Parity fixtures: PyTorch style networks exported to ONNX, with ONNX Runtime's outputs.

    export_models.py [OUTDIR]          small fixtures (default Tests/StyleEngineTests/Fixtures/parity):
                                       NAME.onnx + NAME.tensors (input and ORT's output) + manifest.json
    export_models.py --full OUTDIR     full-width models for benchmarks (not committed, no references)
    export_models.py --census DIR...   only print the op census of the .onnx files found

Random weights from a fixed seed; the exporter is torch.onnx's TorchScript one
(dynamo=False), which writes opsets 9-17 (the engine reads 9-17), with dynamic
height and width. Needs the venv of Benchmarks/setup-venv.sh (torch,
onnxruntime, onnx, numpy). Output is deterministic for the pinned versions.

Networks:
  TransformerNet  the fast-neural-style example of PyTorch (Johnson et al. 2016):
                  reflection pad + conv, InstanceNorm (affine), ReLU, 5 residual
                  blocks, two nearest ×2 F.interpolate + conv; RGB 0..255 in and out.
  ResnetGenerator CycleGAN's generator (Zhu et al. 2017): ReflectionPad 3 + 7×7
                  conv, InstanceNorm (no affine), ReLU, two stride-2 convs,
                  residual blocks, two ConvTranspose (stride 2, output_padding 1),
                  7×7 conv, Tanh; input in -1..1.
"""
import argparse
import collections
import glob
import os
import sys
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_io import run_ort, test_image, write_manifest, write_tensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE_DIR = os.path.join(ROOT, "Tests", "StyleEngineTests", "Fixtures", "parity")


# --- TransformerNet (pytorch/examples fast_neural_style/transformer_net.py) ----------

class ConvLayer(nn.Module):
    def __init__(self, c_in, c_out, kernel, stride):
        super().__init__()
        self.pad = nn.ReflectionPad2d(kernel // 2)
        self.conv = nn.Conv2d(c_in, c_out, kernel, stride)

    def forward(self, x):
        return self.conv(self.pad(x))


class ResidualBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = ConvLayer(channels, channels, 3, 1)
        self.in1 = nn.InstanceNorm2d(channels, affine=True)
        self.conv2 = ConvLayer(channels, channels, 3, 1)
        self.in2 = nn.InstanceNorm2d(channels, affine=True)

    def forward(self, x):
        y = F.relu(self.in1(self.conv1(x)))
        return x + self.in2(self.conv2(y))


class UpsampleConvLayer(nn.Module):
    """Nearest-neighbour ×upsample, then a convolution (instead of a transposed one)."""

    def __init__(self, c_in, c_out, kernel, stride, upsample=None):
        super().__init__()
        self.upsample = upsample
        self.conv = ConvLayer(c_in, c_out, kernel, stride)

    def forward(self, x):
        if self.upsample:
            x = F.interpolate(x, mode="nearest", scale_factor=self.upsample)
        return self.conv(x)


class TransformerNet(nn.Module):
    def __init__(self, widths=(32, 64, 128), blocks=5):
        super().__init__()
        c1, c2, c3 = widths
        self.conv1, self.in1 = ConvLayer(3, c1, 9, 1), nn.InstanceNorm2d(c1, affine=True)
        self.conv2, self.in2 = ConvLayer(c1, c2, 3, 2), nn.InstanceNorm2d(c2, affine=True)
        self.conv3, self.in3 = ConvLayer(c2, c3, 3, 2), nn.InstanceNorm2d(c3, affine=True)
        self.res = nn.Sequential(*[ResidualBlock(c3) for _ in range(blocks)])
        self.deconv1, self.in4 = UpsampleConvLayer(c3, c2, 3, 1, upsample=2), nn.InstanceNorm2d(c2, affine=True)
        self.deconv2, self.in5 = UpsampleConvLayer(c2, c1, 3, 1, upsample=2), nn.InstanceNorm2d(c1, affine=True)
        self.deconv3 = ConvLayer(c1, 3, 9, 1)

    def forward(self, x):
        y = F.relu(self.in1(self.conv1(x)))
        y = F.relu(self.in2(self.conv2(y)))
        y = F.relu(self.in3(self.conv3(y)))
        y = self.res(y)
        y = F.relu(self.in4(self.deconv1(y)))
        y = F.relu(self.in5(self.deconv2(y)))
        return self.deconv3(y)


# --- CycleGAN ResnetGenerator (junyanz/pytorch-CycleGAN-and-pix2pix, norm='instance') ---

class ResnetBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=True), nn.InstanceNorm2d(dim), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=True), nn.InstanceNorm2d(dim))

    def forward(self, x):
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    def __init__(self, ngf=64, blocks=9):
        super().__init__()
        layers = [nn.ReflectionPad2d(3), nn.Conv2d(3, ngf, 7, bias=True), nn.InstanceNorm2d(ngf), nn.ReLU(True)]
        for i in range(2):
            mult = 2 ** i
            layers += [nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1, bias=True),
                       nn.InstanceNorm2d(ngf * mult * 2), nn.ReLU(True)]
        layers += [ResnetBlock(ngf * 4) for _ in range(blocks)]
        for i in range(2):
            mult = 2 ** (2 - i)
            layers += [nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, stride=2, padding=1, output_padding=1,
                                          bias=True),
                       nn.InstanceNorm2d(ngf * mult // 2), nn.ReLU(True)]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


def seeded(module, seed):
    """Default (Kaiming-uniform) init from `seed`; affine InstanceNorm gets non-trivial scale and shift."""
    torch.manual_seed(seed)
    for m in module.modules():
        if hasattr(m, "reset_parameters"):
            m.reset_parameters()
        if isinstance(m, nn.InstanceNorm2d) and m.affine:
            with torch.no_grad():
                m.weight.copy_(1 + 0.1 * torch.randn_like(m.weight))
                m.bias.copy_(0.1 * torch.randn_like(m.bias))
    return module.eval()


# (name, constructor, opset, input range, seed)
FIXTURES = [
    ("transformer_w8_opset17", lambda: TransformerNet((8, 16, 32)), 17, (0, 255), 1),
    ("transformer_w4_opset9", lambda: TransformerNet((4, 8, 16)), 9, (0, 255), 2),
    ("cyclegan_ngf8_opset11", lambda: ResnetGenerator(8, blocks=2), 11, (-1, 1), 3),
]
# Committed fixtures stay under 1 MB in all (the TransformerNet at base width 8 is half of it).
FIXTURE_SHAPE = (1, 3, 37, 50)  # odd sizes: rounding in strided, transposed and resized layers

FULL = [
    ("transformer_net", lambda: TransformerNet((32, 64, 128)), 17, 10),
    ("transformer_net_half", lambda: TransformerNet((16, 32, 64)), 17, 11),
    ("cyclegan_resnet9", lambda: ResnetGenerator(64, blocks=9), 17, 12),
]


def export(module, path, opset, example_shape=(1, 3, 64, 64)):
    example = torch.zeros(example_shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (example,), path, dynamo=False, opset_version=opset,
                          input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {2: "height", 3: "width"},
                                        "output": {2: "out_height", 3: "out_width"}})


def census(paths):
    """Op types with their attribute values, per model and in all."""
    import onnx
    from onnx import helper

    total = collections.Counter()
    for path in paths:
        model = onnx.load(path)
        opsets = ",".join("%s%d" % (o.domain + ":" if o.domain else "", o.version) for o in model.opset_import)
        counts, attributes = collections.Counter(), collections.defaultdict(set)
        for node in model.graph.node:
            key = (node.domain + ":" if node.domain else "") + node.op_type
            counts[key] += 1
            for a in node.attribute:
                value = helper.get_attribute_value(a)
                if isinstance(value, bytes):
                    value = value.decode()
                elif isinstance(value, list):
                    value = tuple(value)
                elif isinstance(value, onnx.TensorProto):
                    value = "tensor"
                attributes[key].add("%s=%s" % (a.name, value))
        total.update(counts.keys())
        print("%s (opset %s)" % (os.path.basename(path), opsets))
        for op in sorted(counts):
            print("  %-22s %4d  %s" % (op, counts[op], " ".join(sorted(attributes[op]))))
    print("op types in all: " + " ".join(sorted(total)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir", nargs="?", default=FIXTURE_DIR)
    parser.add_argument("--full", action="store_true", help="full-width models for benchmarks, no references")
    parser.add_argument("--census", nargs="+", metavar="PATH", help="print the op census of these models/folders")
    args = parser.parse_args()

    if args.census:
        paths = []
        for p in args.census:
            paths += sorted(glob.glob(os.path.join(p, "*.onnx"))) if os.path.isdir(p) else [p]
        census(paths)
        return

    os.makedirs(args.outdir, exist_ok=True)
    if args.full:
        for name, make, opset, seed in FULL:
            path = os.path.join(args.outdir, name + ".onnx")
            export(seeded(make(), seed), path, opset)
            print("wrote %s (%d bytes)" % (path, os.path.getsize(path)))
        return

    cases = []
    for name, make, opset, (low, high), seed in FIXTURES:
        module = seeded(make(), seed)
        model_path = os.path.join(args.outdir, name + ".onnx")
        export(module, model_path, opset)
        x = test_image(FIXTURE_SHAPE, low, high, seed)
        y = run_ort(model_path, {"input": x})
        with torch.no_grad():
            torch_y = module(torch.from_numpy(x)).numpy()
        spread = float(y.max() - y.min())
        torch_error = float(np.abs(torch_y - y).max()) / spread
        write_tensors(os.path.join(args.outdir, name + ".tensors"), [("input", x), ("output", y)])
        cases.append({"name": name, "model": name + ".onnx", "tensors": name + ".tensors",
                      "inputs": ["input"], "output": "output",
                      "tolerance": {"kind": "range", "value": 1e-3},
                      "note": "opset %d, input %s in %g..%g; ORT vs PyTorch: %.1e of the output range"
                              % (opset, "x".join(map(str, x.shape)), low, high, torch_error)})
        print("%-24s opset %2d  %s -> %s  output range %.3g..%.3g  ORT vs torch %.1e"
              % (name, opset, x.shape, y.shape, y.min(), y.max(), torch_error))
    write_manifest(args.outdir, cases)
    size = sum(os.path.getsize(p) for p in glob.glob(os.path.join(args.outdir, "*")))
    print("%s: %d bytes in all" % (args.outdir, size))


if __name__ == "__main__":
    main()

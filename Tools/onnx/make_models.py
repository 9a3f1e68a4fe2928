#!/usr/bin/env python3
"""Builds the ONNX models Stylize ships, tests with and benchmarks on.

    make_models.py placeholder OUTDIR        the "sketch" preset (OUTDIR/model.onnx)
    make_models.py transformer OUT.onnx [--width-mult 1.0|0.5] [--seed N]
                                              Johnson TransformerNet, random weights
    make_models.py fixtures OUTDIR            tiny models for StyleEngine's tests
                                              (then make_expected.py adds reference outputs)

Python stdlib only (see onnx_writer.py). Output is deterministic. To refresh
the committed test fixtures and the preset:

    python3 Tools/onnx/make_models.py fixtures Tests/StyleEngineTests/Fixtures
    python3 Tools/onnx/make_expected.py Tests/StyleEngineTests/Fixtures   # needs numpy + onnxruntime
    python3 Tools/onnx/make_models.py placeholder Presets/sketch
"""
import argparse
import math
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_writer import (BOOL, DOUBLE, FLOAT, FLOAT16, INT32, INT64, UINT8,  # noqa: E402
                         graph, model, node, tensor, value_info)


class Builder:
    """Accumulates nodes and initializers with unique names."""

    def __init__(self):
        self.nodes, self.initializers, self.count = [], [], 0

    def name(self, prefix):
        self.count += 1
        return "%s_%d" % (prefix, self.count)

    def const(self, dims, values, data_type=FLOAT, prefix="c", raw=True):
        name = self.name(prefix)
        self.initializers.append(tensor(name, dims, values, data_type, raw=raw))
        return name

    def op(self, op_type, inputs, outputs=1, **attributes):
        names = [self.name(op_type.lower()) for _ in range(outputs)]
        self.nodes.append(node(op_type, inputs, names, name=names[0], **attributes))
        return names[0] if outputs == 1 else names

    # Johnson-style building blocks

    def reflect_pad(self, x, p, opset=13):
        if p == 0:
            return x
        pads = [0, 0, p, p, 0, 0, p, p]
        if opset < 11:
            return self.op("Pad", [x], mode="reflect", pads=pads)
        return self.op("Pad", [x, self.const([8], pads, INT64)], mode="reflect")

    def conv(self, x, weights, bias, shape, stride=1, group=1, pad_reflect=None, opset=13):
        """Conv with reflection padding of kernel//2 (Johnson) unless pad_reflect is given."""
        k = shape[2]
        x = self.reflect_pad(x, k // 2 if pad_reflect is None else pad_reflect, opset)
        inputs = [x, self.const(shape, weights, prefix="w")]
        if bias is not None:
            inputs.append(self.const([shape[0]], bias, prefix="b"))
        return self.op("Conv", inputs, kernel_shape=[k, shape[3]], strides=[stride, stride], group=group)

    def instance_norm(self, x, channels, rng):
        scale = [1.0 + 0.1 * rng.gauss(0, 1) for _ in range(channels)]
        shift = [0.1 * rng.gauss(0, 1) for _ in range(channels)]
        return self.op("InstanceNormalization", [x, self.const([channels], scale), self.const([channels], shift)],
                       epsilon=1e-5)

    def upsample2(self, x):
        """Nearest ×2 as PyTorch exports it (Resize, asymmetric, floor)."""
        return self.op("Resize", [x, "", self.const([4], [1.0, 1.0, 2.0, 2.0], prefix="scales")],
                       mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")

    def finish(self, name, x_name, y_name, inputs, outputs, opset=13, metadata=None):
        # Rename the last node's output to the graph output name.
        self.nodes.append(node("Identity", [outputs], [y_name], name="output"))
        g = graph(name, self.nodes,
                  inputs=[value_info(x_name, FLOAT, inputs)],
                  outputs=[value_info(y_name, FLOAT, ["batch", "channels", "out_height", "out_width"])],
                  initializers=self.initializers)
        return model(g, opset=opset, metadata=metadata)


def write(path, data):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    print("wrote %s (%d bytes)" % (path, len(data)))


# --- TransformerNet -------------------------------------------------------------

def transformer_net(widths=(32, 64, 128), blocks=5, seed=0, name="transformer_net"):
    """Johnson et al. 2016: 9×9 conv, two stride-2 convs, residual blocks, two
    nearest-×2 upsample + conv, 9×9 conv to RGB; InstanceNorm + ReLU after
    every conv but the last. He-initialized random weights."""
    rng = random.Random(seed)
    b = Builder()

    def conv_layer(x, c_in, c_out, k, stride=1):
        std = math.sqrt(2.0 / (c_in * k * k))
        weights = [rng.gauss(0, std) for _ in range(c_out * c_in * k * k)]
        bias = [0.01 * rng.gauss(0, 1) for _ in range(c_out)]
        return b.conv(x, weights, bias, [c_out, c_in, k, k], stride=stride)

    def conv_in_relu(x, c_in, c_out, k, stride=1):
        return b.op("Relu", [b.instance_norm(conv_layer(x, c_in, c_out, k, stride), c_out, rng)])

    c1, c2, c3 = widths
    y = conv_in_relu("input", 3, c1, 9)
    y = conv_in_relu(y, c1, c2, 3, 2)
    y = conv_in_relu(y, c2, c3, 3, 2)
    for _ in range(blocks):
        r = conv_in_relu(y, c3, c3, 3)
        r = b.instance_norm(conv_layer(r, c3, c3, 3), c3, rng)
        y = b.op("Add", [y, r])
    y = conv_in_relu(b.upsample2(y), c3, c2, 3)
    y = conv_in_relu(b.upsample2(y), c2, c1, 3)
    y = conv_layer(y, c1, 3, 9)
    return b.finish(name, "input", "output", [1, 3, "height", "width"], y)


# --- the placeholder "sketch" preset ----------------------------------------------

def gaussian_kernel(size, sigma):
    half = size // 2
    row = [math.exp(-((i - half) ** 2) / (2 * sigma * sigma)) for i in range(size)]
    total = sum(row) ** 2
    return [row[i] * row[j] / total for i in range(size) for j in range(size)]


def sketch_model():
    """"Ink and wash": a softened, posterized, paper-light colour wash at half
    resolution, plus dark bluish ink lines from the Sobel magnitude of the
    luminance. Hand-designed weights; input and output are RGB 0..255."""
    b = Builder()
    luma = [0.299, 0.587, 0.114]

    # Wash: blur + subsample (depthwise 5×5, stride 2).
    blur5 = gaussian_kernel(5, 1.2)
    wash = b.conv("input", blur5 * 3, None, [3, 1, 5, 5], stride=2, group=3)
    # Partly desaturate, lighten towards paper white, warm the paper a little.
    keep, light = 0.55, 0.72
    mix = []
    for out_c in range(3):
        for in_c in range(3):
            mix.append(light * (keep * (out_c == in_c) + (1 - keep) * luma[in_c]))
    paper = [255 * (1 - light) + t for t in (6.0, 2.0, -6.0)]
    wash = b.op("Conv", [wash, b.const([3, 3, 1, 1], mix), b.const([3], paper)], kernel_shape=[1, 1])
    # Soft posterize: v/2 + Σ_k (L/2)·clip((v − t_k)/w + ½, 0, 1), clip = relu(r) − relu(r − 1).
    levels, width = 4, 18.0
    thresholds = [(k + 1) * 255.0 / (levels + 1) for k in range(levels)]
    step = 255.0 / levels
    expand_w, expand_b = [], []
    for c in range(3):  # identity channels first: v ≥ 0 survives the ReLU
        expand_w += [1.0 if i == c else 0.0 for i in range(3)]
        expand_b.append(0.0)
    for c in range(3):
        for t in thresholds:
            for shift in (0.0, -1.0):
                expand_w += [1.0 / width if i == c else 0.0 for i in range(3)]
                expand_b.append(0.5 - t / width + shift)
    units = 3 + 3 * levels * 2
    ramps = b.op("Relu", [b.op("Conv", [wash, b.const([units, 3, 1, 1], expand_w), b.const([units], expand_b)],
                               kernel_shape=[1, 1])])
    combine = []
    for c in range(3):
        row = [0.5 if i == c else 0.0 for i in range(3)]
        for c2 in range(3):
            for _ in thresholds:
                row += [0.5 * step, -0.5 * step] if c2 == c else [0.0, 0.0]
        combine += row
    wash = b.op("Conv", [ramps, b.const([3, units, 1, 1], combine)], kernel_shape=[1, 1])
    # Back to full resolution (nearest ×2), cropped to the input size through a
    # shape subgraph, then smoothed.
    wash = b.upsample2(wash)
    spatial = b.op("Slice", [b.op("Shape", ["input"]), b.const([1], [2], INT64), b.const([1], [4], INT64)])
    wash = b.op("Slice", [wash, b.const([2], [0, 0], INT64), spatial, b.const([2], [2, 3], INT64)])
    wash = b.conv(wash, gaussian_kernel(3, 0.8) * 3, None, [3, 1, 3, 3], group=3)

    # Ink: blurred luminance → Sobel (±x, ±y) → |gx| + |gy| − noise floor → thickened, bluish black.
    blur3 = gaussian_kernel(3, 0.7)
    lum = b.conv("input", [luma[c] * w for c in range(3) for w in blur3], None, [1, 3, 3, 3])
    sx = [-1, 0, 1, -2, 0, 2, -1, 0, 1]
    sy = [-1, -2, -1, 0, 0, 0, 1, 2, 1]
    sobel = [v / 4.0 for v in sx] + [-v / 4.0 for v in sx] + [v / 4.0 for v in sy] + [-v / 4.0 for v in sy]
    grad = b.op("Relu", [b.conv(lum, sobel, None, [4, 1, 3, 3])])
    edge = b.op("Relu", [b.op("Conv", [grad, b.const([1, 4, 1, 1], [1.0] * 4), b.const([1], [-14.0])],
                              kernel_shape=[1, 1])])
    ink_gain = (2.6, 2.5, 2.1)
    ink = b.conv(edge, [-g * w for g in ink_gain for w in gaussian_kernel(3, 0.6)], None, [3, 1, 3, 3])
    ink = b.op("Clip", [ink, b.const([], [-235.0]), b.const([], [0.0])])

    y = b.op("Clip", [b.op("Add", [wash, ink]), b.const([], [0.0]), b.const([], [255.0])])
    metadata = {
        "stylize.input_range": "255",
        "stylize.name": "sketch",
        "stylize.description": "placeholder ink-and-wash look with hand-designed weights",
    }
    return b.finish("sketch", "input", "output", [1, 3, "height", "width"], y, metadata=metadata)


# --- test fixtures ----------------------------------------------------------------

def fixture_dynamic_upsample():
    """F.interpolate(x, scale_factor=2, mode="nearest") as PyTorch's opset-11
    exporter writes it: the output size computed from Shape at run time."""
    b = Builder()
    shape = b.op("Shape", ["input"])
    sizes = []
    for axis in (2, 3):
        dim = b.op("Gather", [shape, b.const([], [axis], INT64)], axis=0)
        scaled = b.op("Mul", [b.op("Cast", [dim], to=FLOAT), b.const([], [2.0])])
        floored = b.op("Floor", [b.op("Cast", [scaled], to=FLOAT)])
        sizes.append(b.op("Unsqueeze", [b.op("Cast", [floored], to=INT64)], axes=[0]))
    batch_channels = b.op("Slice", [shape, b.const([1], [0], INT64), b.const([1], [2], INT64),
                                    b.const([1], [0], INT64)])
    all_sizes = b.op("Concat", [batch_channels] + sizes, axis=0)
    empty = b.const([0], [], FLOAT, prefix="empty")
    y = b.op("Resize", ["input", empty, empty, all_sizes], mode="nearest",
             coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    return b.finish("dynamic_upsample", "input", "output", [1, 3, "height", "width"], y, opset=11)


def fixture_shape_ops():
    """Run-time data movement and folded shape arithmetic: Gather (channel
    reversal), Concat, Slice (crop), Transpose twice, Reshape to a computed
    shape, Flatten/Unsqueeze/Squeeze, ConstantOfShape, Cast, Identity.
    Output: [1, 6, H-2, W-2] = concat(reverse_channels(x), 2·x) cropped by 1."""
    b = Builder()
    reversed_x = b.op("Gather", ["input", b.const([3], [2, 1, 0], INT64)], axis=1)
    doubled = b.op("Mul", ["input", b.const([1], [2.0])])
    joined = b.op("Concat", [reversed_x, doubled], axis=1)
    shape = b.op("Shape", [joined])
    hw = b.op("Slice", [shape, b.const([1], [2], INT64), b.const([1], [4], INT64)])
    ends = b.op("Sub", [hw, b.const([1], [1], INT64)])
    cropped = b.op("Slice", [joined, b.const([2], [1, 1], INT64), ends, b.const([2], [2, 3], INT64)])
    # NCHW → NHWC → NCHW.
    there = b.op("Transpose", [cropped], perm=[0, 2, 3, 1])
    back = b.op("Transpose", [there], perm=[0, 3, 1, 2])
    # Flatten to 2-D and back to 4-D through a shape computed as Shape(back).
    flat = b.op("Flatten", [back], axis=1)
    restored = b.op("Reshape", [flat, b.op("Shape", [back])])
    lifted = b.op("Unsqueeze", [restored, b.const([1], [0], INT64)])
    squeezed = b.op("Squeeze", [lifted, b.const([1], [0], INT64)])
    # Adds zeros made by ConstantOfShape of the (folded) shape.
    zeros = b.op("ConstantOfShape", [b.op("Shape", [squeezed])], value=tensor("", [1], [0.0]))
    y = b.op("Add", [b.op("Cast", [squeezed], to=FLOAT), zeros])
    y = b.op("Identity", [y])
    return b.finish("shape_ops", "input", "output", [1, 3, "height", "width"], y, opset=13)


def fixture_legacy_opset9(seed=3):
    """Opset-9 forms: Pad and Clip with attributes, Upsample with a scales
    input, Slice with attributes, Unsqueeze/Squeeze with axes attributes,
    BatchNormalization, LeakyRelu."""
    rng = random.Random(seed)
    b = Builder()
    weights = [rng.uniform(-0.5, 0.5) for _ in range(4 * 3 * 3 * 3)]
    y = b.conv("input", weights, [0.1, -0.2, 0.05, 0.0], [4, 3, 3, 3], opset=9)
    stats = lambda lo, hi: b.const([4], [rng.uniform(lo, hi) for _ in range(4)])  # noqa: E731
    y = b.op("BatchNormalization", [y, stats(0.5, 1.5), stats(-0.3, 0.3), stats(-0.2, 0.2), stats(0.5, 2.0)],
             epsilon=1e-3)
    y = b.op("LeakyRelu", [y], alpha=0.2)
    y = b.op("Upsample", [y, b.const([4], [1.0, 1.0, 2.0, 2.0])], mode="nearest")
    y = b.op("Pad", [y], mode="edge", pads=[0, 0, 1, 2, 0, 0, 0, 1])
    y = b.op("Slice", [y], starts=[1, 0], ends=[4, 1000], axes=[1, 2])
    y = b.op("Squeeze", [b.op("Unsqueeze", [y], axes=[0])], axes=[0])
    y = b.op("Clip", [y], min=-0.5, max=1.5)
    return b.finish("legacy_opset9", "input", "output", [1, 3, "height", "width"], y, opset=9)


def fixture_mixed_ops(seed=4):
    """The other image operators in opset 13 form: ConvTranspose (stride 2),
    InstanceNormalization, Sigmoid, Tanh, Clip with inputs, broadcasting
    Sub/Div/Mul (one of rank 3), constant-mode Pad with a value, bilinear Resize, a dilated
    strided Conv with pads, a grouped Conv."""
    rng = random.Random(seed)
    b = Builder()
    u = lambda n: [rng.uniform(-0.4, 0.4) for _ in range(n)]  # noqa: E731
    y = b.op("Conv", ["input", b.const([6, 3, 3, 3], u(162)), b.const([6], u(6))],
             pads=[2, 1, 2, 1], strides=[2, 1], dilations=[2, 1])
    y = b.op("Tanh", [y])
    y = b.op("Conv", [y, b.const([6, 2, 3, 3], u(108)), b.const([6], u(6))], group=3, pads=[1, 1, 1, 1])
    y = b.op("ConvTranspose", [y, b.const([6, 4, 3, 3], u(216)), b.const([4], u(4))],
             strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1])
    y = b.op("InstanceNormalization", [y, b.const([4], [1.0, 0.5, 2.0, 1.5]), b.const([4], [0.0, 0.1, -0.1, 0.2])])
    y = b.op("Sigmoid", [y])
    y = b.op("Sub", [y, b.const([1, 4, 1, 1], [0.5, 0.4, 0.3, 0.2])])
    y = b.op("Div", [y, b.const([1, 1, 1, 1], [0.5])])
    y = b.op("Mul", [y, b.const([4, 1, 1], [1.0, 0.9, 0.8, 0.7])])
    y = b.op("Pad", [y, b.const([8], [0, 0, 1, 0, 0, 0, 0, 2], INT64), b.const([], [0.25])], mode="constant")
    y = b.op("Resize", [y, "", b.const([4], [1.0, 1.0, 1.5, 0.75])], mode="linear",
             coordinate_transformation_mode="half_pixel")
    y = b.op("Clip", [y, b.const([], [-0.8]), ""])
    return b.finish("mixed_ops", "input", "output", [1, 3, "height", "width"], y, opset=13)


def fixture_typed_fields():
    """Initializers in every encoding the loader reads: float_data (packed),
    FLOAT16, DOUBLE and INT32/UINT8/BOOL raw data, int64_data, and an
    unpacked repeated field. Output: Conv(x) with those weights, + bias."""
    b = Builder()
    weights = [((i * 7) % 11 - 5) / 8.0 for i in range(2 * 3 * 1 * 1)]
    w16 = b.const([2, 3, 1, 1], weights, FLOAT16, prefix="w16")
    bias = b.const([2], [0.5, -0.25], DOUBLE, prefix="bias64")
    y = b.op("Conv", ["input", b.op("Cast", [w16], to=FLOAT), b.op("Cast", [bias], to=FLOAT)])
    y = b.op("Mul", [y, b.const([1, 2, 1, 1], [2.0, 3.0], raw=False, prefix="float_data")])
    # A shape vector stored as int64_data, another as INT32, UINT8 and BOOL (all folded to int64).
    shape = b.op("Shape", [y])
    zeros = b.op("Sub", [shape, shape])
    ones = b.op("Add", [zeros, b.const([4], [1, 1, 1, 1], INT64, raw=False)])
    ones = b.op("Mul", [ones, b.op("Cast", [b.const([4], [1, 1, 1, 1], INT32)], to=INT64)])
    ones = b.op("Mul", [ones, b.op("Cast", [b.const([4], [1, 1, 1, 1], UINT8)], to=INT64)])
    ones = b.op("Mul", [ones, b.op("Cast", [b.const([4], [1, 1, 1, 1], BOOL)], to=INT64)])
    target = b.op("Mul", [shape, ones])
    y = b.op("Reshape", [y, target])
    return b.finish("typed_fields", "input", "output", [1, 3, "height", "width"], y, opset=13)


def fixture_unsupported_op():
    b = Builder()
    y = b.op("Erf", ["input"])
    return b.finish("unsupported_op", "input", "output", [1, 3, "height", "width"], y)


def fixtures(outdir):
    write(os.path.join(outdir, "tiny_transformer.onnx"),
          transformer_net(widths=(4, 8, 16), blocks=2, seed=1, name="tiny_transformer"))
    write(os.path.join(outdir, "dynamic_upsample.onnx"), fixture_dynamic_upsample())
    write(os.path.join(outdir, "shape_ops.onnx"), fixture_shape_ops())
    write(os.path.join(outdir, "legacy_opset9.onnx"), fixture_legacy_opset9())
    write(os.path.join(outdir, "mixed_ops.onnx"), fixture_mixed_ops())
    write(os.path.join(outdir, "typed_fields.onnx"), fixture_typed_fields())
    write(os.path.join(outdir, "unsupported_op.onnx"), fixture_unsupported_op())
    write(os.path.join(outdir, "sketch.onnx"), sketch_model())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("placeholder", help="write OUTDIR/model.onnx, the sketch preset")
    p.add_argument("outdir")
    t = commands.add_parser("transformer", help="Johnson TransformerNet with random weights")
    t.add_argument("out")
    t.add_argument("--width-mult", type=float, default=1.0, choices=[1.0, 0.5])
    t.add_argument("--seed", type=int, default=0)
    f = commands.add_parser("fixtures", help="tiny models for the StyleEngine tests")
    f.add_argument("outdir")
    args = parser.parse_args()
    if args.command == "placeholder":
        write(os.path.join(args.outdir, "model.onnx"), sketch_model())
    elif args.command == "transformer":
        widths = tuple(int(c * args.width_mult) for c in (32, 64, 128))
        write(args.out, transformer_net(widths=widths, seed=args.seed))
    else:
        fixtures(args.outdir)


if __name__ == "__main__":
    main()

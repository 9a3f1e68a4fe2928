"""The style networks we train: both map an RGB image in 0..255 to an RGB image in 0..255.

quality   Johnson et al. 2016's TransformerNet (the pytorch/examples layout): 9×9 conv 32,
          two stride-2 convs to 64 and 128, 5 residual blocks, two nearest-upsample convs,
          9×9 conv to 3; instance norm, reflection padding. ≈ 47 GMAC at 640×480.
realtime  The same idea at an eighth of the resolution inside: three stride-2 3×3 convs
          (16, 32, 64 channels), 4 residual blocks at 1/8 size, three nearest-upsample 3×3
          convs back to full size. ≈ 2.4 GMAC at 640×480 (1/19 of quality), for the live
          webcam; trained by distilling the quality network plus the perceptual losses.

Both take `styles=N` for one network that paints N styles: every instance norm then takes its
scale and shift from a bank of N rows (conditional instance normalization, Dumoulin, Shlens and
Kudlur 2017), mixed by a weight vector — one row is one style, a blend of rows a blend of styles.

`macs(model, h, w)` counts multiply-accumulates of the convolutions (what dominates).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def reflection_pad(x, p):
    """The same tensor as nn.ReflectionPad2d(p)(x), built from slices: in training (bf16, batch
    of 4 at 192²) ATen's reflection_pad2d and its backward took 29% of a step, this 3%
    (a step 1.8 s → 1.45 s). Export keeps the module, so the ONNX file has one Pad (reflect)."""
    x = torch.cat([x[:, :, 1:p + 1].flip(2), x, x[:, :, -p - 1:-1].flip(2)], 2)
    return torch.cat([x[:, :, :, 1:p + 1].flip(3), x, x[:, :, :, -p - 1:-1].flip(3)], 3)


class ConvLayer(nn.Module):
    """Reflection padding then a convolution (no border artefacts from zero padding)."""

    def __init__(self, c_in, c_out, kernel, stride=1):
        super().__init__()
        self.pad = nn.ReflectionPad2d(kernel // 2)
        self.conv = nn.Conv2d(c_in, c_out, kernel, stride)

    def forward(self, x):
        if torch.onnx.is_in_onnx_export() or torch.jit.is_tracing():
            return self.conv(self.pad(x))
        return self.conv(reflection_pad(x, self.pad.padding[0]))


class UpsampleConvLayer(nn.Module):
    """Nearest-neighbour ×2, then a convolution: no checkerboard, unlike a transposed conv."""

    def __init__(self, c_in, c_out, kernel):
        super().__init__()
        self.conv = ConvLayer(c_in, c_out, kernel)

    def forward(self, x):
        return self.conv(F.interpolate(x, mode="nearest", scale_factor=2))


class ResidualBlock(nn.Module):
    def __init__(self, channels, styles=0):
        super().__init__()
        self.conv1, self.in1 = ConvLayer(channels, channels, 3), _norm(channels, styles)
        self.conv2, self.in2 = ConvLayer(channels, channels, 3), _norm(channels, styles)

    def forward(self, x):
        y = F.relu(self.in1(self.conv1(x)))
        return x + self.in2(self.conv2(y))


class ConditionalInstanceNorm(nn.Module):
    """Instance norm with scale and shift mixed from a bank: `weight`, `bias` are styles×channels.
    The mix is set on the module before a forward pass (`set_mix`): a 1-D tensor of style
    weights, or a row index in training (then no mixing is computed). Exported as a Mul and a
    ReduceSum of the bank feeding InstanceNormalization's scale and bias, which a runtime that
    knows the mix in advance folds into constants."""

    def __init__(self, channels, styles):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(styles, channels))
        self.bias = nn.Parameter(torch.zeros(styles, channels))
        self.mix = 0

    def forward(self, x):
        if isinstance(self.mix, int):
            scale, shift = self.weight[self.mix], self.bias[self.mix]
        else:
            m = self.mix.reshape(-1, 1)
            scale, shift = (m * self.weight).sum(0), (m * self.bias).sum(0)
        return F.instance_norm(x, weight=scale, bias=shift, eps=1e-5)


def _norm(channels, styles):
    return ConditionalInstanceNorm(channels, styles) if styles else nn.InstanceNorm2d(channels, affine=True)


def _block(layer, channels, styles=0):
    return nn.Sequential(layer, _norm(channels, styles), nn.ReLU())


def set_mix(model, mix):
    """Chooses what every conditional norm of `model` paints: a row index or a weight vector."""
    for m in model.modules():
        if isinstance(m, ConditionalInstanceNorm):
            m.mix = mix


def bank_from_plain(bank, plain):
    """`bank`'s convolutions from `plain`'s (the same variant without a bank), and every row of
    its norms from `plain`'s norms: each row then paints what `plain` paints."""
    state = bank.state_dict()
    for key, value in plain.state_dict().items():
        state[key] = value.expand_as(state[key]).clone() if state[key].dim() == 2 else value
    bank.load_state_dict(state)


class Mixed(nn.Module):
    """For export: (image, style_weights) → image, the weights a 1-D tensor over the bank's rows."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x, style_weights):
        set_mix(self.net, style_weights)
        return self.net(x)


class TransformerNet(nn.Module):
    """The quality network."""

    def __init__(self, widths=(32, 64, 128), blocks=5, styles=0):
        super().__init__()
        c1, c2, c3 = widths
        self.encode = nn.Sequential(_block(ConvLayer(3, c1, 9), c1, styles),
                                    _block(ConvLayer(c1, c2, 3, 2), c2, styles),
                                    _block(ConvLayer(c2, c3, 3, 2), c3, styles))
        self.residual = nn.Sequential(*[ResidualBlock(c3, styles) for _ in range(blocks)])
        self.decode = nn.Sequential(_block(UpsampleConvLayer(c3, c2, 3), c2, styles),
                                    _block(UpsampleConvLayer(c2, c1, 3), c1, styles),
                                    ConvLayer(c1, 3, 9))

    def forward(self, x):
        return self.decode(self.residual(self.encode(x)))


class RealtimeNet(nn.Module):
    """The realtime network: works at 1/8 resolution inside. Inputs should be multiples of 8."""

    def __init__(self, widths=(16, 32, 64), blocks=4, styles=0):
        super().__init__()
        c1, c2, c3 = widths
        self.encode = nn.Sequential(_block(ConvLayer(3, c1, 3, 2), c1, styles),
                                    _block(ConvLayer(c1, c2, 3, 2), c2, styles),
                                    _block(ConvLayer(c2, c3, 3, 2), c3, styles))
        self.residual = nn.Sequential(*[ResidualBlock(c3, styles) for _ in range(blocks)])
        self.decode = nn.Sequential(_block(UpsampleConvLayer(c3, c2, 3), c2, styles),
                                    _block(UpsampleConvLayer(c2, c1, 3), c1, styles),
                                    UpsampleConvLayer(c1, 3, 3))

    def forward(self, x):
        return self.decode(self.residual(self.encode(x)))


VARIANTS = {"quality": TransformerNet, "realtime": RealtimeNet}
# Input sides must be multiples of this for the output to match the input size.
SIZE_MULTIPLE = {"quality": 4, "realtime": 8}


def macs(model, height, width):
    """Multiply-accumulates of every convolution for one height×width image."""
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        k = module.kernel_size[0] * module.kernel_size[1] * module.in_channels // module.groups
        total += k * output.shape[1] * output.shape[2] * output.shape[3]

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        model(torch.zeros(1, 3, height, width))
    for h in handles:
        h.remove()
    return total


if __name__ == "__main__":
    for name, cls in VARIANTS.items():
        m = cls()
        n = sum(p.numel() for p in m.parameters())
        print(f"{name}: {macs(m, 480, 640) / 1e9:.2f} GMAC at 640×480, {n / 1e6:.2f} M parameters")

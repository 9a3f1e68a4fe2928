"""Tests for the style networks in models.py (needs torch and onnx: run with the training venv,
`.venv-train/bin/python Training/test_models.py`, or under pytest)."""
import io
import sys
from pathlib import Path

import torch
import torch.nn as nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import models  # noqa: E402


def test_reflection_pad_matches_the_module_values_and_gradients():
    torch.manual_seed(0)
    for p, shape in ((1, (2, 3, 5, 7)), (4, (1, 8, 9, 12)), (1, (1, 2, 2, 2))):
        x = torch.randn(shape, requires_grad=True)
        ours = models.reflection_pad(x, p)
        ref = nn.ReflectionPad2d(p)(x)
        assert torch.equal(ours, ref), f"values differ for p={p}, shape={shape}"
        g = torch.randn_like(ref)
        (grad_ours,) = torch.autograd.grad(ours, x, g)
        (grad_ref,) = torch.autograd.grad(ref, x, g)
        assert torch.allclose(grad_ours, grad_ref, atol=1e-6), f"gradients differ for p={p}"


def test_export_keeps_one_reflect_pad_per_convolution():
    import onnx
    for name, cls in models.VARIANTS.items():
        net = cls().eval()
        convs = sum(isinstance(m, models.ConvLayer) for m in net.modules())
        buffer = io.BytesIO()
        torch.onnx.export(net, (torch.zeros(1, 3, 64, 64),), buffer, dynamo=False, opset_version=17,
                          input_names=["input"], output_names=["output"])
        graph = onnx.load_from_string(buffer.getvalue()).graph
        pads = [n for n in graph.node if n.op_type == "Pad"]
        modes = {a.s.decode() for n in pads for a in n.attribute if a.name == "mode"}
        assert len(pads) == convs, f"{name}: {len(pads)} Pad nodes for {convs} convolutions"
        assert modes == {"reflect"}, f"{name}: pad modes {modes}"
        assert not any(n.op_type in ("Flip", "ReverseSequence") for n in graph.node)


def test_the_same_output_in_training_and_export_paths():
    torch.manual_seed(1)
    net = models.TransformerNet().eval()
    x = torch.rand(1, 3, 32, 40) * 255
    with torch.no_grad():
        slices = net(x)
        module = torch.jit.trace(net, x)(x)   # tracing takes the nn.ReflectionPad2d path
    assert torch.allclose(slices, module, atol=1e-3), float((slices - module).abs().max())


def test_a_bank_row_is_its_one_hot_mix_and_a_mix_blends_the_norms():
    torch.manual_seed(2)
    net = models.TransformerNet(widths=(4, 8, 8), blocks=1, styles=3).eval()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, models.ConditionalInstanceNorm):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_()
    x = torch.rand(1, 3, 24, 20) * 255
    with torch.no_grad():
        models.set_mix(net, 1)
        row = net(x)
        models.set_mix(net, torch.tensor([0.0, 1.0, 0.0]))
        assert torch.allclose(net(x), row, atol=1e-4)
        # A mix is the network whose norms have the mixed scale and shift.
        mix = torch.tensor([0.2, 0.5, 0.3])
        models.set_mix(net, mix)
        mixed = net(x)
        plain = models.TransformerNet(widths=(4, 8, 8), blocks=1).eval()
        state = {k: (mix @ v if v.dim() == 2 else v) for k, v in net.state_dict().items()}
        plain.load_state_dict(state)
        assert torch.allclose(plain(x), mixed, atol=1e-3), float((plain(x) - mixed).abs().max())


def test_an_exported_bank_takes_the_mix_as_an_input_and_matches_onnx_runtime():
    import onnxruntime as ort
    torch.manual_seed(3)
    net = models.RealtimeNet(styles=4).eval()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, models.ConditionalInstanceNorm):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_()
    buffer = io.BytesIO()
    torch.onnx.export(models.Mixed(net), (torch.zeros(1, 3, 32, 32), torch.eye(4)[0]), buffer, dynamo=False,
                      opset_version=17, input_names=["input", "style_weights"], output_names=["output"],
                      dynamic_axes={"input": {2: "height", 3: "width"}})
    session = ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    x = torch.rand(1, 3, 40, 56) * 255
    for mix in (torch.eye(4)[2], torch.tensor([0.25, 0.25, 0.5, 0.0]), torch.tensor([0.0, 0.6, 0.0, 0.4])):
        with torch.no_grad():
            models.set_mix(net, mix)
            ref = net(x).numpy()
        ours = session.run(None, {"input": x.numpy(), "style_weights": mix.numpy()})[0]
        assert abs(ours - ref).max() / max(ref.max() - ref.min(), 1e-6) < 1e-5


def test_realtime_stays_within_its_budget():
    assert models.macs(models.RealtimeNet(), 480, 640) <= 2.5e9
    assert models.macs(models.TransformerNet(), 480, 640) > 18 * 2.5e9 * 0.9


def test_a_bank_started_from_a_plain_network_paints_what_it_paints_on_every_row():
    torch.manual_seed(3)
    x = torch.rand(1, 3, 32, 48) * 255
    for cls in models.VARIANTS.values():
        plain = cls().eval()
        with torch.no_grad():   # norms away from their initial 1 / 0, so that a missed row shows
            for m in plain.modules():
                if isinstance(m, nn.InstanceNorm2d):
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.5, 0.5)
        bank = cls(styles=3).eval()
        models.bank_from_plain(bank, plain)
        with torch.no_grad():
            expected = plain(x)
            for row in range(3):
                models.set_mix(bank, row)
                assert torch.allclose(bank(x), expected, atol=1e-3), f"{cls.__name__} row {row}"
            models.set_mix(bank, torch.tensor([0.2, 0.5, 0.3]))
            assert torch.allclose(bank(x), expected, atol=1e-3), f"{cls.__name__} mixed"


if __name__ == "__main__":
    import run_tests
    run_tests.run(globals())

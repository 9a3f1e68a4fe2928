#!/usr/bin/env python3
"""The style bank against today's networks and the Magenta peer, in one table (issue 17).

  python Training/compare_bank.py [--bank Presets/bank | --checkpoint DIR/quality.pt] [--styles a,b]
                                  [--strengths 0.3,0.6,1] [--peers .work/peers] [--variant realtime]

Per painting, on the held-out photos at 384 px: the photo itself, today's plain quality network
(Presets/NAME/quality.onnx), the Magenta arbitrary-style peer (int8 `arbitrary_predict` +
`arbitrary_transform` from Tools/parity/fetch_peers.sh, run in ONNX Runtime at its 384×384 and
resized back; skipped when not fetched), and the bank at each strength as Stylize maps it
(photo → the painting's row at its default strength → its bold row at 1, `BankLook.weights`).
Columns: style loss at 384 px (fine texture, what the networks train on), at 192 px (output
average-pooled 2×, painting at 192: the large structures), content loss, warping error on
evaluate.py's synthetic-motion clips, and the ratios to the plain network.
"""
import argparse
import glob
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bank_look  # noqa: E402
import evaluate  # noqa: E402
import models  # noqa: E402
import train  # noqa: E402
import train_bank  # noqa: E402
import vgg  # noqa: E402

DEFAULT_STRENGTH = train_bank.DEFAULT_STRENGTH


def row_weights(rows, name, strength, default=DEFAULT_STRENGTH):
    """The bank's weights for painting `name` at `strength`, as Stylize's BankLook.weights."""
    bold = f"{name}:bold" if f"{name}:bold" in rows else None
    return torch.tensor(bank_look.weights(rows, train_bank.PHOTO_ROW, name, bold, default, strength))


def magenta(peers):
    """paint(x) with the Magenta arbitrary-style peer for a painting, or None when not fetched."""
    predict, transform = (os.path.join(peers, f) for f in ("arbitrary_predict.onnx", "arbitrary_transform.onnx"))
    if not (os.path.exists(predict) and os.path.exists(transform)):
        return None
    import onnxruntime as ort
    p, t = (ort.InferenceSession(f, providers=["CPUExecutionProvider"]) for f in (predict, transform))

    def for_painting(path):
        style = train.load_rgb(path).unsqueeze(0).float()
        style = F.interpolate(style, size=(256, 256), mode="bilinear", antialias=True, align_corners=False)
        vector = p.run(None, {p.get_inputs()[0].name: (style / 255).permute(0, 2, 3, 1).numpy()})[0]

        def paint(x):
            h, w = x.shape[2:]
            content = F.interpolate(x, size=(384, 384), mode="bilinear", antialias=True, align_corners=False)
            feeds = {t.get_inputs()[0].name: (content / 255).permute(0, 2, 3, 1).numpy().astype(np.float32),
                     t.get_inputs()[1].name: vector}
            y = torch.from_numpy(t.run(None, feeds)[0]).permute(0, 3, 1, 2) * 255
            return F.interpolate(y, size=(h, w), mode="bilinear", antialias=True, align_corners=False)
        return paint
    return for_painting


def table(net, rows, styles, painting_files, test_photos, loss_net, strengths=(0.3, DEFAULT_STRENGTH, 1.0),
          peers=None, extra_arms=(), variant="quality"):
    """Prints the table; `extra_arms` are (label, weights-for-painting function) rows of the bank;
    `variant`: which of each painting's plain networks the bank (a bank of that variant) is held to."""
    photos = evaluate.held_out_photos(test_photos)
    clips = [evaluate.motion_clip(train.load_rgb(p).unsqueeze(0).float(), seed=i)
             for i, p in enumerate(sorted(glob.glob(os.path.join(test_photos, "*.jpg"))))]
    net = net.float().eval()
    peer = magenta(peers) if peers else None
    print("| painting | network | style at 384 px | style at 192 px | content | warping error "
          "| 384 ÷ plain | 192 ÷ plain | warping ÷ plain |")
    print("|---|---|---|---|---|---|---|---|---|", flush=True)

    def bank(mix):
        def paint(x):
            models.set_mix(net, mix)
            return net(x)
        return paint

    for name in styles:
        plain_path = os.path.join(train.REPO, "Presets", name, f"{variant}.onnx")
        arms = [("the photo", lambda x: x)]
        if os.path.exists(plain_path):
            arms.append((f"plain {variant} (shipped)", train.load_network(plain_path, variant).eval()))
        if peer:
            arms.append(("Magenta arbitrary (int8 peer)", peer(painting_files[name])))
        arms += [(f"bank at strength {s:g}", bank(row_weights(rows, name, s))) for s in strengths]
        arms += [(label, bank(weights(name))) for label, weights in extra_arms]
        plain = None
        for label, paint in arms:
            fine, coarse, content = evaluate.scale_losses(paint, painting_files[name], photos, loss_net)
            with torch.no_grad():
                warping = sum(evaluate.warping_error(torch.cat([paint(f.unsqueeze(0)) for f in frames]), pairs)
                              for frames, pairs in clips) / len(clips)
            if label.startswith("plain"):
                plain = (fine, coarse, warping)
            ratios = " | ".join(f"{v / p:.2f}" for v, p in zip((fine, coarse, warping), plain)) if plain else "— | — | —"
            print(f"| {name} | {label} | {fine:.4g} | {coarse:.4g} | {content:.4g} | {warping:.6f} | {ratios} |",
                  flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bank", default=os.path.join(train.REPO, "Presets", "bank"), help="an exported bank folder")
    p.add_argument("--checkpoint", help="instead: a quality bank state dict (quality.pt) and its bank.json's rows")
    p.add_argument("--rows", help="with --checkpoint: the bank.json that lists its rows")
    p.add_argument("--styles", help="paintings (default: every painting row)")
    p.add_argument("--strengths", default="0.3,0.6,1")
    p.add_argument("--peers", default=os.path.join(train.REPO, ".work", "peers"))
    p.add_argument("--test-photos", default=os.path.join(train.DATA, "photos", "test"))
    p.add_argument("--variant", choices=models.VARIANTS, default="quality",
                   help="the bank's network to measure, against each painting's plain one of that variant")
    args = p.parse_args()
    torch.set_num_threads(2)
    if args.checkpoint:
        rows = json.load(open(args.rows))["rows"]
        net = models.TransformerNet(styles=len(rows))
        net.load_state_dict(torch.load(args.checkpoint))
    else:
        import learn_style
        rows, net = learn_style.load_bank(args.bank, args.variant)
    styles = args.styles.split(",") if args.styles else [r for r in rows if r != train_bank.PHOTO_ROW and ":" not in r]
    loss_net = vgg.VGG16Features(os.path.join(train.DATA, "vgg"))
    table(net, rows, styles, train_bank.style_paths(styles), args.test_photos, loss_net,
          tuple(float(s) for s in args.strengths.split(",")), args.peers, variant=args.variant)


if __name__ == "__main__":
    main()

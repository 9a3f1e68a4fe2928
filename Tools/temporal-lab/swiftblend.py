#!/usr/bin/env python3
"""A Python model of Stylize's TemporalBlender and TemporalLink (Sources/Pipeline/Temporal/), with
each of its parts switchable, to find which part costs what on the development set:

  .venv-bench/bin/python Tools/temporal-lab/swiftblend.py CUT.mp4 PERFRAME.mp4 OUT.mp4 [--flow stylize]
        [--stability 0.85] [--no-boundaries] [--input-change K|none] [--steady-share F]
        [--contrast-radius R] [--confinement C] [--residual LOW,HIGH|none]
        [--detail-share F [--band-radius R]] [--fine-radius R [--fine-max-gain G]]

--detail-share F carries the history's fine detail (what a box blur of radius --band-radius
removes) with F times the weight of its coarse part: strokes then come more from the new frame,
while the coarse colour and light stay steady. 1 = as built.

--fine-radius R gives the detail finer than a box blur of radius R its own variance-preserving
gain after the window's (the blender's fine gain until 2026-12-06, when one gain per band replaced
it; this model keeps the earlier blender); 0 = one gain for the whole window.

Flows are cached beside OUT (FLOWS.npz) so a sweep pays for them once.
"""
import argparse
import os
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Benchmarks"))
import flicker_judge as judge  # noqa: E402
from blend import moments  # noqa: E402
from track import (add_flow_options, box, chosen_flow, local_brightness, moving_points, remap,  # noqa: E402
                   residual, write_video)


def flows(frames, args, cache):
    """Both flows between consecutive frames, by `args.flow`; kept in `cache` (.npz) for the next run."""
    if os.path.exists(cache):
        z = np.load(cache)
        return list(z["back"]), list(z["fwd"])
    f = chosen_flow(args)
    luma = [cv2.cvtColor(x, cv2.COLOR_RGB2YCrCb)[..., 0].astype(np.float32) for x in frames]
    back = [f(luma[t], luma[t - 1]) for t in range(1, len(frames))]
    fwd = [f(luma[t - 1], luma[t]) for t in range(1, len(frames))]
    np.savez(cache, back=np.stack(back), fwd=np.stack(fwd))
    return back, fwd


def link(prev, cur, back, fwd, a):
    """TemporalLink: sample positions, confidence, brightness change, input change."""
    px, py, hard = moving_points(back, fwd)
    if a.boundaries:
        du, dv = np.gradient(back[..., 0]), np.gradient(back[..., 1])
        hard &= ~(du[0] ** 2 + du[1] ** 2 + dv[0] ** 2 + dv[1] ** 2 > 0.01 * (back ** 2).sum(-1) + 0.03)
    hard = hard.astype(np.float32)
    conf = np.clip(hard * box(hard, 2), 0, 1)
    ycc_t = cv2.cvtColor(cur, cv2.COLOR_RGB2YCrCb).astype(np.float32)
    ycc_p = remap(cv2.cvtColor(prev, cv2.COLOR_RGB2YCrCb).astype(np.float32), px, py, cv2.INTER_LINEAR)
    d = ycc_t - ycc_p
    glob = (d[..., 0] * hard).sum() / max(hard.sum(), 1)
    delta = local_brightness(d[..., 0], hard, 4, glob).astype(np.float32)
    if a.residual:
        low, high = a.residual
        conf = conf * np.clip((high - residual(d, delta, 1)) / (high - low), 0, 1)
    rgb_d = cur.astype(np.float32) - remap(prev.astype(np.float32), px, py, cv2.INTER_LINEAR)
    change = box((rgb_d ** 2).sum(-1), 4)
    return px, py, conf.astype(np.float32), delta, change


def blend(frames, pictures, back, fwd, a):
    painted = [p.astype(np.float32) for p in pictures]
    out = [painted[0]]
    for t in range(1, len(frames)):
        px, py, c, delta, change = link(frames[t - 1], frames[t], back[t - 1], fwd[t - 1], a)
        p = painted[t]
        carried = remap(out[-1], px, py) + delta[..., None]
        wgt = c * a.stability
        if a.input_change is not None:
            before = remap(painted[t - 1], px, py, cv2.INTER_LINEAR)
            es = box(((p - before) ** 2).sum(-1), 4)
            unexplained = np.maximum(es - a.input_change * change, 0) / (es + 1)
            wgt = wgt * (a.steady_share + (1 - a.steady_share) * unexplained)
        diff = carried - p
        if a.detail_share != 1:
            coarse = box(diff, a.band_radius)
            fine_wgt = wgt * a.detail_share
            mixed = p + wgt[..., None] * coarse + fine_wgt[..., None] * (diff - coarse)
            wgt = fine_wgt   # the fine band's mix sets the contrast the blend takes away
        else:
            mixed = p + wgt[..., None] * diff
        r = a.contrast_radius
        if r > 0:
            target = (1 - wgt)[..., None] * moments(p, r)[1] + wgt[..., None] * moments(carried, r)[1]
            mean, var = moments(mixed, r)
            full = np.clip(np.sqrt((target + 1) / (var + 1)), 1, 2)
            share = np.clip(1 - (1 - box(c, r)) * a.confinement, 0, 1)[..., None] if a.confinement else 1
            mixed = mean + (1 + (full - 1) * share) * (mixed - mean)
            if a.fine_radius:
                # The same variance-preserving gain on the band finer than --fine-radius alone,
                # whose energy the averaging of two brushings takes most of.
                f = a.fine_radius
                def fine(x):
                    return x - box(x, f)
                # Energies as TemporalBlender.fineEnergy measures them: the local mean of the band's square.
                target = (1 - wgt)[..., None] * box(fine(p) ** 2, r) + wgt[..., None] * box(fine(carried) ** 2, r)
                band = fine(mixed)
                var = box(band * band, r)
                full = np.clip(np.sqrt((target + 1) / (var + 1)), 1, a.fine_max_gain)
                mixed = (mixed - band) + (1 + (full - 1) * share) * band
        out.append(np.clip(mixed, 0, 255))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("cut"); p.add_argument("perframe"); p.add_argument("out")
    add_flow_options(p, default="stylize")
    p.add_argument("--stability", type=float, default=0.85)
    p.add_argument("--no-boundaries", dest="boundaries", action="store_false")
    p.add_argument("--input-change", default="0.2", help="k, or none")
    p.add_argument("--steady-share", type=float, default=0.3)
    p.add_argument("--contrast-radius", type=int, default=6)
    p.add_argument("--confinement", type=float, default=4, help="0: the gain everywhere")
    p.add_argument("--residual", default="10,30", help="LOW,HIGH or none")
    p.add_argument("--detail-share", type=float, default=1)
    p.add_argument("--band-radius", type=int, default=4)
    p.add_argument("--fine-radius", type=int, default=0, help="also keep the variance of the band finer than this")
    p.add_argument("--fine-max-gain", type=float, default=2)
    a = p.parse_args()
    a.input_change = None if a.input_change == "none" else float(a.input_change)
    a.residual = None if a.residual == "none" else tuple(float(v) for v in a.residual.split(","))
    size = judge.probe_size(a.cut)
    frames, pictures = judge.decode(a.cut, size), judge.decode(a.perframe, size)
    cache = os.path.join(os.path.dirname(os.path.abspath(a.out)),
                         os.path.basename(a.cut).rsplit(".", 1)[0] + f"-{a.flow}.npz")
    back, fwd = flows(frames, a, cache)
    write_video(a.out, blend(frames, pictures, back, fwd, a))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Self-check of Benchmarks/flicker_judge.py on synthetic sequences whose answer is known:

- a static textured scene: the flow is zero, the mask covers the frame, warping error ~0;
- the same texture translating by an exact integer shift per frame, "stylized" by the identity:
  DIS must find the shift, and warping the previous frame along it must reproduce this one, so
  the error stays ~0 (this is what makes the input's own error a floor: flow and interpolation
  error only); the strip that enters the frame has no source and must be masked out;
- independent per-frame noise (σ) added to that output, judged with the clean input's flows:
  the error rises to about 2σ² (the variance of a difference of two independent noises);
- a crisp texture moving by half a pixel a frame, carried exactly: the bicubic warp of the
  judge leaves it near the floor, while Lai et al.'s bilinear warp charges it as flicker (why the
  judge warps bicubically);
- a clip rendered by Benchmarks/devset/synth.py (a photo-like texture under a handheld sway
  with roll, no noise), judged along its exact motion (flicker_judge.exact_flows): the identity
  scores ~0 (only the bicubic warp's own error is left), so the rendering and the exact flow
  agree; the same clip with synth.py's camera noise scores about 2σ² of that noise;
- a clip with objects moving on their own (synth.py --objects): along their exact motion the
  identity scores ~0 on them too, and judged along the camera's motion alone it does not;
- the second referee (Farnebäck's flow, flicker.sh's "closed-fb") finds the same translation,
  and scores the identity near zero and noise far above it;
- the helpers: gap closed (None where per-frame is not above the floor), the gradient
  ratio's measure (identical → same value, blurred → lower), and `compare` of two runs (only the
  clips both judged; geometric mean of the errors' ratios, mean change of the shares, marks met).

  .venv-bench/bin/python Benchmarks/test_flicker_judge.py     (Benchmarks/setup-venv.sh --no-torch)
"""
import json
import os
import sys
import tempfile
import unittest

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "devset"))
import flicker_judge as judge  # noqa: E402
import synth  # noqa: E402

H, W, SHIFT, N = 120, 160, 3, 6


def texture(h, w, seed=0):
    """Smooth random RGB texture (uint8): DIS needs structure at several scales, and a blurred
    texture keeps bilinear interpolation error small."""
    rng = np.random.default_rng(seed)
    t = rng.random((h, w, 3)).astype(np.float32)
    t = cv2.GaussianBlur(t, (0, 0), 2.0)
    t = (t - t.min()) / (t.max() - t.min())
    return (t * 255 + 0.5).astype(np.uint8)


def translating(n=N, shift=SHIFT):
    """n crops of a larger texture, moving `shift` px left per frame: content moves right→left
    across the view, i.e. frame t(x) = frame t−1(x + shift)."""
    big = texture(H, W + shift * n, seed=1)
    return np.stack([big[:, shift * t:shift * t + W] for t in range(n)])


class FlickerJudgeTests(unittest.TestCase):
    def test_static_scene_scores_zero(self):
        frames = np.stack([texture(H, W)] * N)
        flows = judge.flows_and_masks(frames)
        self.assertEqual(len(flows), N - 1)
        for back, mask in flows:
            self.assertLess(np.abs(back).max(), 0.05)
            self.assertGreater(mask.mean(), 0.99)
        self.assertLess(judge.warping_error(frames, flows), 1e-7)

    def test_integer_translation_identity_scores_near_zero(self):
        frames = translating()
        flows = judge.flows_and_masks(frames)
        for back, mask in flows:
            inside = mask > 0
            # Flow t → t−1 points SHIFT px right (where this pixel was in the previous frame).
            self.assertAlmostEqual(float(np.median(back[..., 0][inside])), SHIFT, delta=0.05)
            self.assertAlmostEqual(float(np.median(back[..., 1][inside])), 0, delta=0.05)
            # The right SHIFT columns came from outside frame t−1: no source, masked out.
            self.assertEqual(float(mask[:, W - SHIFT + 1:].max()), 0.0)
            self.assertGreater(mask.mean(), 0.8)
        self.assertLess(judge.warping_error(frames, flows), 1e-5)

    def test_the_second_referee_finds_the_translation_too(self):
        frames = translating()
        flows = judge.flows_and_masks(frames, judge.farneback)
        for back, mask in flows:
            inside = mask > 0
            self.assertAlmostEqual(float(np.median(back[..., 0][inside])), SHIFT, delta=0.1)
            self.assertAlmostEqual(float(np.median(back[..., 1][inside])), 0, delta=0.1)
            self.assertGreater(mask.mean(), 0.6)
        clean = judge.warping_error(frames, flows)
        self.assertLess(clean, 1e-4)
        rng = np.random.default_rng(4)
        noisy = frames.astype(np.float32) / 255 + rng.normal(0, 0.03, frames.shape).astype(np.float32)
        self.assertGreater(judge.warping_error(noisy, flows), 10 * clean)

    def test_independent_noise_raises_the_error_to_about_two_sigma_squared(self):
        frames = translating()
        flows = judge.flows_and_masks(frames)      # judged with the clean input's flows
        clean = judge.warping_error(frames, flows)
        sigma = 0.03
        rng = np.random.default_rng(2)
        noisy = frames.astype(np.float32) / 255 + rng.normal(0, sigma, frames.shape).astype(np.float32)
        err = judge.warping_error(noisy, flows)
        self.assertGreater(err, 20 * clean)
        # Bilinear warping at a near-integer flow barely averages the noise: ≈ 2σ².
        self.assertGreater(err, 1.6 * sigma ** 2)
        self.assertLess(err, 2.4 * sigma ** 2)

    def test_a_crisp_texture_carried_exactly_is_not_charged_as_flicker(self):
        # Detail about a pixel fine, moving 0.5 px per frame: made at twice the size and moved
        # 1 px there, then halved, so every frame is exact.
        big = texture(2 * H, 2 * W + N, seed=3)
        frames = np.stack([cv2.resize(big[:, t:t + 2 * W], (W, H), interpolation=cv2.INTER_AREA) for t in range(N)])
        flows = judge.flows_and_masks(frames)
        cubic = judge.warping_error(frames, flows)
        bilinear = judge.warping_error(frames, flows, cv2.INTER_LINEAR)
        noise = frames.astype(np.float32) / 255 + np.random.default_rng(5).normal(0, 0.03, frames.shape).astype(np.float32)
        flicker = judge.warping_error(noise, flows)
        print(f"carried crisp texture: cubic {cubic:.2e}, bilinear {bilinear:.2e}; with σ 0.03 flicker {flicker:.2e}")
        self.assertLess(cubic, bilinear / 3)
        self.assertLess(cubic, flicker / 4)

    def exact(self, hom, n, size=(synth.W, synth.H), extra=None):
        """The judge's exact flows of homographies (and synth.py's `extra`), through the file format synth.py writes."""
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "clip.flow.npz")
            np.savez(path, homographies=hom, size=np.array(size), **(extra or {}))
            return judge.exact_flows(path, n, size)

    def test_flakes_are_left_out_and_the_still_photo_behind_them_judged(self):
        n = 4
        photo = texture(700, 1100, seed=9)
        frames, hom, extra = synth.clip_frames(photo, "still", "none", n, particles="snow")
        self.assertGreater(float(extra["occluded"].mean()), 0.02)        # hundreds of flakes
        self.assertGreater(float(np.abs(frames[1:].astype(np.float32) - frames[:-1]).mean()), 0.3)  # falling
        flows = self.exact(hom, n, extra=extra)
        behind = judge.warping_error(frames, flows)
        everywhere = judge.warping_error(frames, [(back, np.ones_like(mask)) for back, mask in flows])
        print(f"still photo behind snow: {behind:.2e} behind the flakes, {everywhere:.2e} everywhere")
        self.assertLess(behind, 1e-7)        # a still photo without noise: the same pixels
        self.assertGreater(everywhere, 1e-4)
        self.assertLess(min(m.mean() for _, m in flows), 0.97)

    def test_objects_moving_on_their_own_are_judged_along_their_own_motion(self):
        n = 4
        photo = texture(700, 1100, seed=10)
        frames, hom, extra = synth.clip_frames(photo, "shake", "none", n, things=True)
        labels = extra["labels"]
        self.assertGreater(float(((labels > 0) & (labels < 255)).mean()), 0.05)   # a dozen objects
        flows = self.exact(hom, n, extra=extra)
        on_objects = [mask * ((lab > 0) & (lab < 255)) for (_, mask), lab in zip(flows, labels[1:])]
        self.assertGreater(min(float(m.mean()) for m in on_objects), 0.04)      # their pixels are judged
        identity = judge.warping_error(frames, flows)
        objects_only = judge.warping_error(frames, [(back, m) for (back, _), m in zip(flows, on_objects)])
        camera_only = self.exact(hom, n)        # the same clip judged as if the objects were painted on the photo
        wrong = judge.warping_error(frames, [(back, mask) for (back, _), (_, mask) in zip(camera_only, flows)])
        print(f"objects moving on their own: identity {identity:.2e} (on the objects {objects_only:.2e}), "
              f"along the camera's motion alone {wrong:.2e}")
        self.assertLess(identity, 3e-5)           # the objects' rendering and their exact flow agree
        self.assertLess(objects_only, 3e-5)
        self.assertGreater(wrong, 30 * identity)
        # An object's edge, and the photo it uncovers, are left out.
        self.assertLess(max(float(m.mean()) for _, m in flows), 0.95)

    def test_exact_flow_of_a_pan_is_the_pan(self):
        photo = texture(400, 700, seed=6)
        hom, _ = synth.homographies(synth.motion("pan", 4), photo.shape[1], photo.shape[0])
        for back, mask in self.exact(hom, 4):
            # The view moves 0.37 px right and 0.11 px down a frame: each pixel was there before.
            np.testing.assert_allclose(back[..., 0], 0.37, atol=1e-4)
            np.testing.assert_allclose(back[..., 1], 0.11, atol=1e-4)
            self.assertEqual(float(mask[:, -1].max()), 0.0)     # its source is past frame t−1's edge
            self.assertEqual(float(mask[:-1, :-1].min()), 1.0)

    def test_rendered_clip_with_exact_flow_scores_near_zero_for_the_identity(self):
        n = 8
        photo = texture(700, 1100, seed=7)
        clean, hom, _ = synth.clip_frames(photo, "shake", "none", n)
        noisy, _, _ = synth.clip_frames(photo, "shake", "camera", n)
        flows = self.exact(hom, n)
        self.assertGreater(min(m.mean() for _, m in flows), 0.9)
        identity = judge.warping_error(clean, flows)
        sigma = np.std(noisy.astype(np.float32) - clean) / 255      # the camera noise's own σ
        camera = judge.warping_error(noisy, flows)
        print(f"rendered clip along its exact flow: identity {identity:.2e}, with camera noise {camera:.2e} "
              f"(2σ² = {2 * sigma ** 2:.2e})")
        # What is left is the bicubic warp's own error on detail near a pixel (cf. the crisp
        # texture above), an order of magnitude under the mildest camera noise.
        self.assertLess(identity, 3e-5)
        self.assertLess(identity, camera / 8)
        self.assertGreater(camera, 1.5 * sigma ** 2)
        self.assertLess(camera, 2.5 * sigma ** 2)

    def test_a_finer_render_films_the_same_views_with_twice_the_motion(self):
        n = 4
        photo = texture(700, 1100, seed=8)
        small, _, _ = synth.clip_frames(photo, "pan", "none", n)
        large, hom2, _ = synth.clip_frames(photo, "pan", "none", n, scale=2)
        self.assertEqual(large.shape[1:3], (2 * synth.H, 2 * synth.W))
        # Box-averaged 2× down, the large frames are the small ones (both are area averages of the
        # same footprints, up to the rendering's cubic and rounding).
        down = np.stack([cv2.resize(f, (synth.W, synth.H), interpolation=cv2.INTER_AREA) for f in large])
        difference = np.abs(down.astype(np.float32) - small.astype(np.float32))[:, 4:-4, 4:-4]
        self.assertLess(float(difference.mean()), 1.0)
        # The same pan of 0.37 / 0.11 px of the small frame is 0.74 / 0.22 px of the large one.
        for back, _ in self.exact(hom2, n, size=(2 * synth.W, 2 * synth.H)):
            np.testing.assert_allclose(back[..., 0], 0.74, atol=1e-4)
            np.testing.assert_allclose(back[..., 1], 0.22, atol=1e-4)
        self.assertGreater(float(np.abs(large[1:].astype(np.float32) - large[:-1]).mean()), 0.5)  # it moves

    def test_textured_only_leaves_out_flat_input(self):
        frames = translating()
        frames[:, :, :W // 2] = 128                    # left half flat
        flows = judge.flows_and_masks(frames)
        narrowed = judge.textured_only(frames, flows)
        for (_, mask), (_, textured) in zip(flows, narrowed):
            self.assertEqual(float(textured[:, :W // 2 - 8].max()), 0.0)
            self.assertGreater(float(textured[:, W // 2 + 8:].mean()), 0.5 * float(mask[:, W // 2 + 8:].mean()))

    def test_gap_closed(self):
        self.assertAlmostEqual(judge.gap_closed(0.010, 0.004, 0.002), 0.75)
        self.assertIsNone(judge.gap_closed(0.002, 0.001, 0.003))   # per-frame below the floor
        self.assertIsNone(judge.gap_closed(0.002, 0.001, 0.002))

    def test_mean_gradient_drops_when_blurred(self):
        frames = translating()
        blurred = np.stack([cv2.GaussianBlur(f, (0, 0), 1.5) for f in frames])
        self.assertAlmostEqual(judge.mean_gradient(frames) / judge.mean_gradient(frames.copy()), 1.0)
        self.assertLess(judge.mean_gradient(blurred) / judge.mean_gradient(frames), 0.8)

    def test_compare_pairs_the_clips_both_runs_judged(self):
        def result(name, per_frame, temporal, closed, grad):
            return {"name": name, "per_frame": per_frame, "temporal": temporal, "gap_closed": closed,
                    "gap_closed_farneback": None, "gradient_ratio": grad, "style_change": 0.01}
        before = {"a": result("a", 0.004, 0.002, 0.78, 0.96), "b": result("b", 0.001, 0.0002, 0.90, 0.94),
                  "only-before": result("only-before", 1.0, 1.0, 0.0, 0.5)}
        after = {"a": result("a", 0.002, 0.002, 0.82, 0.96), "b": result("b", 0.004, 0.0002, 0.80, 0.96)}
        with tempfile.TemporaryDirectory() as folder:   # through the files, as flicker.sh leaves them
            for tag, run in (("before", before), ("after", after)):
                os.makedirs(os.path.join(folder, tag))
                for r in run.values():
                    with open(os.path.join(folder, tag, r["name"] + ".json"), "w") as f:
                        json.dump(r, f)
            rows, summary = judge.compare(judge.load_results(os.path.join(folder, "before")),
                                          judge.load_results(os.path.join(folder, "after")))
        self.assertEqual([name for name, _ in rows], ["a", "b"])
        self.assertEqual(rows[1][1]["gap_closed"], (0.90, 0.80))
        self.assertAlmostEqual(summary["per_frame"], 2 ** 0.5)  # ×½ and ×4: the geometric mean of the ratios
        self.assertAlmostEqual(summary["temporal"], 1.0)
        self.assertAlmostEqual(summary["gap_closed"], (0.04 - 0.10) / 2)
        self.assertAlmostEqual(summary["gradient_ratio"], 0.01)
        self.assertIsNone(summary["gap_closed_farneback"])     # neither run has the second referee
        self.assertEqual(summary["passes"], (0, 2, 2))         # a: gap 78% → 82%; b: gradient 0.94 → 0.96


if __name__ == "__main__":
    unittest.main(verbosity=2)

#!/usr/bin/env python3
"""Synthetic clips with EXACT motion, for a second opinion on Benchmarks/flicker.sh's judge.

The judge measures flicker along OpenCV's DIS flow of the input. That flow is not the truth: a
method that carries strokes exactly along its own (different) flow is graded by how well the two
flows agree. Here a real photo is filmed by a virtual camera whose motion is known exactly, so the
judge can use the true flow instead (flicker_judge.py --flow).

  synth.py PHOTO --motion pan|shake|zoom|rotate|still [--noise camera|none] [--particles snow|marine|rain]
           [--objects] [--scale N] --out CLIP.mkv

writes CLIP.mkv (lossless RGB H.264, FRAMES frames of W×H at 30 fps; N·W × N·H with --scale N:
the same views of the photo, the same camera motion, drawn with N× the pixels — what a camera
with a finer sensor films) and CLIP.flow.npz with
`homographies` (FRAMES×3×3, frame pixel → photo pixel, pixel centres at integers, as OpenCV's
warps and remap use them) and `size` (w, h). The true flow t → t−1 of frame t's pixel x is then
H_{t−1}⁻¹ H_t x − x (flicker_judge.exact_flows); no pixel of the photo is ever occluded, since
it is flat and larger than every view of it.

Particles ("snow"): hundreds of small, fast flakes falling in front of the photo (drawn in frame
coordinates, anti-aliased, nearer ones larger, faster and stretched by their motion) — what breaks
optical flow in rain, snow, dust or water. They are the part of the frame the photo's motion does
not explain, so `occluded` (N×h×w, uint8) in CLIP.flow.npz marks, per frame, where a flake covers
the photo (one pixel wider); the judge leaves those pixels out of frame t and of its source in
t−1, and measures how steady the picture *behind* the flakes stays.

Particles ("marine"): a couple of hundred motes suspended in water in front of the photo — soft
Gaussian spots, faint (15–55% cover), from under a pixel to five across, the nearer larger and
more out of focus, drifting slowly in every direction (0.3–1.5 px a frame) — a diver's footage
rather than a snowfall; `occluded` marks where they cover more than 1% (one pixel wider), as above.
Particles ("rain"): a few hundred thin, faint streaks (15–45% cover, 6–28 px long) falling fast
(12–30 px a frame) and slanted alike by the wind.

Objects (`--objects`): fourteen balls and blocks moving on their own in front of the photo, each
rigidly (`Things`), so that their flow is exact as well: CLIP.flow.npz then holds `labels` (which
object each pixel shows wholly, per frame) and `shifts` (how far each moved since the frame before).

Rendering, so that the frames are accurate: each frame is drawn at K× its size through the
homography (INTER_CUBIC, with K ≥ photo pixels per frame pixel, so the cubic only ever enlarges
or keeps the photo's scale and never aliases), then box-averaged K×K down (INTER_AREA with an
integer factor). The K×K block of frame pixel x is centred on x in frame coordinates, so the box
is the pixel's own footprint and it moves with the motion: no resampling of a resampled frame.

Noise ("camera"): independent per frame and channel, Poisson–Gaussian in linear light (shot
noise grows with the signal, read noise sets a floor, so the shadows are noisiest in sRGB), about
2.6/255 on mid-grey and 4/255 in dark areas — a phone at moderate ISO. Seeded: a re-run makes
the same clip.
"""
import argparse
import colorsys
import math
import subprocess

import cv2
import numpy as np

W, H, FRAMES, FPS = 480, 270, 60, 30
MARGIN = 4            # photo pixels kept free around every view: the cubic kernel's reach and then some
SHOT, READ = 4e-4, 1e-5   # noise variance = SHOT · linear signal + READ (0…1 linear light)


# --- motions ----------------------------------------------------------------------------------
# Each returns, per frame, a 3×3 map from frame pixels to "view" coordinates: the photo's centre is
# the origin and one unit is one frame pixel of the first frame. render() scales that onto the photo.

def centred(angle_deg=0.0, zoom=1.0, dx=0.0, dy=0.0, w=W, h=H):
    """Frame pixel → view: about the frame centre, rotate by angle, magnify by zoom (zoom > 1
    shows less of the photo), then shift the view by (dx, dy) view units."""
    a = math.radians(angle_deg)
    c, s = math.cos(a) / zoom, math.sin(a) / zoom
    cx, cy = (w - 1) / 2, (h - 1) / 2
    return np.array([[c, -s, dx - c * cx + s * cy], [s, c, dy - s * cx - c * cy], [0, 0, 1]])


def smooth_walk(rng, n, rms, sigma_frames):
    """Smooth random motion: white noise low-passed by a Gaussian of sigma_frames, scaled to rms,
    like a hand's sway (a few Hz at most at 30 fps)."""
    x = rng.normal(0, 1, n + 8 * sigma_frames)
    x = cv2.GaussianBlur(x.reshape(1, -1), (0, 0), sigma_frames).ravel()[4 * sigma_frames:4 * sigma_frames + n]
    return (x - x.mean()) / x.std() * rms


def motion(kind, n=FRAMES, seed=0):
    t = np.arange(n)
    if kind == "pan":          # slow, sub-pixel steps: 0.37 px right and 0.11 px down a frame
        return [centred(dx=0.37 * k, dy=0.11 * k) for k in t]
    if kind == "shake":        # handheld: smooth random sway of ±4 px and ±0.5°, plus a slow drift
        rng = np.random.default_rng(seed)
        x, y = smooth_walk(rng, n, 4.0, 3), smooth_walk(rng, n, 3.0, 3)
        a = smooth_walk(rng, n, 0.5, 4)
        return [centred(a[k], 1.0, x[k] + 0.2 * k, y[k]) for k in t]
    if kind == "zoom":         # zoom-in by 30 % over the clip, constant rate, slightly off-centre
        return [centred(zoom=1.3 ** (k / (n - 1)), dx=0.15 * k, dy=-0.08 * k) for k in t]
    if kind == "rotate":       # roll of 0.3° a frame about the centre (18° in 2 s)
        return [centred(angle_deg=0.3 * k) for k in t]
    if kind == "still":        # a camera on a tripod
        return [centred() for _ in t]
    raise ValueError(f"unknown motion {kind}")


# --- rendering ----------------------------------------------------------------------------------

def fit_scale(views, photo_w, photo_h, w=W, h=H):
    """Photo pixels per view unit: the largest with every frame's corners MARGIN px inside the photo."""
    corners = np.array([[0, 0, 1], [w - 1, 0, 1], [0, h - 1, 1], [w - 1, h - 1, 1]], float).T
    reach_x = max(np.abs((v @ corners)[0]).max() for v in views)
    reach_y = max(np.abs((v @ corners)[1]).max() for v in views)
    return min((photo_w / 2 - MARGIN) / reach_x, (photo_h / 2 - MARGIN) / reach_y)


def homographies(views, photo_w, photo_h):
    """Frame pixel → photo pixel, per frame."""
    s = fit_scale(views, photo_w, photo_h)
    to_photo = np.array([[s, 0, (photo_w - 1) / 2], [0, s, (photo_h - 1) / 2], [0, 0, 1]])
    return np.stack([to_photo @ v for v in views]), s


def render(photo, hom, k, w=W, h=H, draw=None):
    """One frame (float32 0…1 RGB): drawn at k× through `hom`, `draw(big)` laying anything in front
    on the k× picture, box-averaged k× down."""
    # Supersampled pixel X sits at frame coordinate (X − (k−1)/2) / k: the centre of frame pixel
    # x's k×k block is x itself.
    ss = np.array([[1 / k, 0, -(k - 1) / (2 * k)], [0, 1 / k, -(k - 1) / (2 * k)], [0, 0, 1]])
    big = cv2.warpPerspective(photo, hom @ ss, (w * k, h * k), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_REFLECT)
    if draw is not None:
        draw(big)
    return cv2.resize(big, (w, h), interpolation=cv2.INTER_AREA)


def srgb_to_linear(x):
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(x):
    return np.where(x <= 0.0031308, x * 12.92, 1.055 * np.power(np.maximum(x, 0.0031308), 1 / 2.4) - 0.055)


def camera_noise(frame, rng):
    lin = srgb_to_linear(np.clip(frame, 0, 1))
    lin = lin + rng.normal(0, 1, lin.shape) * np.sqrt(SHOT * lin + READ)
    return linear_to_srgb(np.clip(lin, 0, 1)).astype(np.float32)


FLAKES = 350   # a W×H frame's snowflakes


def lay(cover, light, x_lo, x_hi, y_lo, y_hi, alpha, shade):
    """One particle of light `shade` laid over `cover` and `light` (h×w) within the box
    [x_lo, x_hi) × [y_lo, y_hi), clipped to the frame; `alpha(gx, gy)` its coverage at the box's
    pixel coordinates."""
    h, w = cover.shape
    x_lo, x_hi, y_lo, y_hi = max(0, x_lo), min(w, x_hi), max(0, y_lo), min(h, y_hi)
    if x_lo >= x_hi or y_lo >= y_hi:
        return
    gy, gx = np.mgrid[y_lo:y_hi, x_lo:x_hi].astype(np.float32)
    a = alpha(gx, gy)
    patch = cover[y_lo:y_hi, x_lo:x_hi]
    light[y_lo:y_hi, x_lo:x_hi] = light[y_lo:y_hi, x_lo:x_hi] * (1 - a) + a * shade
    cover[y_lo:y_hi, x_lo:x_hi] = patch + a * (1 - patch)


def snow(n, w, h, scale, seed):
    """Per frame, the flakes' coverage (float32 h×w, 0…1) and their light as drawn over black."""
    rng = np.random.default_rng(seed + 2)
    x0, y0 = rng.uniform(0, W, FLAKES), rng.uniform(-5, H + 5, FLAKES)
    depth = rng.uniform(0, 1, FLAKES)               # 1: nearest
    radius = 0.7 + 1.8 * depth                      # W×H pixels
    fall = 1.5 + 6.0 * depth + rng.uniform(-0.5, 0.5, FLAKES)
    drift, phase = rng.uniform(-1.0, 0.3, FLAKES), rng.uniform(0, 2 * math.pi, FLAKES)
    shade = rng.uniform(0.75, 1.0, FLAKES)
    frames = []
    for k in range(n):
        cover = np.zeros((h, w), np.float32)
        light = np.zeros((h, w), np.float32)
        y = (y0 + fall * k + 5) % (H + 10) - 5
        x = (x0 + drift * k + 1.5 * np.sin(phase + 0.2 * k)) % W
        for i in range(FLAKES):
            # In the larger frame's pixels; a flake is stretched along its fall (motion blur).
            cx, cy, r = (x[i] + 0.5) * scale - 0.5, (y[i] + 0.5) * scale - 0.5, radius[i] * scale
            stretch = 1 + 0.15 * fall[i]
            lay(cover, light, int(cx - r - 2), int(cx + r + 3), int(cy - r * stretch - 2), int(cy + r * stretch + 3),
                lambda gx, gy: np.clip(r + 0.5 - np.sqrt((gx - cx) ** 2 + ((gy - cy) / stretch) ** 2), 0, 1) * 0.9,
                shade[i])
        frames.append((cover, light))
    return frames


MOTES = 220   # a W×H frame's motes


def marine(n, w, h, scale, seed):
    """Per frame, the motes' coverage and light (as `snow`): particles suspended in water — soft,
    faint, of many sizes (the nearer, the larger and more out of focus), drifting slowly every way."""
    rng = np.random.default_rng(seed + 3)
    x0, y0 = rng.uniform(0, W, MOTES), rng.uniform(0, H, MOTES)
    depth = rng.uniform(0, 1, MOTES)                # 1: nearest
    radius = 0.8 + 5.0 * depth ** 2                 # W×H pixels, the Gaussian's 1/e² radius
    strength = rng.uniform(0.15, 0.55, MOTES)
    speed = 0.3 + 1.2 * depth
    vx, vy = rng.uniform(-1, 1, MOTES) * speed, rng.uniform(-0.6, 0.6, MOTES) * speed - 0.15
    phase = rng.uniform(0, 2 * math.pi, MOTES)
    shade = rng.uniform(0.7, 1.0, MOTES)
    frames = []
    for k in range(n):
        cover = np.zeros((h, w), np.float32)
        light = np.zeros((h, w), np.float32)
        x = (x0 + vx * k + 0.8 * np.sin(phase + 0.15 * k)) % W
        y = (y0 + vy * k + 0.5 * np.cos(phase + 0.11 * k)) % H
        for i in range(MOTES):
            cx, cy, r = (x[i] + 0.5) * scale - 0.5, (y[i] + 0.5) * scale - 0.5, radius[i] * scale
            reach = 1.5 * r + 2
            lay(cover, light, int(cx - reach), int(cx + reach) + 1, int(cy - reach), int(cy + reach) + 1,
                lambda gx, gy: strength[i] * np.exp(-2 * ((gx - cx) ** 2 + (gy - cy) ** 2) / (r * r)), shade[i])
        frames.append((cover, light))
    return frames


STREAKS = 260   # a W×H frame's raindrops


def rain(n, w, h, scale, seed):
    """Per frame, the raindrops' coverage and light (as `snow`): thin, faint streaks (a drop's path
    during the exposure), the nearer longer, wider and faster, all slanted alike by the wind."""
    rng = np.random.default_rng(seed + 4)
    x0, y0 = rng.uniform(0, W, STREAKS), rng.uniform(0, H + 40, STREAKS)
    depth = rng.uniform(0, 1, STREAKS)              # 1: nearest
    length = 6 + 22 * depth                          # W×H pixels
    half = 0.35 + 0.6 * depth                        # half the streak's width
    speed = 12 + 18 * depth                          # pixels a frame, along the streak
    angle = -0.2 + rng.uniform(-0.04, 0.04, STREAKS)
    strength = rng.uniform(0.15, 0.45, STREAKS)
    shade = rng.uniform(0.8, 1.0, STREAKS)
    dx, dy = np.sin(angle), np.cos(angle)
    frames = []
    for k in range(n):
        cover = np.zeros((h, w), np.float32)
        light = np.zeros((h, w), np.float32)
        y = (y0 + speed * dy * k) % (H + 40) - 20
        x = (x0 + speed * dx * k) % W
        for i in range(STREAKS):
            # The streak's head at (x, y), its tail `length` back along its fall; in the larger frame's pixels.
            hx, hy = (x[i] + 0.5) * scale - 0.5, (y[i] + 0.5) * scale - 0.5
            tx, ty = hx - length[i] * scale * dx[i], hy - length[i] * scale * dy[i]
            r = half[i] * scale

            def streak(gx, gy):   # coverage by distance to the segment tail → head
                along = np.clip(((gx - tx) * (hx - tx) + (gy - ty) * (hy - ty)) / ((hx - tx) ** 2 + (hy - ty) ** 2), 0, 1)
                d = np.sqrt((gx - tx - along * (hx - tx)) ** 2 + (gy - ty - along * (hy - ty)) ** 2)
                return np.clip(r + 0.5 - d, 0, 1) * strength[i]
            lay(cover, light, int(min(hx, tx) - r - 2), int(max(hx, tx) + r + 3), int(min(hy, ty) - r - 2),
                int(max(hy, ty) + r + 3), streak, shade[i])
        frames.append((cover, light))
    return frames


THINGS = 14   # the moving objects
LUMA = np.array([0.299, 0.587, 0.114], np.float32)


class Things:
    """Objects moving on their own in front of the photo: balls and rounded blocks from 10 to 60 px
    across, each a piece of the photo tinted a colour of its own (the balls shaded), moving in
    straight lines at 2–10 px a frame, bouncing off the frame's edges and passing in front of one
    another (a later one nearer) — what a static camera over a street or a playground films. Each
    moves rigidly, so the flow is exact: `labels` (N×h×w uint8) says per frame which object a
    pixel shows wholly (j + 1; 0: the photo; 255: an edge, partly one thing and partly another)
    and `shifts` (N×THINGS×2) how far each moved since the frame before, in frame pixels."""

    def __init__(self, photo, photo_scale, n, w, h, scale, seed):
        rng = np.random.default_rng(seed + 5)
        self.scale, self.w, self.h = scale, w, h
        self.ball = rng.uniform(0, 1, THINGS) < 0.5
        self.radius = rng.uniform(5, 30, THINGS)                         # W×H pixels
        self.half = np.stack([self.radius, self.radius * np.where(self.ball, 1, rng.uniform(0.5, 1, THINGS))], 1)
        speed, angle = rng.uniform(2, 10, THINGS), rng.uniform(0, 2 * math.pi, THINGS)
        v = np.stack([speed * np.cos(angle), speed * np.sin(angle)], 1)
        p = rng.uniform(self.half, [W, H] - self.half)
        self.centres = []
        for _ in range(n):
            self.centres.append(p.copy())
            p = p + v
            lo, hi = self.half, [W, H] - self.half         # bounce off the edges
            below, above = p < lo, p > hi
            p = np.where(below, 2 * lo - p, np.where(above, 2 * hi - p, p))
            v = np.where(below | above, -v, v)
        self.centres = np.array(self.centres)                          # N×THINGS×2, W×H pixels
        # Each object's picture: a piece of the photo at the photo's own scale, tinted.
        self.photo_scale, self.pieces = photo_scale, []
        ph, pw = photo.shape[:2]
        for j in range(THINGS):
            reach = math.ceil((self.radius[j] + 2) * photo_scale)
            # The most textured of a few pieces, brightened to a mid-grey on average.
            pieces = []
            for _ in range(8):
                x, y = int(rng.uniform(reach, pw - reach)), int(rng.uniform(reach, ph - reach))
                pieces.append(photo[y - reach:y + reach + 1, x - reach:x + reach + 1])
            piece = max(pieces, key=lambda p: float((p @ LUMA).std()))
            piece = piece * min(3.0, 0.5 / max(float((piece @ LUMA).mean()), 1e-3))
            tint = np.array(colorsys.hsv_to_rgb(rng.uniform(0, 1), 0.75, 1.0), np.float32)
            self.pieces.append(np.clip(0.35 * piece + 0.75 * (piece @ LUMA)[..., None] * tint, 0, 1).astype(np.float32))

    def distance(self, j, ux, uy):
        """Signed distance (W×H pixels, negative inside) of object j's outline at offsets (ux, uy)
        from its centre."""
        if self.ball[j]:
            return np.sqrt(ux * ux + uy * uy) - self.radius[j]
        corner = 0.3 * self.half[j].min()
        qx, qy = np.abs(ux) - (self.half[j, 0] - corner), np.abs(uy) - (self.half[j, 1] - corner)
        return np.sqrt(np.maximum(qx, 0) ** 2 + np.maximum(qy, 0) ** 2) + np.minimum(np.maximum(qx, qy), 0) - corner

    def centre(self, j, t):
        """Object j's centre in frame t, in the frame's own pixels."""
        return (self.centres[t, j] + 0.5) * self.scale - 0.5

    def draw(self, big, t, k):
        """Lays the objects of frame t on its k× picture (see `render`)."""
        for j in range(THINGS):
            cx, cy = self.centre(j, t)
            reach = (self.half[j].max() + 1) * self.scale
            # Frame coordinate f ↔ k× pixel X = f·k + (k − 1)/2.
            x_lo, x_hi = max(0, int((cx - reach) * k)), min(big.shape[1], int((cx + reach) * k + k) + 1)
            y_lo, y_hi = max(0, int((cy - reach) * k)), min(big.shape[0], int((cy + reach) * k + k) + 1)
            if x_lo >= x_hi or y_lo >= y_hi:
                continue
            gy, gx = np.mgrid[y_lo:y_hi, x_lo:x_hi].astype(np.float32)
            ux = ((gx - (k - 1) / 2) / k - cx) / self.scale
            uy = ((gy - (k - 1) / 2) / k - cy) / self.scale
            d = self.distance(j, ux, uy)
            alpha = np.clip(0.5 - d * self.scale * k, 0, 1)[..., None]
            piece = self.pieces[j]
            middle = (piece.shape[0] - 1) / 2
            colour = cv2.remap(piece, (ux * self.photo_scale + middle).astype(np.float32),
                               (uy * self.photo_scale + middle).astype(np.float32), cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REFLECT)
            if self.ball[j]:
                colour = colour * (1 - 0.45 * np.clip((ux * ux + uy * uy) / self.radius[j] ** 2, 0, 1))[..., None]
            big[y_lo:y_hi, x_lo:x_hi] = big[y_lo:y_hi, x_lo:x_hi] * (1 - alpha) + alpha * colour

    def flow_data(self, n):
        """`labels` and `shifts` (see the class)."""
        gy, gx = np.mgrid[0:self.h, 0:self.w].astype(np.float32)
        edge = 1.0 / self.scale                 # one frame pixel, in W×H pixels: a pixel's reach
        labels = np.zeros((n, self.h, self.w), np.uint8)
        for t in range(n):
            for j in range(THINGS):
                cx, cy = self.centre(j, t)
                d = self.distance(j, (gx - cx) / self.scale, (gy - cy) / self.scale)
                labels[t][d <= -edge] = j + 1
                labels[t][np.abs(d) < edge] = 255
        shifts = np.zeros((n, THINGS, 2))
        shifts[1:] = (self.centres[1:] - self.centres[:-1]) * self.scale
        return {"labels": labels, "shifts": shifts}


def clip_frames(photo_rgb, kind, noise, n=FRAMES, seed=0, scale=1, particles=None, things=False):
    """(uint8 N×h×w×3 RGB frames, N×3×3 homographies, the other arrays of the .flow.npz) of
    `photo_rgb` (uint8) under `kind`, at `scale`× W×H: `occluded` (N×h×w uint8) with particles,
    `labels` and `shifts` with moving objects (`Things`)."""
    photo = photo_rgb.astype(np.float32) / 255
    hom, s = homographies(motion(kind, n, seed), photo.shape[1], photo.shape[0])
    objects = Things(photo, s, n, W * scale, H * scale, scale, seed) if things else None
    # A pixel of the larger frame covers 1/scale of a W×H frame's pixel, centred as pixels are:
    # x = (X + 0.5) / scale − 0.5.
    finer = np.array([[1 / scale, 0, 0.5 / scale - 0.5], [0, 1 / scale, 0.5 / scale - 0.5], [0, 0, 1]])
    hom = hom @ finer
    s /= scale
    w, h = W * scale, H * scale
    k = max(2, math.ceil(s))
    rng = np.random.default_rng(seed + 1)
    flakes = {"snow": snow, "marine": marine, "rain": rain}[particles](n, w, h, scale, seed) if particles else None
    frames, occluded = [], []
    for index, m in enumerate(hom):
        f = render(photo, m, k, w, h, (lambda big, t=index: objects.draw(big, t, k)) if objects else None)
        if flakes is not None:
            cover, light = flakes[index]
            f = f * (1 - cover[..., None]) + light[..., None]   # light: the flakes over black
            occluded.append(cv2.dilate((cover > 0.01).astype(np.uint8), np.ones((3, 3), np.uint8)))
        if noise == "camera":
            f = camera_noise(f, rng)
        frames.append(np.clip(f * 255 + 0.5, 0, 255).astype(np.uint8))
    extra = {"occluded": np.stack(occluded)} if flakes is not None else {}
    if objects is not None:
        extra.update(objects.flow_data(n))
    return np.stack(frames), hom, extra


def write(path, frames, hom, extra):
    """The clip, lossless (H.264 in RGB, qp 0), and its homographies (and `extra`) beside it."""
    n, h, w, _ = frames.shape
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                    "-s", f"{w}x{h}", "-r", str(FPS), "-i", "-", "-c:v", "libx264rgb", "-qp", "0",
                    "-preset", "veryfast", path], input=frames.tobytes(), check=True)
    np.savez_compressed(flow_path(path), homographies=hom, size=np.array([w, h]), **extra)


def flow_path(clip):
    return clip.rsplit(".", 1)[0] + ".flow.npz"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("photo")
    p.add_argument("--motion", required=True, choices=["pan", "shake", "zoom", "rotate", "still"])
    p.add_argument("--noise", default="camera", choices=["camera", "none"])
    p.add_argument("--frames", type=int, default=FRAMES)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--particles", choices=["snow", "marine", "rain"],
                   help="flakes falling in front of the photo, motes drifting in water, or rain")
    p.add_argument("--objects", action="store_true",
                   help="a dozen objects moving on their own in front of the photo, bouncing off the edges")
    p.add_argument("--scale", type=int, default=1, choices=range(1, 5), help="frames N times W×H (default 1)")
    p.add_argument("--out", required=True, help="the clip (.mkv); the flow goes beside it as .flow.npz")
    a = p.parse_args()
    photo = cv2.imread(a.photo, cv2.IMREAD_COLOR)
    if photo is None:
        raise SystemExit(f"synth.py: cannot read {a.photo}")
    frames, hom, extra = clip_frames(cv2.cvtColor(photo, cv2.COLOR_BGR2RGB), a.motion, a.noise, a.frames,
                                     a.seed, a.scale, a.particles, a.objects)
    write(a.out, frames, hom, extra)


if __name__ == "__main__":
    main()

"""What light and a phone camera do to a photo: shadow, vignetting, white balance, blur, noise,
JPEG and the EXIF orientation tag.

Each step draws its own parameters and returns them with its result, so that a sample records
what was done to it. Blur lengths and light fields are given for a frame REFERENCE_HEIGHT pixels
tall and scale with the frame; light fields are drawn at 1/LIGHT_STEP size, being smooth.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFilter

REFERENCE_HEIGHT = 1200
LIGHT_STEP = 8
# A hand's or a phone's shadow keeps this much of the light where it is darkest.
SHADOW_KEEPS = (0.45, 0.8)
# The vignette keeps this much of the light in the frame's corners.
VIGNETTE_KEEPS = (0.55, 0.85)
# Gaussian defocus sigma and motion length, in pixels of a REFERENCE_HEIGHT frame.
DEFOCUS = (0.8, 2.5)
MOTION = (3.0, 12.0)
# Sensor noise: a floor, and shot noise whose variance grows with the signal.
READ_NOISE = (1.5, 5.0)
SHOT_NOISE = (0.03, 0.2)
CHROMA_NOISE = (0.5, 2.5)
# Auto exposure brings this percentile of the frame's brightness (the lit paper, as a rule) to
# AUTO_EXPOSURE, or, with the white balance factor, to a level drawn from EXPOSURE: dim to bright.
METER_STEP = 8
METERED_PERCENTILE = 95
AUTO_EXPOSURE = 235
EXPOSURE = (185, 245)
JPEG_QUALITY = (70, 92)
PLAIN_QUALITY = 95
# How each EXIF orientation's pixels are stored: the inverse of what ImageOps.exif_transpose does.
STORED_AS = {
    3: Image.Transpose.ROTATE_180,
    6: Image.Transpose.ROTATE_90,
    8: Image.Transpose.ROTATE_270,
}
ORIENTATION_TAG = 0x0112


def light_field(
    frame: tuple[int, int], rng: np.random.Generator, shadow: bool, vignette: bool
) -> tuple[np.ndarray | None, dict]:
    """Return the light reaching each pixel (1: full) and what shaped it; None for even light."""
    if not (shadow or vignette):
        return None, {}
    width, height = frame
    small = (max(2, height // LIGHT_STEP), max(2, width // LIGHT_STEP))
    y, x = np.mgrid[0 : small[0], 0 : small[1]].astype(np.float32)
    x, y = x * LIGHT_STEP, y * LIGHT_STEP
    light = np.ones(small, dtype=np.float32)
    drawn: dict = {}
    if shadow:
        shade, drawn = _shadow(x, y, frame, rng)
        light *= shade
    if vignette:
        keeps = float(rng.uniform(*VIGNETTE_KEEPS))
        # Distance from the centre, 1 in the corners; the light falls with its cube.
        squared = ((x - width / 2) ** 2 + (y - height / 2) ** 2) / (
            (width / 2) ** 2 + (height / 2) ** 2
        )
        light *= 1 - (1 - keeps) * squared**1.5
        drawn["vignette_keeps"] = round(keeps, 3)
    field = Image.fromarray(light).resize(frame, Image.Resampling.BILINEAR)
    return np.asarray(field), drawn


def _shadow(
    x: np.ndarray, y: np.ndarray, frame: tuple[int, int], rng: np.random.Generator
) -> tuple[np.ndarray, dict]:
    """A soft-edged shadow entering from one side, over a gradual fall of the light."""
    width, height = frame
    diagonal = float(np.hypot(width, height))
    keeps = float(rng.uniform(*SHADOW_KEEPS))
    softness = float(rng.uniform(0.03, 0.2)) * diagonal
    angle = rng.uniform(0, 2 * np.pi)
    if rng.random() < 0.5:
        shape = "edge"
        along = x * np.cos(angle) + y * np.sin(angle)
        corners = [c * np.cos(angle) + r * np.sin(angle) for c in (0, width) for r in (0, height)]
        low, high = min(corners), max(corners)
        border = low + rng.uniform(0.15, 0.6) * (high - low)
        depth = border - along
    else:
        # A rounded shadow, a head or a hand, centred near one side of the frame.
        shape = "blob"
        centre_x = width / 2 + np.cos(angle) * width * rng.uniform(0.35, 0.7)
        centre_y = height / 2 + np.sin(angle) * height * rng.uniform(0.35, 0.7)
        radius = rng.uniform(0.2, 0.45) * diagonal
        depth = radius - np.hypot(x - centre_x, y - centre_y)
    inside = np.clip(depth / softness + 0.5, 0, 1)
    inside = inside * inside * (3 - 2 * inside)
    # Light also falls off across the sheet from a lamp to one side.
    slope = float(rng.uniform(0, 0.3))
    direction = rng.uniform(0, 2 * np.pi)
    across = ((x - width / 2) * np.cos(direction) + (y - height / 2) * np.sin(direction)) / diagonal
    shade = (1 - (1 - keeps) * inside) * (1 + slope * across)
    drawn = {
        "shadow": shape,
        "shadow_keeps": round(keeps, 3),
        "shadow_softness": round(softness / diagonal, 3),
        "light_slope": round(slope, 3),
    }
    return shade.astype(np.float32), drawn


def white_balance(rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """Return per-channel gains of a warm or cool cast, its exposure target, and what they were."""
    warmth = float(rng.uniform(-1, 1))
    tint = float(rng.uniform(-0.04, 0.04))
    gains = np.array([1 + 0.1 * warmth, 1 + tint, 1 - 0.18 * warmth], dtype=np.float32)
    exposure = float(rng.uniform(*EXPOSURE))
    return gains, {"warmth": round(warmth, 3), "tint": round(tint, 3), "exposure": round(exposure)}


def exposure_gain(
    image: Image.Image, field: np.ndarray | None, gains: np.ndarray, target: float
) -> float:
    """Return the gain that brings the lit scene's bright end (the paper, mostly) to ``target``."""
    # Measured on a copy reduced eightfold, as a phone meters a preview.
    small = np.asarray(image.reduce(METER_STEP), dtype=np.float32) * gains
    if field is not None:
        small = small * field[::METER_STEP, ::METER_STEP, None][: small.shape[0], : small.shape[1]]
    luma = small @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return float(target / max(1.0, np.percentile(luma, METERED_PERCENTILE)))


def light(image: Image.Image, field: np.ndarray | None, gains: np.ndarray | None) -> Image.Image:
    """Return ``image`` lit by ``field`` (per pixel) and ``gains`` (per channel)."""
    if field is None and gains is None:
        return image
    channels = []
    for index, channel in enumerate(image.split()):
        values = np.asarray(channel, dtype=np.float32)
        if field is not None:
            values = values * field
        if gains is not None:
            values = values * gains[index]
        channels.append(Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8)))
    return Image.merge("RGB", channels)


def blur(image: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """Return ``image`` slightly out of focus or moved during the exposure."""
    scale = min(image.size) / REFERENCE_HEIGHT
    if rng.random() < 0.5:
        sigma = float(rng.uniform(*DEFOCUS))
        blurred = image.filter(ImageFilter.GaussianBlur(sigma * scale))
        return blurred, {"blur": "defocus", "blur_px": round(sigma, 2)}
    length = float(rng.uniform(*MOTION))
    angle = float(rng.uniform(0, 180))
    steps = max(2, round(length * scale))
    dx, dy = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    stored = np.asarray(image)
    total = np.zeros(stored.shape, dtype=np.uint16)
    for step in np.linspace(-0.5, 0.5, steps):
        shift = (round(step * length * scale * dy), round(step * length * scale * dx))
        total += np.roll(stored, shift, axis=(0, 1))
    moved = Image.fromarray(((total + steps // 2) // steps).astype(np.uint8))
    return moved, {"blur": "motion", "blur_px": round(length, 2), "motion_angle": round(angle, 1)}


def add_noise(image: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """Return ``image`` with sensor noise: grain that grows with the light, and colour blotches."""
    read = float(rng.uniform(*READ_NOISE))
    shot = float(rng.uniform(*SHOT_NOISE))
    chroma = float(rng.uniform(*CHROMA_NOISE))
    width, height = image.size
    blotch_size = (max(2, width // 4), max(2, height // 4))
    channels = []
    for channel in image.split():
        values = np.asarray(channel, dtype=np.float32)
        sigma = np.sqrt(read**2 + shot * values)
        values = values + sigma * rng.standard_normal(values.shape, dtype=np.float32)
        blotches = rng.standard_normal(blotch_size[::-1], dtype=np.float32) * chroma
        values += np.asarray(
            Image.fromarray(blotches).resize(image.size, Image.Resampling.BILINEAR)
        )
        channels.append(Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8)))
    drawn = {
        "read_noise": round(read, 2),
        "shot_noise": round(shot, 3),
        "chroma_noise": round(chroma, 2),
    }
    return Image.merge("RGB", channels), drawn


def encode(upright: Image.Image, quality: int, orientation: int) -> bytes:
    """Return the JPEG a phone sends: pixels stored turned, and the EXIF tag that turns them."""
    stored = upright.transpose(STORED_AS[orientation]) if orientation in STORED_AS else upright
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = orientation
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=quality, exif=exif)
    return buffer.getvalue()

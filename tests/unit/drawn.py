"""A seven-like digit drawn for the imaging and normalisation tests, in the modes and formats
they send, and how two 28x28 readings of it are compared."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from digits.vision import normalise
from tests.images import encode

MAX_PIXELS = 40_000_000


def drawing(size: tuple[int, int] = (240, 300), width: int = 18) -> np.ndarray:
    """Return a float mask in [0, 1] of an asymmetric, seven-like digit on an empty canvas."""
    image = Image.new("L", size, 0)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.line([(w * 0.2, h * 0.2), (w * 0.75, h * 0.2), (w * 0.4, h * 0.85)], fill=255, width=width)
    draw.line([(w * 0.35, h * 0.52), (w * 0.65, h * 0.52)], fill=255, width=width)
    return np.asarray(image, dtype=np.float32) / 255


def dark_on_light(mask: np.ndarray, paper: int = 250, ink: int = 20) -> np.ndarray:
    return np.rint(paper * (1 - mask) + ink * mask).astype(np.uint8)


def reference() -> np.ndarray:
    return normalise.to_mnist(Image.fromarray(dark_on_light(drawing())))


def close_to(actual: np.ndarray, expected: np.ndarray) -> bool:
    """Two 28x28 images show the same digit: strongly correlated, little mean difference."""
    a, b = actual.astype(np.float64).ravel(), expected.astype(np.float64).ravel()
    return np.corrcoef(a, b)[0, 1] > 0.85 and np.abs(a - b).mean() < 25


def close_to_within_a_pixel(actual: np.ndarray, expected: np.ndarray) -> bool:
    """close_to, once ``actual`` is moved by at most one pixel each way: centring by the rounded
    centre of mass may land a pixel apart when the same digit is analysed at another scale."""
    return any(
        close_to(np.roll(actual, (dy, dx), axis=(0, 1)), expected)
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    )


def grey() -> Image.Image:
    return Image.fromarray(dark_on_light(drawing()))


def rgba_canvas(colour=(0, 0, 0)) -> Image.Image:
    alpha = np.rint(drawing() * 255).astype(np.uint8)
    rgba = np.zeros((*alpha.shape, 4), dtype=np.uint8)
    rgba[..., :3] = np.where(alpha[..., None] > 0, colour, 0)
    rgba[..., 3] = alpha
    return Image.fromarray(rgba)


def palette_transparent() -> Image.Image:
    image = rgba_canvas((30, 30, 160)).convert("RGB").quantize(4)
    mask = drawing() < 0.5
    pixels = np.asarray(image).copy()
    pixels[mask] = 3
    image = Image.fromarray(pixels, mode="P")
    image.putpalette([30, 30, 160, 60, 60, 180, 90, 90, 200, 0, 0, 0])
    image.info["transparency"] = 3
    return image


def sixteen_bit() -> Image.Image:
    return Image.fromarray(dark_on_light(drawing()).astype(np.uint16) * 257)


def animated_gif() -> bytes:
    first = grey().convert("P")
    second = Image.fromarray(dark_on_light(1 - drawing())).convert("P")
    return encode(first, "GIF", save_all=True, append_images=[second], duration=100, loop=0)


def animated_webp() -> bytes:
    first = grey().convert("RGB")
    second = Image.fromarray(dark_on_light(1 - drawing())).convert("RGB")
    return encode(first, "WEBP", save_all=True, append_images=[second], duration=100)

"""Realistic inputs with true labels: MNIST digits drawn, scanned, photographed; printed digits.

Every generator is deterministic for a given ``(n, seed, split)`` and returns encoded image bytes
as a person would send them. Without a split, MNIST kinds draw from all of MNIST test and printed
digits from model.printed.TEST_FONTS; with one (bench/heldout.py), from that split's rows and fonts
only. ``python -m bench.realistic [--n N] [--split S]`` prints the accuracy per kind of
``digits.vision.normalise`` with the committed model. MNIST comes from ``MNIST_DIR``; fonts are
the DejaVu, STIX and Computer Modern TTFs that the pinned matplotlib ships (see model/printed.py).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from bench import heldout, writers
from digits.errors import RequestError
from digits.imaging import decoding, formats
from digits.vision import normalise
from model.printed import TEST_FONTS, font_dir, render_printed
from model.redrawn import stroke_mask


@dataclass(frozen=True)
class Sample:
    """One test input: the bytes as sent and the digit it shows."""

    data: bytes
    label: int


# Called as generate(n, seed, split=None).
Generator = Callable[..., list[Sample]]
_mnist_test = writers.mnist_test


def _pick(
    n: int, seed: int, split: str | None = None
) -> tuple[np.random.Generator, np.ndarray, np.ndarray]:
    images, labels = _mnist_test()
    if split is not None:
        rows = heldout.split(split).mnist_rows
        images, labels = images[rows], labels[rows]
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(images), size=n, replace=False)
    return rng, images[chosen], labels[chosen]


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _place(mask: np.ndarray, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Paste ``mask`` at a random position into an empty array of ``shape``."""
    out = np.zeros(shape, dtype=np.float32)
    height, width = mask.shape
    top = int(rng.integers(0, max(1, shape[0] - height + 1)))
    left = int(rng.integers(0, max(1, shape[1] - width + 1)))
    part = mask[: shape[0] - top, : shape[1] - left]
    out[top : top + part.shape[0], left : left + part.shape[1]] = part
    return out


def _compose(ink: np.ndarray, paper: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """Return RGB floats in [0, 255] of ``colour`` ink over ``paper`` (scalar or per-pixel RGB)."""
    ink = ink.astype(np.float32)[..., None]
    return paper.astype(np.float32) * (1 - ink) + colour.astype(np.float32) * ink


def _noise(rng: np.random.Generator, sigma: float, shape: tuple[int, ...]) -> np.ndarray:
    return rng.standard_normal(shape, dtype=np.float32) * np.float32(sigma)


def _to_image(rgb: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(np.rint(rgb), 0, 255).astype(np.uint8))


INK_COLOURS = np.array(
    [[0, 0, 0], [20, 30, 110], [10, 60, 160], [170, 20, 20], [30, 30, 30], [60, 20, 90]],
    dtype=np.float32,
)


def canvas_png(n: int, seed: int = 0, split: str | None = None) -> list[Sample]:
    """Canvas exports: transparent 280/400 px PNGs, dark or coloured strokes, any size, anywhere."""
    rng, digits, labels = _pick(n, seed, split)
    samples = []
    for digit, label in zip(digits, labels, strict=True):
        side = int(rng.choice([280, 400]))
        box = int(rng.integers(side * 2 // 5, side * 4 // 5))
        alpha = _place(stroke_mask(digit, box), (side, side), rng)
        colour = INK_COLOURS[rng.integers(len(INK_COLOURS))]
        if rng.random() < 0.25:
            colour = np.array([255, 255, 255], dtype=np.float32)
        samples.append(Sample(canvas_export(alpha, colour), int(label)))
    return samples


# The page's pad (site/pad.js): its export's size, and its ink on a white fill.
PAGE_EXPORT = (400, 300)
PAGE_INK = np.array([0x15, 0x19, 0x2B], dtype=np.float32)


def page_png(n: int, seed: int = 0, split: str | None = None) -> list[Sample]:
    """The page's own pad exports: 400x300 PNGs, dark ink on an opaque white fill, any size."""
    rng, digits, labels = _pick(n, seed, split)
    width, height = PAGE_EXPORT
    samples = []
    for digit, label in zip(digits, labels, strict=True):
        box = int(rng.integers(height * 2 // 5, height * 4 // 5))
        coverage = _place(stroke_mask(digit, box), (height, width), rng)[..., None]
        rgb = 255 * (1 - coverage) + PAGE_INK * coverage
        # A browser exports even an opaque canvas as RGBA.
        samples.append(Sample(_encode(_to_image(rgb).convert("RGBA"), "PNG"), int(label)))
    return samples


def canvas_export(alpha: np.ndarray, colour: np.ndarray) -> bytes:
    """Return ink coverage ``alpha`` in [0, 1] as a browser exports a canvas: an RGBA PNG."""
    rgba = np.zeros((*alpha.shape, 4), dtype=np.uint8)
    # Browsers store transparent pixels as (0, 0, 0, 0): black once naively flattened.
    rgba[..., :3] = np.where(alpha[..., None] > 0, colour, 0).astype(np.uint8)
    rgba[..., 3] = np.rint(alpha * 255).astype(np.uint8)
    return _encode(Image.fromarray(rgba), "PNG")


def scan_png(n: int, seed: int = 0, split: str | None = None) -> list[Sample]:
    """Scan-like: dark ink on near-white paper, light noise, PNG or high-quality JPEG."""
    rng, digits, labels = _pick(n, seed, split)
    samples = []
    for digit, label in zip(digits, labels, strict=True):
        height, width = int(rng.integers(300, 600)), int(rng.integers(300, 600))
        box = int(rng.integers(min(height, width) // 3, min(height, width) * 3 // 4))
        ink = _place(stroke_mask(digit, box), (height, width), rng)
        samples.append(Sample(scan_export(ink, rng), int(label)))
    return samples


def scan_export(ink: np.ndarray, rng: np.random.Generator) -> bytes:
    """Return ink coverage in [0, 1] as a scan: dark on near-white paper with light noise, PNG
    or high-quality JPEG."""
    paper = rng.uniform(235, 255)
    grey = paper * (1 - ink) + rng.uniform(0, 60) * ink + _noise(rng, 3, ink.shape)
    image = _to_image(grey)
    return _encode(image, "PNG") if rng.random() < 0.5 else _encode(image, "JPEG", quality=90)


def _photo(digit: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """Render a digit as a phone photo of paper: tint, lighting gradient, noise, tilt and blur."""
    height, width = 480, 640
    box = int(rng.integers(180, 380))
    ink = _place(stroke_mask(digit, box), (height, width), rng)
    ink = np.asarray(
        Image.fromarray(ink).rotate(float(rng.uniform(-10, 10)), resample=Image.Resampling.BILINEAR)
    )
    paper = np.array([rng.uniform(200, 245), rng.uniform(190, 240), rng.uniform(160, 225)])
    colour = INK_COLOURS[rng.integers(len(INK_COLOURS))] + rng.uniform(0, 30)
    rgb = _compose(ink, paper, colour)
    y = (np.arange(height, dtype=np.float32) / max(height, width))[:, None]
    x = (np.arange(width, dtype=np.float32) / max(height, width))[None, :]
    angle = rng.uniform(0, 2 * np.pi)
    light = 1 + rng.uniform(0.15, 0.35) * ((x - 0.5) * np.cos(angle) + (y - 0.4) * np.sin(angle))
    light = light - rng.uniform(0, 0.25) * ((x - 0.65) ** 2 + (y - 0.37) ** 2)
    rgb = rgb * light.astype(np.float32)[..., None] + _noise(rng, 5, rgb.shape)
    return _to_image(rgb).filter(ImageFilter.GaussianBlur(float(rng.uniform(0.5, 1.5))))


def photo_jpeg(n: int, seed: int = 0, split: str | None = None) -> list[Sample]:
    """Phone-photo-like JPEG (quality 70) of ink on tinted paper under uneven light."""
    rng, digits, labels = _pick(n, seed, split)
    return [
        Sample(_encode(_photo(d, rng), "JPEG", quality=70), int(label))
        for d, label in zip(digits, labels, strict=True)
    ]


# The inverse of the transpose ImageOps.exif_transpose applies for each EXIF orientation.
_STORED_AS = {
    3: Image.Transpose.ROTATE_180,
    6: Image.Transpose.ROTATE_90,
    8: Image.Transpose.ROTATE_270,
}


def exif_rotated_jpeg(n: int, seed: int = 0, split: str | None = None) -> list[Sample]:
    """Phone photos stored sideways or upside down, with the EXIF orientation that turns them."""
    rng, digits, labels = _pick(n, seed, split)
    samples = []
    for digit, label in zip(digits, labels, strict=True):
        orientation = int(rng.choice(list(_STORED_AS)))
        stored = _photo(digit, rng).transpose(_STORED_AS[orientation])
        exif = Image.Exif()
        exif[0x0112] = orientation
        samples.append(Sample(_encode(stored, "JPEG", quality=70, exif=exif), int(label)))
    return samples


def light_on_dark(n: int, seed: int = 0, split: str | None = None) -> list[Sample]:
    """Chalk or white pen on a dark board: light strokes on a dark, noisy background."""
    rng, digits, labels = _pick(n, seed, split)
    samples = []
    for digit, label in zip(digits, labels, strict=True):
        side = int(rng.integers(200, 500))
        ink = _place(
            stroke_mask(digit, int(rng.integers(side // 3, side * 3 // 4))), (side,) * 2, rng
        )
        board = np.array([rng.uniform(10, 60), rng.uniform(20, 80), rng.uniform(10, 60)])
        chalk = np.full(3, rng.uniform(190, 255))
        rgb = _compose(ink, board, chalk) + _noise(rng, 4, (side, side, 3))
        fmt = "PNG" if rng.random() < 0.5 else "JPEG"
        samples.append(Sample(_encode(_to_image(rgb), fmt), int(label)))
    return samples


def _pen_kind(pen: str) -> Generator:
    def generate(n: int, seed: int = 0, split: str | None = None) -> list[Sample]:
        rng, digits, labels = _pick(n, seed, split)
        samples = []
        for digit, label in zip(digits, labels, strict=True):
            side = int(rng.choice([280, 400]))
            box = int(rng.integers(side // 2, side * 4 // 5))
            ink = _place(stroke_mask(digit, box, pen), (side, side), rng)
            rgba = np.zeros((side, side, 4), dtype=np.uint8)
            rgba[..., 3] = np.rint(ink * 255).astype(np.uint8)
            samples.append(Sample(_encode(Image.fromarray(rgba), "PNG"), int(label)))
        return samples

    generate.__doc__ = f"Canvas PNGs drawn with a {pen} pen (black on transparent)."
    return generate


thin_strokes = _pen_kind("thin")
thick_strokes = _pen_kind("thick")


def tiny_digit(n: int, seed: int = 0, split: str | None = None) -> list[Sample]:
    """A low-resolution digit 10 to 18 pixels tall somewhere in a large white image."""
    rng, digits, labels = _pick(n, seed, split)
    samples = []
    for digit, label in zip(digits, labels, strict=True):
        height, width = int(rng.integers(200, 480)), int(rng.integers(200, 640))
        rows, cols = np.nonzero(digit)
        crop = digit[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
        box = int(rng.integers(10, 19))
        scale = box / max(crop.shape)
        size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
        small = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.BOX)) / 255
        ink = _place(np.asarray(small, dtype=np.float32), (height, width), rng)
        grey = 250 * (1 - ink) + 20 * ink
        samples.append(Sample(_encode(_to_image(grey), "PNG"), int(label)))
    return samples


def _low_resolution(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    """One small, blurred digit: a photo taken from afar, a low-resolution scan or a thumbnail."""
    way = rng.choice(["far_photo", "low_dpi_scan", "upscaled_thumbnail"])
    tall = int(rng.integers(10, 17))
    ink = stroke_mask(digit, 8 * tall)
    margin = int(rng.integers(2, 6)) * 8
    ink = _place(ink, (ink.shape[0] + 2 * margin, ink.shape[1] + 2 * margin), rng)
    small = (max(1, ink.shape[1] // 8), max(1, ink.shape[0] // 8))
    # Resampling a sharp 8x drawing with a box filter is what a small sensor or a scanner does.
    ink = np.asarray(Image.fromarray(ink).resize(small, Image.Resampling.BOX))
    paper, dark = rng.uniform(180, 250), rng.uniform(10, 90)
    grey = paper * (1 - ink) + dark * ink + _noise(rng, rng.uniform(1, 6), ink.shape)
    image = _to_image(grey).filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 0.9))))
    if way == "far_photo":
        return _encode(image, "JPEG", quality=int(rng.integers(60, 90)))
    if way == "low_dpi_scan":
        return _encode(image, "PNG")
    factor = int(rng.integers(3, 9))
    method = rng.choice([Image.Resampling.BILINEAR, Image.Resampling.BICUBIC])
    large = image.resize((image.width * factor, image.height * factor), method)
    return _encode(large, "JPEG", quality=int(rng.integers(70, 95)))


def low_resolution(n: int, seed: int = 0, split: str | None = None) -> list[Sample]:
    """Digits 10-16 px tall, blurred: photographed small, scanned at low resolution, or a JPEG
    thumbnail enlarged 3-8x."""
    rng, digits, labels = _pick(n, seed, split)
    return [
        Sample(_low_resolution(d, rng), int(label)) for d, label in zip(digits, labels, strict=True)
    ]


def mnist_png(n: int, seed: int = 0, split: str | None = None) -> list[Sample]:
    """MNIST test digits exactly as they are: 28x28 white on black PNG."""
    _, digits, labels = _pick(n, seed, split)
    return [
        Sample(_encode(Image.fromarray(d), "PNG"), int(label))
        for d, label in zip(digits, labels, strict=True)
    ]


def printed(n: int, seed: int = 0, split: str | None = None) -> list[Sample]:
    """Printed digits in several fonts and sizes, dark on light, somewhere in a page-like image.

    Without a split, only model.printed.TEST_FONTS: training images come from the disjoint
    TRAIN_FONTS. A split chooses its own (bench/writers.py).
    """
    rng = np.random.default_rng(seed)
    fonts = [font_dir() / name for name in (writers.split_fonts(split) if split else TEST_FONTS)]
    samples = []
    for i in range(n):
        label = i % 10
        font = fonts[int(rng.integers(len(fonts)))]
        image = render_printed(label, font, int(rng.integers(24, 160)), rng)
        fmt = "PNG" if rng.random() < 0.5 else "JPEG"
        samples.append(Sample(_encode(image, fmt), label))
    return samples


KINDS: dict[str, Generator] = {
    "mnist_png": mnist_png,
    "canvas_png": canvas_png,
    "scan": scan_png,
    "photo_jpeg": photo_jpeg,
    "exif_rotated_jpeg": exif_rotated_jpeg,
    "light_on_dark": light_on_dark,
    "thin_strokes": thin_strokes,
    "thick_strokes": thick_strokes,
    "tiny_digit": tiny_digit,
    "low_resolution": low_resolution,
    "printed": printed,
}
FROM_MNIST = tuple(k for k in KINDS if k != "printed")
# The seed make bench draws its inputs with; model.train measures the same inputs for the card.
BENCH_SEED = 7


def preprocess(samples: list[Sample], max_pixels: int = 40_000_000) -> np.ndarray:
    """Decode and normalise every sample; a refused input becomes a blank image (counted wrong)."""
    images = np.zeros((len(samples), 28, 28), dtype=np.uint8)
    for i, sample in enumerate(samples):
        with contextlib.suppress(RequestError):
            images[i] = normalise.to_mnist(
                decoding.decode_image(sample.data, max_pixels=max_pixels).image
            )
    return images


def accuracy(model, samples: list[Sample]) -> float:
    """Return the fraction of ``samples`` that ``model`` gets right after decode and to_mnist."""
    images = preprocess(samples)
    predicted = model.predict_proba(images).argmax(axis=1)
    return float(np.mean(predicted == np.array([s.label for s in samples])))


def main(argv: list[str] | None = None) -> None:
    """Print accuracy per kind for digits.vision.normalise and the configured model."""
    from digits.classifier.inference import load_model
    from digits.config import Settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="inputs per kind")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--split", choices=heldout.SPLITS, help="draw from this split only")
    parser.add_argument("--kinds", nargs="*", default=list(KINDS), choices=list(KINDS))
    parser.add_argument("--save", type=Path, help="write each input and its 28x28 image here")
    args = parser.parse_args(argv)
    model = load_model(Settings.from_env().model_path)
    print(f"model {model.version}, n={args.n} per kind, seed {args.seed}, split {args.split}")
    # Every MNIST-made kind draws the same test digits for one (n, seed): this is the model's own
    # accuracy on them, the ceiling that preprocessing can only keep or lose.
    _, digits, labels = _pick(args.n, args.seed, args.split)
    raw = np.mean(model.predict_proba(digits).argmax(axis=1) == labels)
    print(f"{'(raw MNIST arrays)':<20} {raw:>8.1%}")
    print(f"{'kind':<20} {'accuracy':>8} {'ms/image':>9}")
    for name in args.kinds:
        samples = KINDS[name](args.n, args.seed, args.split)
        started = time.perf_counter()
        images = preprocess(samples)
        elapsed = (time.perf_counter() - started) / len(samples) * 1000
        predicted = model.predict_proba(images).argmax(axis=1)
        labels = np.array([s.label for s in samples])
        print(f"{name:<20} {np.mean(predicted == labels):>8.1%} {elapsed:>9.1f}")
        if args.save:
            folder = args.save / name
            folder.mkdir(parents=True, exist_ok=True)
            for i, (sample, image) in enumerate(zip(samples, images, strict=True)):
                fmt = formats.image_type(sample.data).extension
                tag = f"{i:04d}-true{sample.label}-got{predicted[i]}"
                (folder / f"{tag}.{fmt}").write_bytes(sample.data)
                (folder / f"{tag}-28.png").write_bytes(normalise.preview_png(image))


if __name__ == "__main__":
    main()

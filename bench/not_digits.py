"""Inputs that are not digits, sent as a page or a canvas sends them: what the model should refuse.

``refusal_set(kind, n, split)`` draws letters and symbols in the split's fonts, marks and
scribbles, and pieces of the split's MNIST test digits, with the generators of model.not_digits
but from the split's own seed (bench.heldout), never a training seed. ``python -m
bench.not_digits --split tune --n 100`` prints how many of each the served model accepts.
"""

from __future__ import annotations

import argparse
import functools
import io

import numpy as np
from PIL import Image

from bench import heldout
from bench.reading import Reading
from model import mnist
from model.not_digits import FONTS, FROM_DIGITS, generators, kind_crops
from model.resemblance import DigitResemblance

# Each bench kind and the kind of model.not_digits it is drawn like.
KINDS = {"letters": "letter", "symbols": "symbol", "scribbles": "shape", "fragments": "fragment"}
# Mixed into every seed here, so that no bench set shares a random stream with training data
# drawn from the same number.
BENCH_STREAM = 0x6E6F7464
# An answer counts as accepting the input when it reads a digit with at least this confidence.
ACCEPT_CONFIDENCE = 0.5
CANVAS_SIDES = (280, 400)
INK_COLOURS = ((0, 0, 0), (20, 30, 110), (10, 60, 160), (170, 20, 20), (30, 30, 30))


@functools.cache
def _mnist() -> mnist.Mnist:
    return mnist.load()


@functools.cache
def _judge() -> DigitResemblance:
    # Real digits to judge pieces against: MNIST's training digits, as for training data.
    return DigitResemblance.measure(_mnist().train_images, np.random.default_rng(BENCH_STREAM))


def accepts(reading: Reading) -> bool:
    """Tell whether the function's answer accepts the input: a digit read at ACCEPT_CONFIDENCE."""
    return max(reading.confidences, default=0.0) >= ACCEPT_CONFIDENCE


def crops(kind: str, n: int, split: str) -> list[np.ndarray]:
    """Return ``n`` ink crops of ``kind`` for ``split`` ("tune" or "report")."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; use one of {tuple(KINDS)}")
    chosen = heldout.split(split)
    rng = np.random.default_rng([chosen.seed, list(KINDS).index(kind), BENCH_STREAM])
    drawn_like = KINDS[kind]
    # Pieces are cut from the split's own MNIST test digits; the other kinds need none.
    digits = _mnist().test_images[chosen.mnist_rows] if drawn_like in FROM_DIGITS else None
    make = generators(digits, FONTS[chosen.fonts])[drawn_like]
    return kind_crops(make, n, rng, _judge() if drawn_like in FROM_DIGITS else None)[0]


def refusal_set(kind: str, n: int, split: str) -> list[bytes]:
    """Return ``n`` PNGs of ``kind`` for ``split``: dark ink on white, or a transparent canvas."""
    chosen = heldout.split(split)
    rng = np.random.default_rng([chosen.seed, list(KINDS).index(kind), BENCH_STREAM, 1])
    return [encode(crop, rng) for crop in crops(kind, n, split)]


def encode(crop: np.ndarray, rng: np.random.Generator) -> bytes:
    """Place an ink crop somewhere on a canvas or a white page; return its PNG bytes."""
    side = max(int(rng.choice(CANVAS_SIDES)), max(crop.shape) + 20)
    ink = np.zeros((side, side), dtype=np.float32)
    top = int(rng.integers(0, side - crop.shape[0] + 1))
    left = int(rng.integers(0, side - crop.shape[1] + 1))
    ink[top : top + crop.shape[0], left : left + crop.shape[1]] = crop
    colour = np.array(INK_COLOURS[int(rng.integers(len(INK_COLOURS)))], dtype=np.float32)
    if rng.random() < 0.5:
        # A canvas export: opaque strokes on a transparent background stored as black.
        rgba = np.zeros((side, side, 4), dtype=np.uint8)
        rgba[..., :3] = np.where(ink[..., None] > 0, colour, 0).astype(np.uint8)
        rgba[..., 3] = np.rint(ink * 255).astype(np.uint8)
        image = Image.fromarray(rgba)
    else:
        rgb = 255 * (1 - ink[..., None]) + colour * ink[..., None]
        image = Image.fromarray(np.clip(np.rint(rgb), 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def read_served(data: bytes) -> list[float] | None:
    """Return the confidence of each digit the served function reads in ``data``, or None if it
    refuses the image. Every call into the function's code is here, in one place."""
    from digits.config import Settings
    from digits.imaging.decoding import decode_image
    from digits.instance import cached_model
    from digits.recognise import read_digits

    try:
        from digits.errors import RequestError as Refused
    except ImportError:
        from digits.errors import ClientError as Refused

    settings = Settings.from_env()
    try:
        image = decode_image(data, max_pixels=settings.max_pixels).image
        digits = read_digits(cached_model(settings.model_path), image)
    except Refused:
        return None
    return [d.prediction.confidence for d in digits]


def main(argv: list[str] | None = None) -> None:
    """Print, per kind, how many inputs the served model accepts as a digit."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=heldout.SPLITS, default="tune")
    parser.add_argument("--n", type=int, default=100, help="inputs per kind")
    parser.add_argument("--kinds", nargs="*", default=list(KINDS), choices=list(KINDS))
    args = parser.parse_args(argv)
    print(f"split {args.split}, {args.n} inputs per kind; accepted: a digit read with")
    print(f"confidence >= {ACCEPT_CONFIDENCE}; refused: a 4xx; several: read as 2+ digits")
    print(f"{'kind':<10} {'accepted':>9} {'share':>7} {'refused':>8} {'several':>8} {'crashed':>8}")
    crashes = []
    for kind in args.kinds:
        answers = []
        for i, data in enumerate(refusal_set(kind, args.n, args.split)):
            try:
                answers.append(read_served(data))
            except Exception as error:  # noqa: BLE001 - a 500 from the function is a finding
                where = f"refusal_set({kind!r}, {args.n}, {args.split!r})[{i}]"
                crashes.append(f"{where}: {type(error).__name__}: {error}")
        refused = sum(a is None for a in answers)
        several = sum(a is not None and len(a) > 1 for a in answers)
        accepted = sum(a is not None and max(a, default=0) >= ACCEPT_CONFIDENCE for a in answers)
        crashed = args.n - len(answers)
        print(
            f"{kind:<10} {accepted:>9} {accepted / args.n:>7.0%} {refused:>8} {several:>8}"
            f" {crashed:>8}"
        )
    for crash in crashes:
        print(f"crashed: {crash}")


if __name__ == "__main__":
    main()

"""Training images for an eleventh class, "not one digit": what the model should refuse.

Pieces of digits (model.fragments), digits that touch (model.neighbours), letters and symbols
(model.glyphs) and drawn marks (model.scribbles), each drawn as an ink crop and passed through
serving's own steps: specks dropped (digits.vision.components) and crop_to_mnist. On top of each
generator's own exclusions, two judges run on every image:

- no kind may hand over a near-vertical bar (model.fragments.looks_like_a_one): that is a 1;
- what is cut from MNIST digits must lie farther from real digits than real digits lie from one
  another (model.resemblance): a 3 missing its left third is still a 3.

``python -m model.not_digits`` times the generation and writes a contact sheet per kind.
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from digits.errors import NothingDrawn
from digits.vision.components import drop_specks
from digits.vision.normalise import crop_to_mnist
from model import fragments, glyphs, neighbours, scribbles
from model.pen import crop_to_ink
from model.printed import TEST_FONTS, TRAIN_FONTS, font_dir
from model.resemblance import DigitResemblance

# The share of each kind. Pieces and touching digits are what a number's segmenter hands over
# most; touching digits, the only kind that is several digits, are nearly a third, so that the model
# does not take a tight pair for no digit at all. Letters, symbols and marks are what people draw
# instead of digits. Frame cuts stay few: a digit that runs off the image by a quarter or half of
# its width is often still readable, and the contact sheets show more of them passing for digits
# than of any other kind. A digit with a piece of its neighbour is not drawn for training (share
# 0): beside touching pairs, which are several digits, it taught the model to call tight pairs no
# digit at all.
MIX = {
    "fragment": 0.17,
    "frame_cut": 0.04,
    "touching": 0.30,
    "neighbour_piece": 0.0,
    "letter": 0.17,
    "symbol": 0.10,
    "shape": 0.22,
}
FROM_DIGITS = ("fragment", "frame_cut", "touching", "neighbour_piece")
FONTS = {"train": TRAIN_FONTS, "test": TEST_FONTS}
# Crops are drawn in rounds, as many as are still missing but at least this many, then judged
# together.
ROUND = 8

Generator = Callable[[int, np.random.Generator], list[np.ndarray]]


def generators(digits: np.ndarray | None, fonts: tuple[str, ...]) -> dict[str, Generator]:
    """Return each kind's ``(n, rng) -> ink crops``, drawing on ``digits`` and ``fonts``.

    Only the kinds cut from digits (FROM_DIGITS) use ``digits``, uint8 (m, 28, 28); letters,
    symbols and a share of the touching digits (model.neighbours) are printed in ``fonts``.
    """
    return {
        "fragment": functools.partial(_with_digits, fragments.fragments, digits),
        "frame_cut": functools.partial(_with_digits, fragments.frame_cuts, digits),
        "touching": functools.partial(_touching, digits, fonts),
        "neighbour_piece": functools.partial(_with_digits, neighbours.with_neighbour_piece, digits),
        "letter": functools.partial(_with_fonts, glyphs.letters, fonts),
        "symbol": functools.partial(_with_fonts, glyphs.symbols, fonts),
        "shape": scribbles.shapes,
    }


def _with_digits(make, digits: np.ndarray, n: int, rng: np.random.Generator) -> list[np.ndarray]:
    return make(n, rng, digits)


def _touching(digits: np.ndarray, fonts: tuple[str, ...], n: int, rng: np.random.Generator):
    return neighbours.touching_digits(n, rng, digits, tuple(font_dir() / name for name in fonts))


def _with_fonts(make, fonts: tuple[str, ...], n: int, rng: np.random.Generator):
    return make(n, rng, fonts)


def as_served(crop: np.ndarray) -> np.ndarray | None:
    """Return the 28x28 image serving makes of an ink crop, or None if it would refuse it."""
    try:
        crop = crop_to_ink(drop_specks(crop))
        if fragments.looks_like_a_one(crop):
            return None
        return crop_to_mnist(crop)
    except NothingDrawn:
        return None


def kind_crops(
    make: Generator, n: int, rng: np.random.Generator, judge: DigitResemblance | None
) -> tuple[list[np.ndarray], np.ndarray]:
    """Return ``n`` ink crops from ``make`` that serving accepts and that do not pass for digits
    (by ``judge`` too, if given), and the uint8 (n, 28, 28) images serving makes of them."""
    crops: list[np.ndarray] = []
    images: list[np.ndarray] = []
    while len(crops) < n:
        drawn = make(max(ROUND, n - len(crops)), rng)
        served = [as_served(crop) for crop in drawn]
        kept = [i for i, image in enumerate(served) if image is not None]
        if judge is not None and kept:
            digit_like = judge.passes_for_a_digit(np.stack([served[i] for i in kept]))
            kept = [i for i, refused in zip(kept, digit_like, strict=True) if not refused]
        crops += [drawn[i] for i in kept]
        images += [served[i] for i in kept]
    return crops[:n], np.stack(images[:n])


def counts(n: int) -> dict[str, int]:
    """Split ``n`` images among the kinds in MIX's proportions (the largest takes the rest)."""
    out = {kind: int(n * share) for kind, share in MIX.items()}
    largest = max(MIX, key=MIX.__getitem__)
    out[largest] += n - sum(out.values())
    return out


def not_digit_images(
    n: int, seed: int, mnist_train_images: np.ndarray, split: str = "train", jobs: int = 1
) -> tuple[np.ndarray, list[str]]:
    """Return ``n`` uint8 (n, 28, 28) images of "not one digit", shuffled, and each one's kind.

    Digits are cut from ``mnist_train_images`` (uint8 (m, 28, 28)); glyphs come from the fonts
    of ``split``: "train" (model.printed.TRAIN_FONTS) or "test" (TEST_FONTS, for benches only).
    The same arguments give the same images, whatever the number of processes ``jobs``: each
    kind draws from its own random stream.
    """
    if split not in FONTS:
        raise ValueError(f"unknown split {split!r}; use one of {tuple(FONTS)}")
    judge_stream, order_stream, *kind_streams = np.random.SeedSequence(seed).spawn(len(MIX) + 2)
    judge = DigitResemblance.measure(mnist_train_images, np.random.default_rng(judge_stream))
    tasks = [
        (kind, count, stream, mnist_train_images, FONTS[split], judge)
        for (kind, count), stream in zip(counts(n).items(), kind_streams, strict=True)
        if count
    ]
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(jobs) as pool:
            images = list(pool.map(_kind_task, tasks))
    else:
        images = [_kind_task(task) for task in tasks]
    kinds = [kind for kind, count, *_ in tasks for _ in range(count)]
    order = np.random.default_rng(order_stream).permutation(n)
    return np.concatenate(images)[order], [kinds[i] for i in order]


def _kind_task(task: tuple) -> np.ndarray:
    kind, count, stream, digits, fonts, judge = task
    make = generators(digits, fonts)[kind]
    return kind_crops(
        make, count, np.random.default_rng(stream), judge if kind in FROM_DIGITS else None
    )[1]


def contact_sheet(images: np.ndarray, columns: int = 10, zoom: int = 3) -> Image.Image:
    """Return uint8 (n, 28, 28) images side by side in a grid, on grey, enlarged ``zoom`` times."""
    rows = -(-len(images) // columns)
    sheet = np.full((rows * 30, columns * 30), 96, dtype=np.uint8)
    for i, image in enumerate(images):
        row, column = divmod(i, columns)
        sheet[row * 30 + 1 : row * 30 + 29, column * 30 + 1 : column * 30 + 29] = image
    size = (sheet.shape[1] * zoom, sheet.shape[0] * zoom)
    return Image.fromarray(sheet).resize(size, Image.Resampling.NEAREST)


def main(argv: list[str] | None = None) -> None:
    """Generate images, print the time and the count per kind, and save a sheet per kind."""
    from model import mnist

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split", choices=tuple(FONTS), default="train")
    parser.add_argument("--sheets", type=Path, help="write <kind>.png here, 20 images each")
    parser.add_argument("--jobs", type=int, default=1, help="processes (the result is the same)")
    args = parser.parse_args(argv)
    digits = mnist.load().train_images
    started, cpu_started = time.perf_counter(), time.process_time()
    images, kinds = not_digit_images(args.n, args.seed, digits, args.split, args.jobs)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    print(f"{args.n} images in {elapsed:.1f} s ({elapsed / args.n * 1000:.2f} ms each)", end="")
    print(f", {cpu:.1f} s of this process's CPU" if args.jobs == 1 else "")
    rng = np.random.default_rng(args.seed)
    for kind in MIX:
        chosen = np.flatnonzero(np.array(kinds) == kind)
        print(f"{kind:<16} {len(chosen):>7}")
        if args.sheets and len(chosen):
            args.sheets.mkdir(parents=True, exist_ok=True)
            picked = rng.choice(chosen, min(20, len(chosen)), replace=False)
            contact_sheet(images[picked]).save(args.sheets / f"{kind}.png")


if __name__ == "__main__":
    main()

"""Single digits by every writer, per split, and whether each still reads as one digit.

The kinds are bench/realistic.py's (MNIST test digits drawn, scanned, photographed; printed
digits) and one kind for each writer MNIST lacks (bench/writers.py): scikit-learn's 8x8 digits
enlarged, and synthetic handwriting, each a single digit on a transparent canvas or a white page.
A split (bench/heldout.py) chooses the rows, fonts, writers and seed; each kind draws its own
digits from them (``kind_seed``). A reader that finds a number where one digit was written has
failed even if one of its digits is right, so
``python -m bench.single_digits --split tune|report`` prints per kind the share read as exactly
one digit, right or wrong, and the share read right.
"""

from __future__ import annotations

import argparse
import zlib

import numpy as np

from bench import heldout, realistic, writers
from bench.reading import read_number
from bench.realistic import Generator, Sample

# A digit's height on a page, in pixels.
PAGE_HEIGHT = (40, 300)
# Canvas exports are square, of the page's two sizes; a digit fills this share of the side.
CANVAS_SIDES = (280, 400)
CANVAS_FILL = (0.4, 0.8)


def _on_canvas(ink: np.ndarray, rng: np.random.Generator) -> bytes:
    """Draw ink as a canvas export: a dark or coloured stroke on a transparent square."""
    side = int(rng.choice(CANVAS_SIDES))
    alpha = realistic._place(ink, (side, side), rng)
    colour = realistic.INK_COLOURS[rng.integers(len(realistic.INK_COLOURS))]
    return realistic.canvas_export(alpha, colour)


def _on_page(ink: np.ndarray, rng: np.random.Generator) -> bytes:
    """Draw ink as a scan: dark on near-white paper with light noise, PNG or JPEG."""
    height = ink.shape[0] + int(rng.integers(60, 300))
    width = ink.shape[1] + int(rng.integers(60, 300))
    return realistic.scan_export(realistic._place(ink, (height, width), rng), rng)


def _writer_kind(writer: str) -> Generator:
    def generate(n: int, seed: int = 0, split: str | None = None) -> list[Sample]:
        # Without a split, the reporting side's sources, as realistic.printed's test fonts are.
        split = split or heldout.REPORT.name
        rng = np.random.default_rng(seed)
        samples = []
        for i in range(n):
            label = i % 10
            if rng.random() < 0.5:
                side = int(rng.choice(CANVAS_SIDES))
                height = int(side * rng.uniform(*CANVAS_FILL))
                ink = writers.glyph(writer, label, height, rng, split)
                data = _on_canvas(ink, rng)
            else:
                ink = writers.glyph(writer, label, int(rng.integers(*PAGE_HEIGHT)), rng, split)
                data = _on_page(ink, rng)
            samples.append(Sample(data, label))
        return samples

    generate.__doc__ = f"Single digits by the {writer} writer on a transparent canvas or a page."
    return generate


KINDS: dict[str, Generator] = realistic.KINDS | {
    "digits8x8": _writer_kind("digits8x8"),
    "strokes": _writer_kind("strokes"),
}


def samples(kind: str, n: int, split: str) -> list[Sample]:
    """Return ``n`` single digits of ``kind`` drawn from ``split`` with the kind's own seed."""
    return KINDS[kind](n, kind_seed(kind, split), split)


def kind_seed(kind: str, split: str) -> int:
    """Return the seed ``kind``'s digits are drawn with on ``split``: the split's, salted by name.

    Drawn with one seed, every kind made from MNIST would show the same test digits, rendered its
    own way (bench/realistic.py pairs them so on purpose, to compare renderings): a few odd digits
    would then count against every kind at once, and a figure over the kinds would rest on one
    draw of ``n`` digits instead of one a kind.
    """
    entropy = [heldout.split(split).seed, zlib.crc32(kind.encode())]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


def read_as_one(model, chosen: list[Sample]) -> tuple[float, float]:
    """Return the shares of ``chosen`` read as exactly one digit, and read as their own digit."""
    read = [read_number(model, s.data) for s in chosen]
    one = np.mean([len(r) == 1 for r in read])
    right = np.mean([r == str(s.label) for r, s in zip(read, chosen, strict=True)])
    return float(one), float(right)


def one_digit_check(model, n: int, split: str) -> dict[str, dict[str, float]]:
    """Return, per single-digit kind, the shares read as one digit and read right."""
    results = {}
    for kind in KINDS:
        one, right = read_as_one(model, samples(kind, n, split))
        results[kind] = {"one_digit": one, "right": right, "n": n}
    return results


def main(argv: list[str] | None = None) -> None:
    """Print, per kind of one split, the share read as one digit and the share read right."""
    from digits.classifier.inference import load_model
    from digits.config import Settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=heldout.SPLITS, default=heldout.TUNE.name)
    parser.add_argument("--n", type=int, default=100, help="inputs per kind")
    args = parser.parse_args(argv)
    model = load_model(Settings.from_env().model_path)
    results = one_digit_check(model, args.n, args.split)
    print(f"model {model.version}, split {args.split}, {args.n} per kind")
    print("| kind | read as one digit | read right |\n| --- | --- | --- |")
    for kind, row in results.items():
        print(f"| {kind} | {row['one_digit']:.1%} | {row['right']:.1%} |")
    ones = np.mean([row["one_digit"] for row in results.values()])
    rights = np.mean([row["right"] for row in results.values()])
    print(f"| all kinds | {ones:.1%} | {rights:.1%} |")


if __name__ == "__main__":
    main()

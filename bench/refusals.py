"""What the function refuses: not-digits it should, digits it should not, and blank pages.

For one split (bench/heldout.py):
- not-digits (bench/not_digits.py: letters, symbols, scribbles, fragments of digits): refused when
  the answer is 422 ``not_a_digit`` (or any refusal), or no digit is read with confidence at least
  ACCEPT_CONFIDENCE;
- digits (bench/single_digits.py's kinds: MNIST test drawn, scanned, photographed, printed, 8x8,
  synthetic strokes): the share refused as ``not_a_digit``, which should be none, and the share
  read right and read as exactly one digit;
- blank pages (white, paper grain, a shadow, a transparent canvas): answered ``nothing_drawn``;
- lines (bench/junk_in_lines.py): words of letters and symbols refused or unsure, and numbers
  with a letter among their digits read as the digits alone.

``python -m bench.refusals --split tune`` prints the tables.
"""

from __future__ import annotations

import argparse
import io

import numpy as np
from PIL import Image

from bench import heldout, junk_in_lines, not_digits, single_digits
from bench.reading import read

ACCEPT_CONFIDENCE = not_digits.ACCEPT_CONFIDENCE
BLANK_KINDS = ("white", "grain", "shadow", "canvas")


def blank_pages(n: int, split: str) -> list[bytes]:
    """Return ``n`` PNGs of nothing drawn: plain, grainy or shaded paper, or an empty canvas."""
    rng = np.random.default_rng([heldout.split(split).seed, 0x626C])
    pages = []
    for i in range(n):
        kind = BLANK_KINDS[i % len(BLANK_KINDS)]
        side = int(rng.choice([280, 400, 640]))
        if kind == "canvas":
            image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
        else:
            paper = np.full((side, side), rng.uniform(200, 255), dtype=np.float32)
            if kind in ("grain", "shadow"):
                paper += rng.normal(0, rng.uniform(1, 4), paper.shape).astype(np.float32)
            if kind == "shadow":
                ramp = np.linspace(0, 1, side, dtype=np.float32)
                paper *= 1 - rng.uniform(0.1, 0.35) * ramp[None, :] ** 2
            image = Image.fromarray(np.clip(np.rint(paper), 0, 255).astype(np.uint8))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        pages.append(buffer.getvalue())
    return pages


def not_digit_figures(model, n: int, split: str) -> dict[str, dict]:
    """Return, per not-digit kind, the shares refused outright and refused or unsure."""
    return {
        kind: not_digit_shares(model, not_digits.refusal_set(kind, n, split))
        for kind in not_digits.KINDS
    }


def not_digit_shares(model, images: list[bytes]) -> dict:
    """Return the shares of not-digit ``images`` refused outright, and refused or unsure."""
    readings = [read(model, data) for data in images]
    accepted = [not_digits.accepts(r) for r in readings]
    return {
        "n": len(images),
        "not_a_digit": float(np.mean([r.refused == "not_a_digit" for r in readings])),
        "refused": float(np.mean([r.refused is not None for r in readings])),
        "refused_or_unsure": float(1 - np.mean(accepted)),
    }


def digit_figures(model, n: int, split: str) -> dict[str, dict]:
    """Return, per digit kind, the shares read right, read as one digit, and refused."""
    return {
        kind: digit_shares(model, single_digits.samples(kind, n, split))
        for kind in single_digits.KINDS
    }


def digit_shares(model, chosen: list) -> dict:
    """Return the shares of single-digit samples read right, read as one digit, and refused."""
    readings = [read(model, s.data) for s in chosen]
    return {
        "n": len(chosen),
        "right": float(
            np.mean([r.number == str(s.label) for r, s in zip(readings, chosen, strict=True)])
        ),
        "one_digit": float(np.mean([len(r.number) == 1 for r in readings])),
        "not_a_digit": float(np.mean([r.refused == "not_a_digit" for r in readings])),
    }


def blank_figures(model, n: int, split: str) -> dict:
    """Return the share of blank pages answered nothing_drawn."""
    readings = [read(model, data) for data in blank_pages(n, split)]
    return {
        "n": n,
        "nothing_drawn": float(np.mean([r.refused == "nothing_drawn" for r in readings])),
    }


def measure(
    model,
    split: str,
    n_refusals: int = 200,
    n_digits: int = 200,
    n_blank: int = 40,
    n_not_digits: int | None = None,
) -> dict:
    """Return every refusal figure of one split: ``n_not_digits`` of each not-digit kind (default
    ``n_refusals``), ``n_digits`` of each digit kind, ``n_refusals`` lines with junk."""
    return {
        "split": split,
        "model": model.version,
        "not_digits": not_digit_figures(model, n_not_digits or n_refusals, split),
        "digits": digit_figures(model, n_digits, split),
        "blank": blank_figures(model, n_blank, split),
        "lines": junk_in_lines.shares(model, junk_in_lines.draw(n_refusals, split)),
    }


def table(results: dict) -> str:
    """Return the figures of one split as Markdown tables."""
    lines = [
        f"Refusals (model {results['model']}, split {results['split']}):",
        "",
        "| not a digit | n | refused (not_a_digit) | refused or below"
        f" {ACCEPT_CONFIDENCE:.0%} confidence |",
        "| --- | --- | --- | --- |",
    ]
    for kind, row in results["not_digits"].items():
        lines.append(
            f"| {kind} | {row['n']} | {row['not_a_digit']:.1%} | {row['refused_or_unsure']:.1%} |"
        )
    lines += [
        "",
        "| digit kind | n | read right | read as one digit | refused as not a digit |",
        "| --- | --- | --- | --- | --- |",
    ]
    for kind, row in results["digits"].items():
        lines.append(
            f"| {kind} | {row['n']} | {row['right']:.1%} | {row['one_digit']:.1%}"
            f" | {row['not_a_digit']:.1%} |"
        )
    blank = results["blank"]
    lines += [
        "",
        f"Blank pages answered nothing_drawn: {blank['nothing_drawn']:.1%} of {blank['n']}.",
        "",
        lines_sentence(results["lines"]),
    ]
    return "\n".join(lines)


def lines_sentence(figures: dict) -> str:
    """Return one sentence on the lines that hold what is not a digit."""
    return (
        f"Lines, {figures['n']} a set: words of letters and symbols refused or unsure"
        f" {figures['words_refused_or_unsure']:.1%}; numbers with a letter among their digits"
        f" read as the digits alone {figures['with_a_letter_exact']:.1%}, read with a digit"
        f" too many {figures['with_a_letter_guessed']:.1%}."
    )


def main(argv: list[str] | None = None) -> None:
    """Print the refusal figures of one split for the served model."""
    from digits.classifier.inference import load_model
    from digits.config import Settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=heldout.SPLITS, default=heldout.TUNE.name)
    parser.add_argument("--n", type=int, default=100, help="inputs per kind")
    parser.add_argument("--model", help="artifact to measure (default: the served one)")
    args = parser.parse_args(argv)
    model = load_model(args.model or Settings.from_env().model_path)
    print(table(measure(model, args.split, args.n, args.n, max(8, args.n // 5))))


if __name__ == "__main__":
    main()

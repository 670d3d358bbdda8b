"""Lines that hold what is not a digit: words of letters and symbols, and numbers with a letter.

bench/not_digits.py sends one letter, symbol or scribble an image, which the function reads whole.
Inside a line the number search decides instead: a tall piece left out scores the model's belief
that it is no digit, against reading it as its likeliest digit. A change that leaves pieces out
less readily reads more numbers exactly, and guesses more letters as digits: these two sets
measure that side. For one split (bench/heldout.py):
- words: 2-5 letters and symbols in the split's fonts, written like bench/number_lines.py's numbers
  (wide or tight gaps; canvas, page or photo), to be refused or read unsure (not_digits.accepts);
- numbers with a letter: 2-5 digits by the numbers' writers with one letter or symbol among them,
  to be read as the digits alone.

``python -m bench.junk_in_lines --split tune --n 100`` prints both shares.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import dataclass

import numpy as np

from bench import heldout, not_digits, number_lines, writers
from bench.reading import read

# Mixed into the split's seed, so that no other bench set shares these random streams.
STREAM = 0x6A756E6B
GAPS = ("wide", "tight")
LENGTH = (2, 6)  # pieces of a line, the end excluded


@dataclass(frozen=True)
class Lines:
    """One split's lines: words, and numbers with a letter with the digits they should read."""

    words: list[bytes]
    with_a_letter: list[tuple[bytes, str]]


def draw(n: int, split: str) -> Lines:
    """Return ``n`` words and ``n`` numbers with a letter, drawn from ``split`` only."""
    rng = np.random.default_rng([heldout.split(split).seed, STREAM])
    junk = not_digits.crops("letters", 2 * n, split) + not_digits.crops("symbols", 2 * n, split)
    pool = itertools.cycle([junk[i] for i in rng.permutation(len(junk))])
    names, shares = list(number_lines.WRITER_SHARES), list(number_lines.WRITER_SHARES.values())
    words, with_a_letter = [], []
    for i in range(n):
        height = int(rng.integers(*number_lines.HEIGHT))
        glyphs = [writers.to_height(next(pool), height) for _ in range(rng.integers(*LENGTH))]
        words.append(_render(glyphs, i, rng))
    for i in range(n):
        number = "".join(str(d) for d in rng.integers(0, 10, int(rng.integers(*LENGTH))))
        writer = names[int(rng.choice(len(names), p=shares))]
        height = int(rng.integers(*number_lines.HEIGHT))
        glyphs = writers.glyphs(writer, number, height, rng, split)
        glyphs.insert(int(rng.integers(0, len(glyphs) + 1)), writers.to_height(next(pool), height))
        with_a_letter.append((_render(glyphs, i, rng), number))
    return Lines(words, with_a_letter)


def _render(glyphs: list[np.ndarray], index: int, rng: np.random.Generator) -> bytes:
    """Set ``glyphs`` on a line and send it in one of the numbers' formats, in turn."""
    line = number_lines.line(glyphs, GAPS[index % len(GAPS)], rng)
    return number_lines.RENDER[number_lines.FORMATS[index % len(number_lines.FORMATS)]](line, rng)


def shares(model, lines: Lines) -> dict:
    """Return the shares of words turned away and of numbers with a letter read as their digits."""
    words = [read(model, data) for data in lines.words]
    mixed = [read(model, data) for data, _ in lines.with_a_letter]
    truths = [number for _, number in lines.with_a_letter]
    return {
        "n": len(lines.words),
        "words_refused_or_unsure": float(np.mean([not not_digits.accepts(r) for r in words])),
        "with_a_letter_exact": float(
            np.mean([r.number == t for r, t in zip(mixed, truths, strict=True)])
        ),
        "with_a_letter_guessed": float(
            np.mean([len(r.number) > len(t) for r, t in zip(mixed, truths, strict=True)])
        ),
    }


def main(argv: list[str] | None = None) -> None:
    """Print the shares of one split for the configured model."""
    from digits.classifier.inference import load_model
    from digits.config import Settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=heldout.SPLITS, default=heldout.TUNE.name)
    parser.add_argument("--n", type=int, default=100, help="lines of each set")
    args = parser.parse_args(argv)
    model = load_model(Settings.from_env().model_path)
    figures = shares(model, draw(args.n, args.split))
    print(f"model {model.version}, split {args.split}, {args.n} lines a set")
    print(f"words refused or unsure: {figures['words_refused_or_unsure']:.1%}")
    print(f"numbers with a letter read as their digits: {figures['with_a_letter_exact']:.1%}")
    print(f"numbers with a letter read longer: {figures['with_a_letter_guessed']:.1%}")


if __name__ == "__main__":
    main()

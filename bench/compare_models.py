"""Candidate models side by side on the tune split: the figures a choice between them rests on.

    python -m bench.compare_models model/model.joblib a/model.joblib a/model.joblib+b/model.joblib
    # MNIST_DIR=../shared/data/mnist; prints a Markdown table, writes nothing

Each argument is a model artifact, or several joined by "+": their members averaged with equal
weights, as the trainer averages its perceptrons (so two one-perceptron runs of ``model.train
--perceptrons 1`` from seeds 0 and 1 stand for the two-perceptron model those seeds make). Every
model reads the same inputs, drawn once from the tune split (bench/heldout.py) by the bench's own
generators: MNIST test's tune half as served, numbers of each gap kind, the not-digit sets, the
single-digit kinds and the lines that hold what is not a digit. The report split is never read
here: it is make bench's, after a choice.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass

import numpy as np

from bench import (
    accuracy,
    heldout,
    junk_in_lines,
    not_digits,
    number_lines,
    numbers,
    refusals,
    single_digits,
)
from digits.classifier.inference import Model, load_model
from digits.classifier.threads import use_one_blas_thread
from digits.vision import normalise
from model import mnist

SPLIT = "tune"


@dataclass(frozen=True)
class Inputs:
    """What every candidate reads: drawn once, from the tune split only."""

    mnist_served: np.ndarray  # MNIST test's tune half through the function's preprocessing
    mnist_labels: np.ndarray
    number_samples: list[number_lines.NumberSample]
    not_digit_images: dict[str, list[bytes]]
    digit_samples: dict[str, list]  # kind -> single-digit samples (data, label)
    lines: junk_in_lines.Lines

    @classmethod
    def draw(
        cls, numbers_each: int, not_digits_each: int, digits_each: int, lines_each: int
    ) -> Inputs:
        """Draw the inputs: ``numbers_each`` a gap kind and format, the others a kind or set."""
        rows = heldout.split(SPLIT).mnist_rows
        # MNIST from MNIST_DIR, where the generators of the bench read it too.
        data = mnist.load(os.environ.get("MNIST_DIR") or None)
        images, labels = data.test_images[rows], data.test_labels[rows]
        return cls(
            mnist_served=accuracy.served_mnist(images, normalise.to_mnist),
            mnist_labels=labels,
            number_samples=number_lines.number_samples(numbers_each, SPLIT),
            not_digit_images={
                kind: not_digits.refusal_set(kind, not_digits_each, SPLIT)
                for kind in not_digits.KINDS
            },
            digit_samples={
                kind: single_digits.samples(kind, digits_each, SPLIT)
                for kind in single_digits.KINDS
            },
            lines=junk_in_lines.draw(lines_each, SPLIT),
        )


def load(spec: str) -> Model:
    """Return the model an argument names: one artifact, or artifacts joined by "+" averaged."""
    parts = [load_model(path) for path in spec.split("+")]
    if len(parts) == 1:
        return parts[0]
    if len({part.feature_set for part in parts}) > 1:
        raise ValueError(f"{spec}: the artifacts read different features")
    members, weights = [], []
    for part in parts:
        members.extend(part.members)
        weights.extend(weight / len(parts) for weight in part.weights)
    version = "+".join(part.version for part in parts)
    return Model(tuple(members), tuple(weights), parts[0].feature_set, version)


def figures(model: Model, inputs: Inputs) -> dict[str, float]:
    """Return one model's tune figures, each a share in [0, 1] (refusals of digits: a sum).

    Each is make bench's own measure (bench/numbers.py, bench/refusals.py) on these inputs.
    """
    predicted = model.predict_proba(inputs.mnist_served).argmax(axis=1)
    out = {"mnist": float(np.mean(predicted == inputs.mnist_labels))}
    by_gap = numbers.number_figures(model, inputs.number_samples)
    out.update({gap: by_gap[gap]["exact"] for gap in number_lines.GAPS})
    for kind, images in inputs.not_digit_images.items():
        out[kind] = refusals.not_digit_shares(model, images)["refused_or_unsure"]
    digits = {k: refusals.digit_shares(model, s) for k, s in inputs.digit_samples.items()}
    out["digits_refused_sum"] = sum(shares["not_a_digit"] for shares in digits.values())
    out["digits_right_mean"] = float(np.mean([shares["right"] for shares in digits.values()]))
    out["digits8x8_right"] = digits["digits8x8"]["right"]
    in_lines = junk_in_lines.shares(model, inputs.lines)
    out["words_refused_or_unsure"] = in_lines["words_refused_or_unsure"]
    out["with_a_letter_exact"] = in_lines["with_a_letter_exact"]
    return out


COLUMNS = (
    ("mnist", "MNIST tune half"),
    ("wide", "numbers wide"),
    ("tight", "tight"),
    ("touching", "touching"),
    *((kind, f"{kind} turned away") for kind in not_digits.KINDS),
    ("digits_refused_sum", "digits refused, sum over kinds (points)"),
    ("digits_right_mean", "digits read right, mean of kinds"),
    ("digits8x8_right", "8x8 read right"),
    ("words_refused_or_unsure", "words turned away"),
    ("with_a_letter_exact", "numbers with a letter read as their digits"),
)


def table(rows: dict[str, dict[str, float]]) -> str:
    """Return the figures as a Markdown table, one row a model, in percent."""
    lines = [
        "| model | " + " | ".join(title for _, title in COLUMNS) + " |",
        "| --- |" + " --- |" * len(COLUMNS),
    ]
    for name, row in rows.items():
        cells = [f"{100 * row[key]:.1f}" for key, _ in COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    """Compare the models named on the command line; print and return their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help='artifacts, or artifacts joined by "+"')
    parser.add_argument(
        "--numbers", type=int, default=numbers.EACH, help="numbers a gap kind and format"
    )
    parser.add_argument("--not-digits", type=int, default=500, help="images a not-digit kind")
    parser.add_argument("--digits", type=int, default=300, help="images a single-digit kind")
    parser.add_argument("--lines", type=int, default=200, help="lines of junk_in_lines' each set")
    args = parser.parse_args(argv)
    # As a serving instance reads: on one BLAS thread.
    use_one_blas_thread()
    started = time.perf_counter()
    inputs = Inputs.draw(args.numbers, args.not_digits, args.digits, args.lines)
    print(f"inputs drawn from the {SPLIT} split in {time.perf_counter() - started:.0f} s")
    rows = {}
    for spec in args.models:
        started = time.perf_counter()
        model = load(spec)
        rows[f"{spec} ({model.version})"] = figures(model, inputs)
        print(f"{spec}: {time.perf_counter() - started:.0f} s", flush=True)
    print(table(rows))
    return rows


if __name__ == "__main__":
    main()

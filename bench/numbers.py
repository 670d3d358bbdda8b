"""Numbers: strings of 2-6 digits read left to right, and what reading them costs a single digit.

The numbers are bench/number_lines.py's: one writer each, wide gaps, tight gaps, or tight gaps and
one pair that touches, sent as a canvas PNG, a page or a photo-like JPEG, all from one split
(bench/heldout.py): ``tune`` while choosing, ``report`` for the figures. ``python -m bench.numbers
--split tune|report`` prints a Markdown table: exact-number accuracy per gap kind, format and
writer, digit-level accuracy (1 - edit distance / length), the single-digit kinds of
bench/single_digits.py read by the old path and the new one, and warm times: of preprocessing and
the model alone, and of the whole answer (bench/number_requests.py). ``--output`` also writes them
as JSON. The published figures are make bench's (bench/results.json), at EACH numbers a gap kind
and format; a run of this module alone is a quicker look, at fewer.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from bench import before_recognizer, heldout, number_requests, realistic, single_digits, writers
from bench.number_lines import FORMATS, GAPS, NumberSample, number_samples
from bench.reading import MAX_PIXELS, digit_level, read_number
from digits import recognise
from digits.classifier.threads import use_one_blas_thread
from digits.errors import RequestError
from digits.imaging import decoding
from digits.vision import normalise

# Numbers a gap kind and format, per split, that make bench and bench.compare_models read: 3,000 a
# gap kind. At 360, a fresh seed from the tune split's own sources read wide numbers three points
# below the tune split, as far as the held-out split did; at 900 a gap kind, a share near 97% is
# still known only to about a point either way (a 95% binomial interval), wider than the distance
# a target is judged by.
EACH = 1000


def _exact_by(exact: list[bool], keys: list[str], names) -> dict[str, float | None]:
    """Return the exact share among the samples of each name (None where there are none)."""
    return {
        name: float(np.mean([e for e, k in zip(exact, keys, strict=True) if k == name]))
        if name in keys
        else None
        for name in names
    }


def number_figures(model, samples: list[NumberSample]) -> dict:
    """Return per gap kind: exact, digit-level and count right, by format and by writer."""
    results: dict = {}
    for gap in GAPS:
        chosen = [s for s in samples if s.gap == gap]
        read = [read_number(model, s.data) for s in chosen]
        pairs = list(zip(read, chosen, strict=True))
        exact = [r == s.number for r, s in pairs]
        writer_of = [s.writer for s in chosen]
        results[gap] = {
            "exact": float(np.mean(exact)),
            "digits": float(np.mean([digit_level(r, s.number) for r, s in pairs])),
            "count": float(np.mean([len(r) == len(s.number) for r, s in pairs])),
            "n": len(chosen),
            "by_format": _exact_by(exact, [s.format for s in chosen], FORMATS),
            "by_writer": _exact_by(exact, writer_of, writers.WRITERS),
            "n_by_writer": {w: writer_of.count(w) for w in writers.WRITERS},
        }
    return results


def _single_digits(model, n: int, split: str) -> dict:
    """Per single-digit kind: to_mnist and the model (before), the digits read (after, one)."""
    results = {}
    for kind in single_digits.KINDS:
        samples = single_digits.samples(kind, n, split)
        one_digit, correct = single_digits.read_as_one(model, samples)
        before = realistic.accuracy(model, samples)
        results[kind] = {"before": before, "after": correct, "one_digit": one_digit}
    return results


def _time_each(path, images: list, best: np.ndarray) -> None:
    """Time ``path`` on each image once, keeping each image's best time so far in ``best`` (ms)."""
    for i, image in enumerate(images):
        started = time.perf_counter()
        path(image)
        best[i] = min(best[i], (time.perf_counter() - started) * 1000)


def timing_samples(n: int, split: str) -> tuple[list[bytes], list[bytes]]:
    """Return the images timed: single digits of four kinds, and six-digit numbers."""
    singles = [
        s.data
        for kind in ("canvas_png", "scan", "photo_jpeg", "printed")
        for s in single_digits.samples(kind, n, split)
    ]
    sixes = [s.data for s in number_samples(n, split) if len(s.number) == 6 and s.gap != "touching"]
    return singles, sixes


def _times(model, n: int, split: str, rounds: int = 5) -> dict:
    """Preprocessing and model time for one digit, before and after, and for six digits."""
    # Timed as a serving instance multiplies: on one BLAS thread.
    use_one_blas_thread()
    one_digit, six_digits = timing_samples(n, split)
    singles = [decoding.decode_image(data, max_pixels=MAX_PIXELS).image for data in one_digit]
    sixes = [decoding.decode_image(data, max_pixels=MAX_PIXELS).image for data in six_digits]

    def old(image):
        return model.predict(normalise.to_mnist(image))

    def new(image):
        try:
            return recognise.read_digits(model, image)
        except RequestError:
            return []  # refused or blank: answered all the same

    # The function before issue 21's recognizer, its own model and decoding (None without git).
    base = before_recognizer.reader(MAX_PIXELS)
    # Rounds interleave them all, so that a change in the machine's load falls on all alike;
    # each image's best time over the rounds counts, and a figure is the median over images.
    best = {
        "one_digit_before": np.full(len(singles), np.inf),
        "one_digit_after": np.full(len(singles), np.inf),
        "six_digits": np.full(len(sixes), np.inf),
    }
    if base is not None:
        decode_before, read_before = base
        singles_before = [decode_before(data) for data in one_digit]
        best["one_digit_before_recognizer"] = np.full(len(singles), np.inf)
    for _ in range(rounds):
        _time_each(old, singles, best["one_digit_before"])
        _time_each(new, singles, best["one_digit_after"])
        _time_each(new, sixes, best["six_digits"])
        if base is not None:
            _time_each(read_before, singles_before, best["one_digit_before_recognizer"])
    read = {name: float(np.median(times)) for name, times in best.items()}
    read["six_over_one"] = read["six_digits"] / read["one_digit_after"]
    read["one_digit_slower_by"] = read["one_digit_after"] - read["one_digit_before"]
    if base is not None:
        read["before_recognizer_commit"] = before_recognizer.BASE
    read["n_one_digit"], read["n_six_digits"] = len(singles), len(sixes)
    return read


def measure(
    n: int = 60,
    split: str = "report",
    single: int = 200,
    timed: bool = True,
    samples: list[NumberSample] | None = None,
) -> dict:
    """Return the numbers' accuracy, the single-digit kinds before and after, and the times;
    ``samples``: ``number_samples(n, split)``, when the caller has drawn them already."""
    from digits.classifier.inference import load_model
    from digits.config import Settings

    model = load_model(Settings.from_env().model_path)
    results = {
        "model": model.version,
        "n_per_gap_and_format": n,
        "split": split,
        "seed": heldout.split(split).seed,
        "numbers": number_figures(model, samples or number_samples(n, split)),
        "single_digit": _single_digits(model, single, split),
    }
    if timed:
        results["time_ms"] = _times(model, max(4, n // 3), split)
        timed_images = timing_samples(max(4, n // 3), split)
        results["request_ms"] = number_requests.warm_request_ms(*timed_images)
    return results


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def table(results: dict) -> str:
    """Return the results as Markdown."""
    drawn_from = f"split {results['split']}" if "split" in results else f"seed {results['seed']}"
    # Results written before the writers were measured have no writers' columns.
    rows = results["numbers"].values()
    by_writer = writers.WRITERS if all("by_writer" in row for row in rows) else ()
    columns = [*FORMATS, *by_writer]
    lines = [
        f"Numbers read (model {results['model']}, {results['n_per_gap_and_format']} per gap kind "
        f"and format, {drawn_from}{'; per writer: exact (count)' if by_writer else ''}):",
        "",
        "| gaps | exact number | " + " | ".join(columns) + " | digit-level | count right |",
        "| --- | --- | " + " | ".join("---" for _ in columns) + " | --- | --- |",
    ]
    for gap, row in results["numbers"].items():
        cells = [_percent(row["by_format"][f]) for f in FORMATS] + [
            f"{_percent(row['by_writer'][w])} ({row['n_by_writer'][w]})" for w in by_writer
        ]
        lines.append(
            f"| {gap} | {row['exact']:.1%} | {' | '.join(cells)} | {row['digits']:.1%} "
            f"| {row['count']:.1%} |"
        )
    singles = results["single_digit"]
    one_digit = [row["one_digit"] for row in singles.values() if "one_digit" in row]
    lines += [
        "",
        "| single-digit kind | before | after | read as one digit |",
        "| --- | --- | --- | --- |",
    ]
    for kind, row in singles.items():
        lines.append(
            f"| {kind} | {row['before']:.1%} | {row['after']:.1%} "
            f"| {_percent(row.get('one_digit'))} |"
        )
    if one_digit:
        lines.append(f"| all kinds | | | {np.mean(one_digit):.1%} |")
    t = results.get("time_ms")
    if t:
        lines += [
            "",
            "| warm preprocessing + model (median) | ms |",
            "| --- | --- |",
            f"| one digit, before (to_mnist + predict) | {t['one_digit_before']:.2f} |",
            f"| one digit, after (read_digits) | {t['one_digit_after']:.2f} |",
            *(
                [
                    "| one digit, the function before issue 21's recognizer (commit "
                    f"{t['before_recognizer_commit'][:7]}, its own model) "
                    f"| {t['one_digit_before_recognizer']:.2f} |"
                ]
                if "one_digit_before_recognizer" in t
                else []
            ),
            f"| six digits (read_digits) | {t['six_digits']:.2f} ({t['six_over_one']:.1f}x) |",
        ]
    r = results.get("request_ms")
    if r:
        lines += [
            "",
            "| warm POST /predict, whole answer with the S3 put (median) | ms |",
            "| --- | --- |",
            f"| one digit | {r['one_digit']:.1f} |",
            f"| six digits | {r['six_digits']:.1f} ({r['six_over_one']:.1f}x) |",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Measure one split; print the Markdown table; write the results as JSON if asked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=heldout.SPLITS, default=heldout.TUNE.name)
    parser.add_argument("--n", type=int, default=60, help="numbers per gap kind and format")
    parser.add_argument("--single", type=int, default=200, help="inputs per single-digit kind")
    parser.add_argument("--no-times", action="store_true", help="measure accuracy only")
    parser.add_argument("--output", type=Path, help="also write the results here, as JSON")
    args = parser.parse_args(argv)
    results = measure(args.n, args.split, args.single, timed=not args.no_times)
    if args.output:
        args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))


if __name__ == "__main__":
    main()

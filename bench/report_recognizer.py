"""What the function reads, in the bench's report: both splits side by side, held-out first.

Accuracy as served (bench/accuracy.py), refusals (bench/refusals.py) and numbers
(bench/numbers.py), each measured on the tune split and on the held-out report split
(bench/heldout.py); a figure that is better on tune than on report shows what tuning flattered.
"""

from __future__ import annotations

from bench import heldout
from bench.numbers import table as numbers_table
from bench.refusals import ACCEPT_CONFIDENCE
from bench.report_targets import NOT_MEASURED
from model.card_text import hidden_layers_text, perceptron_count

SPLITS = (heldout.REPORT.name, heldout.TUNE.name)  # held out first


def by_split(results: dict, key: str) -> dict | None:
    """Return ``results[key]`` if it holds both splits' figures, else None."""
    section = results.get(key)
    if isinstance(section, dict) and all(isinstance(section.get(s), dict) for s in SPLITS):
        return section
    return None


def percent(value: float | None) -> str:
    """Format a share as a percentage, '-' where there is none."""
    return "-" if value is None else f"{value:.1%}"


def split_columns(*names: str) -> tuple[str, str]:
    """Return a Markdown header and rule with each name once per split, report first."""
    cells = [f"{name}, {split}" for name in names for split in SPLITS]
    return " | ".join(cells), " | ".join("---" for _ in cells)


def split_cells(rows: list[dict], names: tuple[str, ...]) -> str:
    """Return one table row's cells in split_columns' order: each name's figure as a percentage,
    from each split's ``rows`` (report's, then tune's)."""
    return " | ".join(percent(row.get(name)) for name in names for row in rows)


def missing(title: str) -> list[str]:
    """Return the lines that say a section has no figures yet."""
    return ["", f"{title}: {NOT_MEASURED}."]


def accuracy(results: dict) -> list[str]:
    """Return accuracy as served per input kind, for both sides and both splits."""
    title = "Accuracy as served"
    figures = by_split(results, "accuracy")
    if figures is None:
        return missing(title)
    report, tune = (figures[s] for s in SPLITS)
    rows = ", ".join(
        f"{s} {figures[s]['mnist_rows'][0]}-{figures[s]['mnist_rows'][1] - 1}" for s in SPLITS
    )
    header, rule = split_columns("digits", "reference")
    lines = [
        "",
        f"{title} (fraction right, each side's own preprocessing then its model): MNIST test rows"
        f" {rows}; realistic kinds (bench/realistic.py; for our model also bench/single_digits.py's"
        f" 8x8 and strokes writers), {report['n']} per kind, drawn from each split's seed, writers"
        " and fonts:",
        "",
        f"| input kind | {header} |",
        f"| --- | {rule} |",
    ]
    for kind in report["by_side"]["digits"]:
        sides = ("digits", "reference")
        rows = [{side: f["by_side"][side].get(kind) for side in sides} for f in (report, tune)]
        lines.append(f"| {kind} | {split_cells(rows, sides)} |")
    return lines


def refusals(results: dict) -> list[str]:
    """Return what is refused and what is not, per kind, for both splits."""
    title = "Refusals"
    figures = by_split(results, "refusals")
    if figures is None:
        return missing(title)
    report, tune = (figures[s] for s in SPLITS)
    header, rule = split_columns("refused (not_a_digit)", "refused or unsure")
    lines = [
        "",
        f"{title} (bench/refusals.py, model {report['model']}): not-digits refused outright, or"
        f" answered under {ACCEPT_CONFIDENCE:.0%} confidence (unsure):",
        "",
        f"| not a digit | n | {header} |",
        f"| --- | --- | {rule} |",
    ]
    for kind, row in report["not_digits"].items():
        cells = split_cells(
            [f["not_digits"][kind] for f in (report, tune)], ("not_a_digit", "refused_or_unsure")
        )
        lines.append(f"| {kind} | {row['n']} | {cells} |")
    header, rule = split_columns("read right", "read as one digit", "refused as not a digit")
    lines += [
        "",
        "Single digits, each kind its own draw of digits (bench/single_digits.py, kind_seed):",
        "",
        f"| digit kind | n | {header} |",
        f"| --- | --- | {rule} |",
    ]
    for kind, row in report["digits"].items():
        cells = split_cells(
            [f["digits"][kind] for f in (report, tune)], ("right", "one_digit", "not_a_digit")
        )
        lines.append(f"| {kind} | {row['n']} | {cells} |")
    blank = [
        f"{percent(f['blank']['nothing_drawn'])} of {f['blank']['n']} ({s})"
        for s, f in zip(SPLITS, (report, tune), strict=True)
    ]
    lines += ["", f"Blank pages answered nothing_drawn: {', '.join(blank)}."]
    if all("lines" in f for f in (report, tune)):
        names = ("words_refused_or_unsure", "with_a_letter_exact", "with_a_letter_guessed")
        header, rule = split_columns(
            "words refused or unsure",
            "numbers with a letter read as their digits",
            "read with a digit too many",
        )
        cells = split_cells([f["lines"] for f in (report, tune)], names)
        lines += [
            "",
            "Lines that hold what is not a digit (bench/junk_in_lines.py):",
            "",
            f"| n | {header} |",
            f"| --- | {rule} |",
            f"| {report['lines']['n']} | {cells} |",
        ]
    return lines


def numbers(results: dict) -> list[str]:
    """Return numbers read exactly per gap kind on both splits, then the report split in detail."""
    title = "Numbers"
    figures = by_split(results, "numbers")
    if figures is None:
        return missing(title)
    report, tune = (figures[s] for s in SPLITS)
    header, rule = split_columns("exact number", "digit-level", "count right")
    lines = [
        "",
        f"{title} of 2-6 digits (bench/numbers.py: {report['n_per_gap_and_format']} per gap kind"
        " and format on each split):",
        "",
        f"| gaps | {header} |",
        f"| --- | {rule} |",
    ]
    for gap in report["numbers"]:
        cells = split_cells(
            [f["numbers"][gap] for f in (report, tune)], ("exact", "digits", "count")
        )
        lines.append(f"| {gap} | {cells} |")
    lines += ["", "The report split in detail:", "", numbers_table(report)]
    return lines


def model(speed: dict | None, metrics: dict | None) -> list[str]:
    """Return the model's own figures: model/metrics.json (the card's) and bench/model.json."""
    if not metrics or not speed:
        return ["The model: " + NOT_MEASURED + " (and make model for model/metrics.json)."]
    served, kinds = metrics["test_served"], metrics["realistic"]
    lowest = min(kinds, key=kinds.get)
    design = metrics["model"]
    if "hidden" in metrics["parameters"]:
        count = perceptron_count(metrics["parameters"])
        design += f", {count} perceptrons averaged" if count > 1 else ""
        design += f", {hidden_layers_text(metrics['parameters']['hidden'])} units"
    lines = [
        f"The model `{metrics['version']}` ({design}, on {metrics['parameters']['feature_set']}"
        f" features; model/README.md, its card, says how it was trained): {served['accuracy']:.2%}"
        " on the 10,000 MNIST test digits as served (each through the function's preprocessing"
        f" first); {min(kinds.values()):.1%} to {max(kinds.values()):.1%} on the realistic kinds"
        f" ({metrics['realistic_n']} each, {_drawn_from(metrics)}, lowest {lowest});"
        f" a {metrics['artifact']['bytes'] / 1e6:.1f} MB artifact."
    ]
    if "forest" in metrics:
        lines[0] += (
            f" The forest (`MODEL=forest make model`) reads"
            f" {metrics['forest']['test_served']['accuracy']:.2%} as served."
        )
    timed = f"{speed['command']} ({speed['machine']}; bench/model.json)"
    if speed["version"] != metrics["version"]:
        lines[0] += f" Its speed is not measured yet ({timed} timed `{speed['version']}`)."
    else:
        lines[0] += (
            f" Import + load in a fresh process {speed['cold_load_seconds']:.2f} s, one image"
            f" {speed['single_ms_median']:.2f} ms, the 10,000 test images"
            f" {speed['batch_10k_seconds']:.2f} s as a batch: {timed}."
        )
    return lines


def _drawn_from(metrics: dict) -> str:
    """Where the card's realistic inputs came from: a split of bench/heldout.py, or a seed."""
    if "realistic_split" in metrics:
        return f"the {metrics['realistic_split']} split"
    return f"seed {metrics['realistic_seed']}"

"""Phone photos in the bench's report: the photo bench's sets on both splits, and one 12 MP photo.

The sets are bench/photos.py's, read through the function's own code (bench/photo_runner.py); the
12 MP photo is timed and its peak memory measured in a fresh process (bench/photo_memory.py), as
the JPEG a phone sends and re-encoded as HEIC and AVIF.
"""

from __future__ import annotations

from bench.photo_runner import memory_sentence
from bench.report_recognizer import SPLITS, by_split, missing, split_cells, split_columns


def photos(results: dict) -> list[str]:
    """Return each photo set's figures on both splits, then the 12 MP photo's time and memory."""
    title = "Phone photos"
    figures = by_split(results, "photos")
    if figures is None:
        return missing(title)
    report, tune = (figures[s] for s in SPLITS)
    header, rule = split_columns("exact", "digit-level")
    lines = [
        "",
        f"{title} of handwriting with known truth (bench/photos.py: MNIST test digits of each split"
        " redrawn in pen on paper, photographed; all factors: every paper, pen, shadow, tilt,"
        f" blur, noise and JPEG at once), {report['n']} photos a set ({report['full_size_n']} for"
        " full_size, 12 MP); blank_fills and blank_desk are all_fills' and all_desk's photos with"
        " nothing written, and exact there is the share answered with nothing:",
        "",
        f"| set | n | {header} | nothing found / refused, report | ms (median), report |",
        f"| --- | --- | {rule} | --- | --- |",
    ]
    for name, row in report["sets"].items():
        cells = split_cells(
            [f["sets"].get(name, {}) for f in (report, tune)], ("exact", "digit_level")
        )
        lines.append(
            f"| {name} | {row['n']} | {cells} | {row['nothing']} | {row['median_ms']:.0f} |"
        )
    memory = report.get("memory") or {}
    if memory:
        lines.append("")
        lines += [f"- {memory_sentence(figures)}" for figures in memory.values()]
    return lines

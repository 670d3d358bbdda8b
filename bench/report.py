"""The bench's report: bench/results.json, and bench/RESULTS.md and the README's figures from it.

The figures live in bench/results.json (and the model's own in model/metrics.json and
bench/model.json); bench/RESULTS.md and the README's measured figures (between the bench
markers, nowhere else) are rendered from them by ``write_summaries``. Each section renders in a
module of its own: report_targets (the goals, judged), report_serving (the function against the
reference), report_recognizer (what it reads, per split) and report_photos (phone photos).
"""

from __future__ import annotations

import json
from pathlib import Path

from bench import report_photos, report_recognizer, report_serving, report_targets
from bench.batch import markdown as batch_markdown
from bench.cost import TARGET_CHEAPER
from bench.cost import markdown as cost_markdown

REPO = Path(__file__).resolve().parents[1]
RESULTS_JSON = REPO / "bench" / "results.json"
RESULTS_MD = REPO / "bench" / "RESULTS.md"
MODEL_SPEED_JSON = REPO / "bench" / "model.json"
MODEL_METRICS_JSON = REPO / "model" / "metrics.json"
README = REPO / "README.md"
README_START = "<!-- bench:start (written by make bench) -->"
README_END = "<!-- bench:end -->"

# Kept here for the tests and callers that read them from the report.
targets = report_targets.targets
lambda_targets = report_targets.lambda_targets
lambda_rows = report_serving.lambda_rows


def render(results: dict, speed: dict | None = None, metrics: dict | None = None) -> str:
    """Return the Markdown summary of ``results``, with the model's ``speed`` and ``metrics``."""
    lines = report_recognizer.model(speed, metrics)
    if "date" not in results:
        lines += ["", f"The bench: {report_targets.NOT_MEASURED}."]
        return "\n".join(lines) + "\n"
    lines += [
        "",
        f"Measured by `{results['command']}` on {results['machine']}, {results['date']},"
        f" commit {results.get('commit', 'unknown')}{_durations(results)}.",
        "",
        report_targets.table(results),
    ]
    if "cold_start_server_s" in results.get("digits", {}):
        lines += report_serving.table(results)
    else:
        lines += report_recognizer.missing("The function against the reference")
    lines += report_recognizer.accuracy(results)
    lines += report_recognizer.refusals(results)
    lines += report_recognizer.numbers(results)
    lines += report_photos.photos(results)
    if "batch" in results:
        lines += ["", "Batches (bench/batch.py, target: at least 2x the images per second):", ""]
        lines.append(batch_markdown(results["batch"]))
    cost = results.get("cost")
    lines += [
        "",
        f"Cost on Lambda (bench/cost.py; target: batches at least {TARGET_CHEAPER:g}x cheaper):",
        "",
        cost_markdown(cost) if cost else f"{report_targets.NOT_MEASURED}.",
    ]
    return "\n".join(lines) + "\n"


def _durations(results: dict) -> str:
    """Return how long each section took, if the run kept it."""
    sections = results.get("section_seconds")
    if not sections:
        return ""
    return "; sections took " + ", ".join(f"{name} {s:.0f} s" for name, s in sections.items())


def update_readme(summary: str, readme: Path | None = None) -> None:
    """Write ``summary`` between the bench markers of the README (after the placeholder)."""
    readme = readme or README
    text = readme.read_text()
    block = f"{README_START}\n{summary}{README_END}"
    if README_START in text and README_END in text:
        before, rest = text.split(README_START, 1)
        after = rest.split(README_END, 1)[1]
        text = before + block + after
    else:
        anchor = "<!-- figures: model, bench -->"
        if anchor not in text:
            raise RuntimeError("README has neither the bench markers nor the figures placeholder")
        text = text.replace(anchor, f"{anchor}\n\n{block}", 1)
    readme.write_text(text)


def save(results: dict, path: Path = RESULTS_JSON) -> None:
    """Write ``results`` to bench/results.json."""
    path.write_text(json.dumps(results, indent=2) + "\n")


def load(path: Path = RESULTS_JSON) -> dict:
    """Return the results bench/results.json holds."""
    return json.loads(path.read_text())


def _read(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.is_file() else None


def write_summaries(results: dict, path: Path = RESULTS_JSON) -> str:
    """Write the summary of ``results`` (read from ``path``) and return it.

    For bench/results.json: bench/RESULTS.md and the README's figures; for results elsewhere (a
    partial run's, say), only a Markdown file beside them, so that the README keeps the
    committed figures.
    """
    summary = render(results, _read(MODEL_SPEED_JSON), _read(MODEL_METRICS_JSON))
    committed = path.resolve() == RESULTS_JSON
    results_md = RESULTS_MD if committed else path.with_suffix(".md")
    results_md.write_text(
        f"# Measured figures\n\nWritten by `make bench`; the numbers are in {path.name}.\n\n"
        + summary
    )
    if committed:
        update_readme(summary)
    return summary

"""Print outcomes as JSON lines, CSV or a table, and the summary of what failed."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from typing import TextIO

from digits_client.predicting import Outcome

FORMATS = ("jsonl", "csv", "table")
CSV_COLUMNS = ("file", "digit", "confidence", "key", "receipt", "error_code", "error_message")
# The summary names this many reasons, and this many files for each.
SUMMARY_REASONS = 10
SUMMARY_FILES = 5


def record(outcome: Outcome) -> dict:
    """Return the JSON line of ``outcome``: the file and the digit, or the file and its error."""
    if outcome.error is not None:
        return {"file": outcome.file, "error": outcome.error}
    answer = outcome.answer or {}
    line = {
        "file": outcome.file,
        "digit": answer.get("digit"),
        "confidence": answer.get("confidence"),
        "key": (answer.get("image") or {}).get("key"),
        "receipt": answer.get("receipt"),
        "saved": answer.get("saved"),
    }
    if answer.get("warning"):
        line["warning"] = answer["warning"]
    return line


class Writer:
    """Writes outcomes to ``stream`` in one of FORMATS; ``close`` finishes the output."""

    def __init__(self, stream: TextIO, format: str = "jsonl") -> None:
        if format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}")
        self.stream, self.format = stream, format
        self._rows: list[tuple[str, ...]] = []
        self._csv = csv.writer(stream, lineterminator="\n") if format == "csv" else None
        if self._csv is not None:
            self._csv.writerow(CSV_COLUMNS)

    def write(self, outcome: Outcome) -> None:
        """Write the line of one outcome (a table is written whole on ``close``)."""
        if self.format == "jsonl":
            self.stream.write(json.dumps(record(outcome)) + "\n")
        elif self.format == "csv":
            line = record(outcome)
            error = line.get("error") or {}
            values = [line.get(c) for c in CSV_COLUMNS[:5]] + [
                error.get("code"),
                error.get("message"),
            ]
            self._csv.writerow(["" if v is None else v for v in values])
        else:
            self._rows.append(_table_row(outcome))
        self.stream.flush()

    def close(self) -> None:
        """Write what is held back: the table, aligned."""
        if self.format == "table":
            self.stream.write(table([("file", "digit", "confidence", "key or error"), *self._rows]))
            self.stream.flush()


def _table_row(outcome: Outcome) -> tuple[str, ...]:
    if outcome.error is not None:
        return (outcome.file, "-", "-", f"{outcome.error['code']}: {outcome.error['message']}")
    line = record(outcome)
    confidence = line["confidence"]
    shown = f"{confidence:.2f}" if isinstance(confidence, int | float) else "-"
    return (outcome.file, str(line["digit"]), shown, line["key"] or "(not saved)")


def table(rows: Sequence[Sequence[str]]) -> str:
    """Return ``rows`` as text columns, each as wide as its widest cell (the last one unpadded)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = [
        "  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    ]
    return "\n".join(lines) + "\n"


def summary(total: int, failed: Sequence[Outcome]) -> str:
    """Return what the run did in a few lines: how many failed, and why, naming the files."""
    if not failed:
        return f"{total} files predicted"
    reasons: dict[tuple[str, str], list[str]] = {}
    for outcome in failed:
        reasons.setdefault((outcome.error["code"], outcome.error["message"]), []).append(
            outcome.file
        )
    lines = [f"{len(failed)} of {total} files failed:"]
    for (code, message), files in list(reasons.items())[:SUMMARY_REASONS]:
        shown = ", ".join(files[:SUMMARY_FILES])
        more = f" and {len(files) - SUMMARY_FILES} more" if len(files) > SUMMARY_FILES else ""
        lines.append(f"  {code} ({message}): {shown}{more}")
    if len(reasons) > SUMMARY_REASONS:
        lines.append(
            f"  ... {len(reasons) - SUMMARY_REASONS} other reasons; each file has its line"
        )
    return "\n".join(lines)

"""One structured log line per request: what an operator queries, never what a visitor sent.

``api.handle`` emits it once per request on the ``digits.request`` logger, its fields as the
record's extras. On Lambda (``LogFormat: JSON``) the runtime's formatter writes them as top-level
JSON keys beside its own ``requestId``; locally ``log_to`` writes the same keys as JSON lines
(functions-framework's stdout under ``make dev``). Fields are chosen from the answer, never copied
wholesale: no image bytes, preview, receipt, key or URL ever reaches a log.
"""

from __future__ import annotations

import json
import logging
import sys
import uuid
from datetime import UTC, datetime
from typing import TextIO

log = logging.getLogger("digits.request")
MESSAGE = "request"
# What one prediction contributes to the line, taken from its JSON answer.
PREDICTION_FIELDS = ("digit", "number", "confidence", "saved")
# What each prediction of a batch contributes to the batch's one line.
SUMMARY_FIELDS = ("digit", "number", "confidence")
MAX_PATH_CHARS = 200


def request_id(environ: dict) -> str:
    """Return Lambda's request id when apig-wsgi passed its context, else a new one."""
    context = environ.get("apig_wsgi.context")
    return getattr(context, "aws_request_id", None) or uuid.uuid4().hex


def fields(
    *,
    route: str | None,
    method: str,
    path: str,
    status: int,
    latency_ms: float,
    answer: dict | None,
    request_id: str,
) -> dict:
    """Return the line's fields for one request and its JSON ``answer`` (None if not JSON)."""
    line = {
        "route": route,
        "method": method,
        "path": path[:MAX_PATH_CHARS],
        "status": status,
        "latency_ms": round(latency_ms, 2),
        "request_id": request_id,
    }
    if not isinstance(answer, dict):
        return line
    error = answer.get("error")
    if isinstance(error, dict):
        line["error"] = error.get("code")
    results = answer.get("results")
    if isinstance(results, list):
        line.update(_batch(results))
    else:
        line.update(_prediction(answer))
    return line


def _prediction(answer: dict) -> dict:
    part = {name: answer[name] for name in PREDICTION_FIELDS if name in answer}
    if part.get("confidence") is None and "number_confidence" in answer:
        # A number has no one digit's confidence: its line carries the number's.
        part["confidence"] = answer["number_confidence"]
    model = answer.get("model")
    if isinstance(model, dict) and "version" in model:
        part["model_version"] = model["version"]
    return part


def _batch(results: list) -> dict:
    predictions = [_prediction(r) for r in results if isinstance(r, dict) and "saved" in r]
    part = {
        "images": len(results),
        "predictions": [{k: p[k] for k in SUMMARY_FIELDS if k in p} for p in predictions],
        # One line per request: the batch counts as saved only if every prediction was.
        "saved": all(p["saved"] for p in predictions),
    }
    versions = {p["model_version"] for p in predictions if "model_version" in p}
    if len(versions) == 1:
        part["model_version"] = versions.pop()
    return part


def emit(line: dict) -> None:
    """Log the request's line at INFO, its fields as the record's extras."""
    log.info(MESSAGE, extra=line)


# LogRecord's own attributes: whatever else a record holds came in as an extra.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


class JsonLines(logging.Formatter):
    """Format a record as one JSON line shaped like Lambda's JSON log format, extras as keys."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a JSON object on one line."""
        moment = datetime.fromtimestamp(record.created, tz=UTC)
        document = {
            "timestamp": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
        }
        document.update(
            (key, value) for key, value in vars(record).items() if key not in _RECORD_ATTRIBUTES
        )
        if record.exc_info:
            document["errorType"] = record.exc_info[0].__name__
            document["stackTrace"] = self.formatException(record.exc_info).splitlines()
        return json.dumps(document, default=str)


class _CurrentStdout(logging.StreamHandler):
    """A handler on whatever sys.stdout is when a record comes (tests swap it)."""

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def log_to_stdout() -> None:
    """Print the request lines as JSON lines on stdout, once per process (outside Lambda)."""
    if any(isinstance(handler, _CurrentStdout) for handler in log.handlers):
        return
    handler = _CurrentStdout()
    handler.setFormatter(JsonLines())
    log.addHandler(handler)
    log.setLevel(logging.INFO)

"""make bench's cold-start steps (bench/cold_start.py) time the init that lambda_handler.py runs:
the same packages deferred, the collector paused. The steps are written out by hand so that each
can be timed; this keeps them from drifting from the handler's."""

from __future__ import annotations

import re
from pathlib import Path

from bench.cold_start import COLD_STEPS_SNIPPET

HANDLER = Path(__file__).resolve().parents[2] / "functions" / "lambda_handler.py"
DEFERRED = re.compile(r"""^\s*defer\(["'](\w+)["']\)""", re.MULTILINE)


def test_the_steps_defer_what_the_handler_defers():
    handler = HANDLER.read_text()
    deferred = DEFERRED.findall(handler)
    assert deferred, "the handler defers no package: the pattern no longer matches it"
    assert DEFERRED.findall(COLD_STEPS_SNIPPET) == deferred


def test_the_steps_pause_the_collector_as_the_handler_does():
    assert re.search(r"^gc\.disable\(\)", HANDLER.read_text(), re.MULTILINE)
    assert re.search(r"^gc\.disable\(\)", COLD_STEPS_SNIPPET, re.MULTILINE)

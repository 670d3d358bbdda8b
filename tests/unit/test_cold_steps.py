"""make bench's cold-start steps (bench/cold_start.py) time the init that lambda_handler.py runs:
the same packages deferred, the collector paused. The steps are written out by hand so that each
can be timed; this keeps them from drifting from the handler's. The modules timed are compiled
first, as a deployed package's are."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

from bench.cold_start import COLD_STEPS_SNIPPET, compile_sources

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


def test_sources_are_compiled_where_imports_write_no_bytecode(tmp_path, monkeypatch):
    # PYTHONDONTWRITEBYTECODE, as on this project's machines: the cold starts measured would
    # compile the function's modules from source, which a deployed package never does.
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    module = tmp_path / "package" / "module.py"
    module.parent.mkdir()
    module.write_text("ANSWER = 42\n")
    compile_sources((tmp_path,))
    assert Path(importlib.util.cache_from_source(str(module))).is_file()

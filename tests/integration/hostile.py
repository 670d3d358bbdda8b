"""What the hostile-input tests share: limits, the JSON-error check, a request's peak memory."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from hypothesis import HealthCheck, settings

from digits.config import Settings

MAIN = Path(__file__).resolve().parents[2] / "functions" / "main.py"

BUCKET = "digits-hostile"
OK_STATUSES = {200, 400, 413, 415, 422}
MB = 1024 * 1024
# Inputs that are refused from their first bytes must not cost memory.
SMALL_GROWTH = 32 * MB
# Any accepted image may be decoded whole: the bound is the configured pixel limit at 4 bytes per
# pixel (RGBA), plus working space.
DEFAULTS = Settings.from_env({})
IMAGE_GROWTH = DEFAULTS.max_pixels * 4 + 64 * MB
HYPOTHESIS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,  # the same examples on every CI run; widen locally with a seed if needed
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def vm(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


@contextlib.contextmanager
def calls_to(function: Callable) -> Iterator[list[str]]:
    """Yield a list of the image formats ``function`` (a method) is called on in this thread.

    It watches through sys.setprofile, as a profiler does: ``function`` itself is not replaced.
    """
    code = function.__code__
    called: list[str] = []

    def watch(frame, event, _arg):
        if event == "call" and frame.f_code is code:
            called.append(str(getattr(frame.f_locals.get("self"), "format", None)))

    previous = sys.getprofile()
    sys.setprofile(watch)
    try:
        yield called
    finally:
        sys.setprofile(previous)


def peak_growth(action):
    """Run ``action``; return its result and how far the peak RSS rose above the RSS before it."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # resets VmHWM to the current RSS
    before = vm("VmRSS:")
    result = action()
    return result, vm("VmHWM:") - before


def post(app, path: str, body: bytes, content_type: str | None):
    """POST ``body``; return the response after checking it is never a 500 and errors are JSON."""
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = app.post(path, data=body, headers=headers)
    assert response.status_code < 500, response.get_data()[:300]
    assert response.mimetype == "application/json"
    document = response.get_json()
    if response.status_code >= 400:
        assert set(document) == {"error"}
        assert isinstance(document["error"]["code"], str)
        assert isinstance(document["error"]["message"], str)
        assert "Traceback" not in response.get_data(as_text=True)
    return response


def check_prediction_or_error(response) -> None:
    assert response.status_code in OK_STATUSES
    if response.status_code == 200:
        document = response.get_json()
        assert document["digit"] in range(10)
        assert abs(sum(document["probabilities"]) - 1) < 1e-6

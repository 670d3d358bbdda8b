"""The time a request has left, so that every request answers before the function's timeout.

On Lambda the invocation's context says how long is left; elsewhere the request gets the
settings' timeout (``FUNCTION_TIMEOUT``, standing in for template.yaml's Timeout) from its start.
A step that cannot finish in the time left is not started: ``OutOfTime`` says so, with what was
and was not stored, and the HTTP layer answers 503 with Retry-After.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

# Kept back from the time left for answering: serialising the answer and Lambda's return.
ANSWER_SECONDS = 0.5


class OutOfTime(Exception):
    """A step could not be started in the time the request had left.

    ``details`` say what was and was not stored, as fields of the answer's JSON body.
    """

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


@dataclass(frozen=True)
class Deadline:
    """When a request must have answered: ``seconds_left`` is read anew each time it is asked."""

    seconds_left: Callable[[], float]

    @classmethod
    def after(cls, seconds: float, clock: Callable[[], float] = time.monotonic) -> Deadline:
        """Return the deadline ``seconds`` from now on ``clock``."""
        end = clock() + seconds
        return cls(lambda: end - clock())

    @classmethod
    def of_invocation(cls, context) -> Deadline:
        """Return the deadline of a Lambda invocation, from its context."""
        return cls(lambda: context.get_remaining_time_in_millis() / 1000)

    def less(self, seconds: float) -> Deadline:
        """Return this deadline ``seconds`` earlier: time kept back for a last step."""
        return Deadline(lambda: self.seconds_left() - seconds)

    def remaining(self) -> float:
        """Return the seconds left for work, the answer's own time kept back (never negative)."""
        return max(0.0, self.seconds_left() - ANSWER_SECONDS)

    def require(self, seconds: float, step: str, **details: object) -> None:
        """Raise OutOfTime, with ``details``, unless ``seconds`` are left for ``step``."""
        if self.remaining() < seconds:
            raise OutOfTime(
                f"the function ran out of time before {step} ({self.remaining():.1f} s left, "
                f"{seconds:.1f} s needed)",
                **details,
            )


# For work outside any request (the SnapStart warm-up, tools): all the time there is.
UNLIMITED = Deadline(lambda: math.inf)

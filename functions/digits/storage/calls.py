"""S3 clients whose calls fit the time a request has left.

botocore fixes a client's timeouts and retries when the client is made. The store therefore keeps
a ladder of limits, from the settings' own (S3_CONNECT_TIMEOUT, S3_READ_TIMEOUT, S3_MAX_ATTEMPTS)
down to one short attempt, and sends each call through the first client whose worst case fits the
time left; a call that cannot fit is not made (OutOfTime). The first client is made with the
store, the others the first time they are needed, all from one botocore session: another client
from a session that has made one takes milliseconds, a new session a few hundred.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass

from digits.config import Settings
from digits.deadline import Deadline, OutOfTime

# botocore's standard retry mode waits up to min(2 ** (n - 1), 20) s before retry n (throttling;
# less otherwise). S3 sends no x-amz-retry-after, which could add up to 5 s more.
MAX_BACKOFF_SECONDS = 20
# The ladder stops halving the timeouts below this: a shorter read would fail healthy calls.
SHORTEST_READ_SECONDS = 0.5


@dataclass(frozen=True)
class CallLimits:
    """One client's limits on each call: attempts, and each attempt's connect and read timeouts."""

    attempts: int
    connect: float
    read: float

    @classmethod
    def of(cls, settings: Settings) -> CallLimits:
        """Return the limits the settings give."""
        return cls(settings.s3_max_attempts, settings.s3_connect_timeout, settings.s3_read_timeout)

    def worst_seconds(self) -> float:
        """Return the longest a call can take: every attempt timing out, with the waits between."""
        waits = sum(min(2**n, MAX_BACKOFF_SECONDS) for n in range(self.attempts - 1))
        return self.attempts * (self.connect + self.read) + waits

    def applied_to(self, settings: Settings) -> Settings:
        """Return ``settings`` with these limits."""
        return dataclasses.replace(
            settings,
            s3_max_attempts=self.attempts,
            s3_connect_timeout=self.connect,
            s3_read_timeout=self.read,
        )


def ladder(first: CallLimits) -> tuple[CallLimits, ...]:
    """Return ``first``, then fewer attempts down to one, then that attempt's timeouts halved."""
    rungs = [first]
    while rungs[-1].attempts > 1:
        rungs.append(dataclasses.replace(rungs[-1], attempts=rungs[-1].attempts - 1))
    while rungs[-1].read / 2 >= SHORTEST_READ_SECONDS:
        last = rungs[-1]
        rungs.append(CallLimits(1, last.connect / 2, last.read / 2))
    return tuple(rungs)


class Clients:
    """S3 clients on a ladder of limits; each call goes to the first that fits the time left."""

    def __init__(self, first_client, limits: tuple[CallLimits, ...], make: Callable) -> None:
        """``make(limits)`` makes a client with ``limits``; ``first_client`` has ``limits[0]``."""
        self.limits = limits
        self._clients = {0: first_client}
        self._make = make
        self._making = threading.Lock()

    @classmethod
    def single(cls, client) -> Clients:
        """Return a one-rung ladder of ``client`` (its own config's limits)."""
        config = client.meta.config
        retries = config.retries or {}
        # botocore's max_attempts counts retries; total_max_attempts, the first attempt too.
        attempts = retries.get("total_max_attempts", retries.get("max_attempts", 4) + 1)
        limits = CallLimits(attempts, config.connect_timeout, config.read_timeout)
        return cls(client, (limits,), make=lambda limits: client)

    @property
    def first(self):
        """Return the client with the settings' own limits."""
        return self._clients[0]

    def shortest_seconds(self) -> float:
        """Return the worst case of the shortest call the ladder can make."""
        return self.limits[-1].worst_seconds()

    def within(self, deadline: Deadline, step: str, **details: object):
        """Return the client whose calls fit ``deadline``; OutOfTime (with ``details``) if none."""
        left = deadline.remaining()
        for rung, limits in enumerate(self.limits):
            if limits.worst_seconds() <= left:
                return self._client(rung)
        raise OutOfTime(
            f"the function ran out of time before {step} ({left:.1f} s left; the shortest S3 "
            f"call may take {self.shortest_seconds():.1f} s)",
            **details,
        )

    def _client(self, rung: int):
        client = self._clients.get(rung)
        if client is None:
            with self._making:
                client = self._clients.get(rung)
                if client is None:
                    client = self._clients[rung] = self._make(self.limits[rung])
        return client

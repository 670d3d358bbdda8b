"""HTTP to the function: one requests session per thread, retried by urllib3's ``Retry``.

429, 503, 409 (a repeat that found its first attempt still at work) and dropped connections are
retried with exponential backoff and jitter; a ``Retry-After`` from the server is honoured (up to
``max_wait``). Every POST carries an ``Idempotency-Key`` of its own, the same on each retry, so
that the function stores an image or a label once however often it is sent. When the retries run
out the last answer is returned (429, 503, 409) or ``Unreachable`` is raised, with a message that
says so.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from itertools import takewhile

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InvalidHeader
from urllib3.util.retry import Retry

RETRY_STATUSES = frozenset({409, 429, 503})
IDEMPOTENCY_KEY = "Idempotency-Key"
USER_AGENT = "digits-client/0.1"

Listener = Callable[[str], None]


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: retries after the first attempt, the backoff base and the longest wait."""

    retries: int = 5
    backoff: float = 0.5
    max_wait: float = 60.0
    connect_timeout: float = 5.0
    read_timeout: float = 60.0


class Unreachable(Exception):
    """No answer from the server, even after the retries."""


class ReportingRetry(Retry):
    """urllib3's Retry that backs off before the first retry too, and reports every wait.

    urllib3 retries the first time at once; a throttled server is better left alone a moment.
    The wait is ``backoff * 2**(n-1)`` plus up to ``backoff`` of jitter before retry ``n``, or
    the server's ``Retry-After``; both at most ``max_wait`` (urllib3's backoff_max and
    retry_after_max).
    """

    def __init__(self, *args, listener: Listener | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.listener = listener

    def new(self, **kw) -> ReportingRetry:
        retry = super().new(**kw)
        retry.listener = self.listener
        return retry

    def get_backoff_time(self) -> float:
        consecutive = len(
            list(takewhile(lambda h: h.redirect_location is None, self.history[::-1]))
        )
        if consecutive == 0:
            return 0.0
        value = self.backoff_factor * 2 ** (consecutive - 1)
        value += random.random() * self.backoff_jitter
        return float(min(self.backoff_max, value))

    def wait_before_retry(self, response=None) -> tuple[float, str]:
        """Return how long to wait before the next attempt, and why."""
        if self.respect_retry_after_header and response is not None:
            try:
                retry_after = self.get_retry_after(response)
            except InvalidHeader:  # neither seconds nor a date: as if there were none
                retry_after = None
            if retry_after is not None:
                return retry_after, "as the server's Retry-After asks"
        return self.get_backoff_time(), "backing off"

    def sleep(self, response=None) -> None:
        wait, why = self.wait_before_retry(response)
        if self.listener is not None:
            last = self.history[-1] if self.history else None
            cause = _describe(last.status, last.error) if last else "a failed attempt"
            done = len(self.history)
            limit = done + (self.total if isinstance(self.total, int) else 0)
            self.listener(f"{cause}; retry {done} of {limit} in {wait:.2f} s ({why})")
        if wait > 0:
            time.sleep(wait)


def _describe(status: int | None, error: Exception | None) -> str:
    if status is not None:
        return f"HTTP {status}"
    reason = getattr(error, "reason", None) or error
    return f"connection failed ({type(reason).__name__})"


def make_retry(policy: RetryPolicy, listener: Listener | None = None) -> ReportingRetry:
    """Return the Retry that carries ``policy`` out, reporting each wait to ``listener``."""
    return ReportingRetry(
        total=policy.retries,
        connect=policy.retries,
        # A connection dropped after the request went out is a read error: POST is retried too,
        # with its Idempotency-Key, so the function answers it once (Client.post).
        read=policy.retries,
        redirect=0,
        status=policy.retries,
        other=0,
        allowed_methods=None,
        status_forcelist=RETRY_STATUSES,
        backoff_factor=policy.backoff,
        backoff_jitter=policy.backoff,
        backoff_max=policy.max_wait,
        retry_after_max=policy.max_wait,
        respect_retry_after_header=True,
        raise_on_status=False,
        listener=listener,
    )


@dataclass(frozen=True)
class Answer:
    """The server's answer: its status, its JSON body (None if not JSON) and its text."""

    status: int
    body: object
    text: str


class Client:
    """Posts to the function at ``url``; safe to share between threads (one session per thread)."""

    def __init__(
        self, url: str, policy: RetryPolicy | None = None, listener: Listener | None = None
    ) -> None:
        self.url = url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self.listener = listener
        self._local = threading.local()

    def post(self, path: str, **kwargs) -> Answer:
        """POST to ``path`` (``requests`` keyword arguments); raise Unreachable on no answer.

        The request carries a new Idempotency-Key, which urllib3 sends again with every retry.
        """
        url = f"{self.url}{path}"
        timeout = (self.policy.connect_timeout, self.policy.read_timeout)
        headers = {IDEMPOTENCY_KEY: str(uuid.uuid4()), **kwargs.pop("headers", {})}
        try:
            response = self._session().post(url, timeout=timeout, headers=headers, **kwargs)
        except requests.RequestException as error:
            raise Unreachable(
                f"no answer from {url} after {self.policy.retries} retries: {_reason(error)}"
            ) from error
        try:
            body = response.json()
        except ValueError:
            body = None
        return Answer(response.status_code, body, response.text)

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["User-Agent"] = USER_AGENT
            adapter = HTTPAdapter(max_retries=make_retry(self.policy, self.listener))
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self._local.session = session
        return session


def _reason(error: BaseException) -> str:
    """Return the innermost cause of a requests/urllib3 error, in words."""
    while error.args and isinstance(error.args[0], BaseException):
        error = error.args[0]
    reason = getattr(error, "reason", None)
    if isinstance(reason, BaseException):
        error = reason
    return f"{type(error).__name__}: {error}"

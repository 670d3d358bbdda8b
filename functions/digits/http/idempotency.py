"""``Idempotency-Key`` on the POST routes that store: a repeat gets the first answer, no more.

A sender that may send a request twice (a retry after a timeout or a dropped connection) sends a
key of its own making with it, a UUID say, and the same key with every repeat. The key is all that
ties a repeat to its first attempt (there are no accounts): whoever holds it is the sender, for a
day. The first attempt claims the key with a conditional write (digits.storage.idempotency)
before it stores anything, and records its answer; a repeat with the same body gets that answer
(``Idempotent-Replayed: true``, links to images signed anew), one that finds the first attempt
still at work waits a moment for it and else gets 409 ``in_progress`` with Retry-After, and one
with a different body under the same key gets 422 ``idempotency_key_reused``: the key names one
request, and a different one is a mistake the sender must fix, not something to wait out (409).

An attempt that ends without a final answer (out of time, S3 failing, a bug) leaves the key open
with what it got done, so that a repeat does only the rest: a batch's images already stored are
answered as they were, a label already stored is not stored twice.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from werkzeug.wrappers import Request, Response

from digits.deadline import Deadline, OutOfTime
from digits.errors import BadRequest, RequestError
from digits.http.responses import RETRY_AFTER_SECONDS, JsonResponse, error_response, json_response
from digits.instance import Instance
from digits.storage.errors import StorageUnavailable
from digits.storage.idempotency import DONE, OPEN, Record, Records, expired, record_key
from digits.storage.images import ImageStore

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
MAX_KEY_CHARS = 255
# A repeat that finds the first attempt at work looks again after each of these waits.
WAITS_SECONDS = (0.05, 0.1, 0.2, 0.4, 0.8)


class InProgress(RequestError):
    status, code = 409, "in_progress"


class KeyReused(RequestError):
    status, code = 422, "idempotency_key_reused"


@dataclass(frozen=True)
class Outcome:
    """An attempt's answer; ``final``: a repeat gets it as it is, else does what is left.

    ``progress`` is what the attempt got done, for a repeat (JSON).
    """

    response: JsonResponse
    final: bool = True
    progress: dict = field(default_factory=dict)


# Given the plan made when the key was first claimed, an earlier attempt's progress, and the
# deadline the attempt must keep.
Attempt = Callable[[dict, dict, Deadline], Outcome]


def fingerprint(*parts: bytes | str) -> str:
    """Return the digest that tells one request's content from another's."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def answer(
    request: Request,
    instance: Instance,
    deadline: Deadline,
    route: str,
    content: str,
    attempt: Attempt,
    plan: Callable[[], dict] = dict,
) -> Response:
    """Answer ``attempt``'s way, once per Idempotency-Key when the request has one.

    ``content`` is the request's fingerprint; ``plan`` makes what every attempt of the request
    must share (where a label goes), once, when the key is first claimed.
    """
    key = idempotency_key(request)
    if key is None:
        return _attempted(attempt, {}, {}, deadline).response
    records = Records(instance.store)
    held = _hold(records, record_key(route, key), content, plan, deadline, instance)
    if held.state == DONE:
        return _replay(held, instance.store)
    # The attempt leaves time for recording its outcome: without it, a repeat would find the
    # key pending until it is stale.
    kept_back = deadline.less(instance.store.shortest_call_seconds())
    outcome = _attempted(attempt, held.plan, held.progress, kept_back)
    try:
        if outcome.final:
            body = _without_links(outcome.response.body)
            records.finish(held, outcome.response.status_code, body, _now(), deadline)
        else:
            records.reopen(held, outcome.progress, _now(), deadline)
    except (OutOfTime, StorageUnavailable) as error:
        # The answer still goes out; a repeat finds the key pending until it is stale.
        log.warning("could not record the answer under its Idempotency-Key: %s", error)
    return outcome.response


def idempotency_key(request: Request) -> str | None:
    """Return the request's Idempotency-Key (a quoted string or a bare token), None if none."""
    value = request.headers.get(HEADER)
    if value is None:
        return None
    key = value.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not (1 <= len(key) <= MAX_KEY_CHARS and all("!" <= c <= "~" for c in key)):
        raise BadRequest(
            f"{HEADER} must be 1 to {MAX_KEY_CHARS} visible ASCII characters: make a new one "
            "for each request (a UUID), and send it again with every repeat"
        )
    return key


def _hold(
    records: Records,
    key: str,
    content: str,
    plan: Callable[[], dict],
    deadline: Deadline,
    instance: Instance,
) -> Record:
    """Return the record of ``key`` held by this attempt, or the finished one to replay."""
    held = records.claim(key, content, plan(), _now(), deadline)
    waits = iter(WAITS_SECONDS)
    while held is None:
        record, moment = records.read(key, deadline), _now()
        if record is None:  # deleted meanwhile by the lifecycle rule
            held = records.claim(key, content, plan(), moment, deadline)
            continue
        if expired(record, moment):
            held = records.renew(record, content, plan(), moment, deadline)
            continue
        if record.fingerprint != content:
            raise KeyReused(
                f"this {HEADER} was used with a different request within a day; "
                "use a new key for a new request"
            )
        if record.state == DONE:
            return record
        # An open key, or one whose attempt stopped without a word (stale), is taken over.
        if record.state == OPEN or record.idle(moment).total_seconds() > _stale_seconds(instance):
            held = records.take(record, moment, deadline)
            continue
        wait = next(waits, None)
        if wait is None or deadline.remaining() < wait + instance.store.shortest_call_seconds():
            raise InProgress(
                f"a request with this {HEADER} is still being answered; "
                f"ask again in {RETRY_AFTER_SECONDS} s for its answer"
            )
        time.sleep(wait)
    return held


def _stale_seconds(instance: Instance) -> float:
    """Return how long a pending key may go unchanged before its attempt is taken to be gone."""
    return instance.settings.timeout_seconds + RETRY_AFTER_SECONDS


def _attempted(attempt: Attempt, plan: dict, progress: dict, deadline: Deadline) -> Outcome:
    """Return the attempt's outcome; its error, if it raised one, as its answer."""
    try:
        return attempt(plan, progress, deadline)
    except Exception as error:  # noqa: BLE001 -- error_response logs everything unexpected
        response = error_response(error)
        # Errors of the request itself (4xx) are its answer; anything else may go better.
        return Outcome(response, final=response.status_code < 500)


def _replay(record: Record, store: ImageStore) -> Response:
    """Return the recorded answer, with links to its images signed anew."""
    body = copy.deepcopy(record.answer or {})
    for answer in body.get("results", [body]):
        image = answer.get("image") if isinstance(answer, dict) else None
        if isinstance(image, dict) and image.get("key"):
            image["url"] = store.presigned_url(image["key"])
    return json_response(body, record.status or 200, {REPLAYED: "true"})


def _without_links(body: dict) -> dict:
    """Return ``body`` without its presigned links: they expire, and a replay signs new ones."""
    body = copy.deepcopy(body)
    for answer in body.get("results", [body]):
        image = answer.get("image") if isinstance(answer, dict) else None
        if isinstance(image, dict):
            image["url"] = None
    return body


def _now() -> datetime:
    return datetime.now(UTC)

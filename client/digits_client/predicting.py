"""Send the collected files to ``POST /predict/batch``, a few batches in flight, answers in order.

One bad image fails only itself (the server answers for each image); a batch that cannot be
sent fails its own images, and once the client gives up on the server (no answer, or still
throttled after the retries) the batches not yet sent are not sent at all.
"""

from __future__ import annotations

import mimetypes
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from digits_client import batching
from digits_client.files import Entry
from digits_client.transport import RETRY_STATUSES, Answer, Client, Unreachable

BATCH_PATH = "/predict/batch"
DEFAULT_CONCURRENCY = 4


@dataclass(frozen=True)
class Outcome:
    """What became of one file: the server's answer for it, or an error."""

    file: str
    answer: dict | None = None
    error: dict | None = None

    @property
    def ok(self) -> bool:
        """Say if the file was predicted."""
        return self.error is None


def predict(
    entries: Sequence[Entry],
    client: Client,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    max_images: int = batching.MAX_IMAGES,
    max_body: int = batching.MAX_BODY_BYTES,
    progress: Callable[[int], None] = lambda done: None,
) -> Iterator[Outcome]:
    """Yield one outcome per entry, in the entries' order, as soon as each is known.

    ``progress`` is called (in this thread) with the number of files just finished.
    """
    known: dict[int, Outcome] = {}
    for index, entry in enumerate(entries):
        if entry.error is not None:
            known[index] = Outcome(entry.name, error=entry.error)
        elif not batching.fits_alone(entry, max_body):
            message = f"{entry.size} bytes: over the body limit of {max_body} bytes (--max-body)"
            known[index] = Outcome(entry.name, error={"code": "too_large", "message": message})
    batches = batching.plan(entries, max_images, max_body)
    sender = _Sender(client)
    next_index = 0
    with ThreadPoolExecutor(concurrency, thread_name_prefix="digits-batch") as pool:
        futures: dict[Future, list[int]] = {
            pool.submit(sender.send, [entries[i] for i in batch]): batch for batch in batches
        }
        try:
            progress(len(known))
            for future in as_completed(futures):
                known.update(zip(futures[future], future.result(), strict=True))
                progress(len(futures[future]))
                while next_index in known:
                    yield known.pop(next_index)
                    next_index += 1
            while next_index in known:
                yield known.pop(next_index)
                next_index += 1
        finally:
            for future in futures:
                future.cancel()


class _Sender:
    """Sends batches, and stops sending once the server is given up on."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.gave_up = threading.Event()
        self.reason = ""

    def send(self, entries: list[Entry]) -> list[Outcome]:
        """Return the outcomes of one batch, in its order."""
        outcomes: list[Outcome | None] = [None] * len(entries)
        parts, positions = [], []
        for position, entry in enumerate(entries):
            try:
                data = entry.path.read_bytes()
            except OSError as error:
                message = error.strerror or str(error)
                outcomes[position] = Outcome(
                    entry.name, error={"code": "unreadable", "message": message}
                )
                continue
            parts.append(("file", (batching.entry_filename(entry), data, _content_type(entry))))
            positions.append(position)
        if parts:
            for position, outcome in zip(
                positions, self._post(entries, positions, parts), strict=True
            ):
                outcomes[position] = outcome
        return outcomes

    def _post(self, entries: list[Entry], positions: list[int], parts: list) -> list[Outcome]:
        names = [entries[p].name for p in positions]
        if self.gave_up.is_set():
            return _all_failed(names, "not_sent", f"not sent: gave up earlier ({self.reason})")
        try:
            answer = self.client.post(BATCH_PATH, files=parts)
        except Unreachable as error:
            return self._give_up(names, "unreachable", str(error))
        results = answer.body.get("results") if isinstance(answer.body, dict) else None
        # 503 with results: the function ran out of time, and says which images it stored.
        if answer.status in (200, 503) and isinstance(results, list) and len(results) == len(names):
            return [_outcome(name, result) for name, result in zip(names, results, strict=True)]
        code, message = _error_of(answer)
        if answer.status in RETRY_STATUSES:
            retries = self.client.policy.retries
            return self._give_up(names, code, f"gave up after {retries} retries: {message}")
        if answer.status == 404:
            message = (
                f"{self.client.url}{BATCH_PATH} answered 404: is the URL the digits function, "
                "deployed since POST /predict/batch was added?"
            )
            return self._give_up(names, code, message)
        return _all_failed(names, code, message)

    def _give_up(self, names: list[str], code: str, message: str) -> list[Outcome]:
        if not self.gave_up.is_set():
            self.reason = message
            self.gave_up.set()
        return _all_failed(names, code, message)


def _outcome(name: str, result: object) -> Outcome:
    if isinstance(result, dict) and "error" not in result:
        return Outcome(name, answer=result)
    error = result.get("error") if isinstance(result, dict) else None
    if isinstance(error, dict) and {"code", "message"} <= set(error):
        return Outcome(name, error={"code": error["code"], "message": error["message"]})
    return Outcome(name, error={"code": "bad_answer", "message": f"unexpected item: {result!r}"})


def _error_of(answer: Answer) -> tuple[str, str]:
    """Return the code and message of an error answer, JSON or not."""
    error = answer.body.get("error") if isinstance(answer.body, dict) else None
    if isinstance(error, dict) and "code" in error:
        return str(error["code"]), f"HTTP {answer.status}: {error.get('message', '')}"
    text = " ".join(answer.text.split())[:200] or "(empty body)"
    code = {429: "throttled", 503: "unavailable"}.get(answer.status, "bad_answer")
    return code, f"HTTP {answer.status}: {text}"


def _all_failed(names: list[str], code: str, message: str) -> list[Outcome]:
    return [Outcome(name, error={"code": code, "message": message}) for name in names]


def _content_type(entry: Entry) -> str:
    guessed, _ = mimetypes.guess_type(entry.name)
    return guessed if guessed and guessed.startswith("image/") else "application/octet-stream"

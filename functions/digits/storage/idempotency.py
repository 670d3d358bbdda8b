"""Records of requests sent with an Idempotency-Key: who holds the key now, and what was answered.

A record is one object, ``idempotency/<SHA-256 of the route and the key>.json``, holding the
fingerprint of the request's body and its state: ``pending`` while an attempt works on it,
``open`` when an attempt ended without a final answer (with what it got done), ``done`` with the
final answer. Every change is a conditional put: ``If-None-Match: *`` to claim a new key, and
``If-Match`` with the ETag read to take one over or to finish it, so that of two attempts at once
exactly one holds the key; S3 decides. The bucket's lifecycle rule (template.yaml) deletes records
after a day, and a record older than a day is treated as absent.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from botocore.exceptions import BotoCoreError
from botocore.exceptions import ClientError as BotoClientError

from digits.deadline import UNLIMITED, Deadline
from digits.storage.errors import StorageUnavailable
from digits.storage.images import MISSING, TAKEN, ImageStore, error_code
from digits.storage.keys import iso

PREFIX = "idempotency/"
# How long a key holds: a repeat after this is a new request.
KEPT = timedelta(days=1)
PENDING, OPEN, DONE = "pending", "open", "done"


def record_key(route: str, idempotency_key: str) -> str:
    """Return where the record of ``idempotency_key`` on ``route`` is kept."""
    digest = hashlib.sha256(f"{route}\n{idempotency_key}".encode()).hexdigest()
    return f"{PREFIX}{digest}.json"


@dataclass(frozen=True)
class Record:
    """What a record holds; ``etag`` is the version read or written (for the next change)."""

    key: str
    fingerprint: str
    state: str
    created: str
    updated: str
    plan: dict = field(default_factory=dict)
    progress: dict = field(default_factory=dict)
    status: int | None = None
    answer: dict | None = None
    etag: str = ""

    def age(self, now: datetime) -> timedelta:
        """Return how long ago the key was first claimed."""
        return now - datetime.fromisoformat(self.created.replace("Z", "+00:00"))

    def idle(self, now: datetime) -> timedelta:
        """Return how long ago the record last changed."""
        return now - datetime.fromisoformat(self.updated.replace("Z", "+00:00"))

    def document(self) -> bytes:
        """Return the record as stored."""
        fields = {
            "fingerprint": self.fingerprint,
            "state": self.state,
            "created": self.created,
            "updated": self.updated,
            "plan": self.plan,
            "progress": self.progress,
            "status": self.status,
            "answer": self.answer,
        }
        return json.dumps(fields).encode()


class Records:
    """The idempotency records of the images bucket."""

    def __init__(self, store: ImageStore) -> None:
        self.store = store

    def claim(
        self,
        key: str,
        fingerprint: str,
        plan: dict,
        now: datetime,
        deadline: Deadline = UNLIMITED,
    ) -> Record | None:
        """Claim a key no record holds yet; return the pending record, or None if one exists."""
        moment = iso(now)
        record = Record(key, fingerprint, PENDING, moment, moment, plan)
        return self._put(record, deadline, IfNoneMatch="*")

    def take(self, held: Record, now: datetime, deadline: Deadline = UNLIMITED) -> Record | None:
        """Take over the record ``held`` (as read); return it pending, or None if it changed."""
        record = Record(
            held.key,
            held.fingerprint,
            PENDING,
            held.created,
            iso(now),
            held.plan,
            held.progress,
        )
        return self._put(record, deadline, IfMatch=held.etag)

    def renew(
        self, held: Record, fingerprint: str, plan: dict, now: datetime, deadline: Deadline
    ) -> Record | None:
        """Claim anew the key of an expired record ``held``; None if it changed meanwhile."""
        moment = iso(now)
        record = Record(held.key, fingerprint, PENDING, moment, moment, plan)
        return self._put(record, deadline, IfMatch=held.etag)

    def finish(
        self, held: Record, status: int, answer: dict, now: datetime, deadline: Deadline
    ) -> None:
        """Record the final answer of the attempt that holds ``held``."""
        record = Record(
            held.key,
            held.fingerprint,
            DONE,
            held.created,
            iso(now),
            held.plan,
            status=status,
            answer=answer,
        )
        self._put(record, deadline, IfMatch=held.etag)

    def reopen(self, held: Record, progress: dict, now: datetime, deadline: Deadline) -> None:
        """Leave ``held`` open for a repeat, with ``progress``: what this attempt got done."""
        record = Record(
            held.key,
            held.fingerprint,
            OPEN,
            held.created,
            iso(now),
            held.plan,
            progress,
        )
        self._put(record, deadline, IfMatch=held.etag)

    def read(self, key: str, deadline: Deadline = UNLIMITED) -> Record | None:
        """Return the record at ``key``, or None if there is none."""
        client = self.store.within(deadline, "reading the idempotency record")
        try:
            got = client.get_object(Bucket=self.store.bucket, Key=key)
            fields = json.loads(got["Body"].read())
        except BotoClientError as error:
            if error_code(error) in MISSING:
                return None
            raise StorageUnavailable(f"could not read {key}: {error}") from error
        except (BotoCoreError, ValueError) as error:
            raise StorageUnavailable(f"could not read {key}: {error}") from error
        return Record(key=key, etag=got["ETag"], **fields)

    def _put(self, record: Record, deadline: Deadline, **condition: str) -> Record | None:
        """Write ``record`` if ``condition`` holds; return it with its new ETag, or None."""
        client = self.store.within(deadline, "recording the request")
        try:
            put = client.put_object(
                Bucket=self.store.bucket,
                Key=record.key,
                Body=record.document(),
                ContentType="application/json",
                **condition,
            )
        except BotoClientError as error:
            if error_code(error) in TAKEN or error_code(error) in MISSING:
                return None
            raise StorageUnavailable(f"could not record {record.key}: {error}") from error
        except BotoCoreError as error:
            raise StorageUnavailable(f"could not record {record.key}: {error}") from error
        return dataclasses.replace(record, etag=put["ETag"])


def expired(record: Record, now: datetime) -> bool:
    """Say whether ``record`` is older than a key holds (the lifecycle rule may not have run)."""
    return record.age(now) > KEPT

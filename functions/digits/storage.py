"""Keep every accepted image in S3 under a timestamped key; list them; record feedback labels.

Layout: ``images/YYYY/MM/DD/<UTC timestamp with microseconds>-<random>.<ext>``. The prediction,
confidence, source and model version travel as the object's user metadata, and a feedback label is
added to that same metadata (a copy of the object onto itself with replaced metadata). Keeping
everything on the one object keeps ``/images`` cheap: one ``HeadObject`` per listed image gives
the whole row, where a sidecar label object would cost a second request per image; and the label
stays with the bytes it describes when the images are exported as training data.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError
from botocore.exceptions import ClientError as BotoClientError

from digits.config import Settings
from digits.errors import NotFound

log = logging.getLogger(__name__)

PREFIX = "images/"
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%S%fZ"
SOURCES = ("canvas", "upload", "raw")
# Only keys this module makes are ever read back, so feedback cannot name an arbitrary object.
KEY_PATTERN = re.compile(
    r"images/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"
    r"(?P<ts>\d{8}T\d{12}Z)-[0-9a-f]{16}\.(?:png|jpg|webp|gif|bmp)"
)
# A fresh 64-bit suffix colliding is already negligible; a few retries make it impossible.
PUT_ATTEMPTS = 5
HEAD_THREADS = 8


class StorageError(Exception):
    """S3 could not be reached or refused the request after boto3's own retries."""


@dataclass(frozen=True)
class SavedImage:
    """Where an image went: its key and a presigned GET URL (None if signing failed)."""

    key: str
    url: str | None


@dataclass(frozen=True)
class StoredImage:
    """One row of the image listing."""

    key: str
    digit: int | None
    confidence: float | None
    created_at: str
    url: str | None
    label: int | None
    source: str | None
    content_type: str | None

    def to_dict(self) -> dict:
        """Return the JSON shape of ``/images`` rows."""
        return {
            "key": self.key,
            "digit": self.digit,
            "confidence": self.confidence,
            "created_at": self.created_at,
            "url": self.url,
            "label": self.label,
        }


def s3_client(settings: Settings):
    """Return a new S3 client with the timeouts and retries of ``settings``."""
    # botocore itself reads AWS_ENDPOINT_URL_S3, credentials and region; nothing is hard-coded.
    # botocore rather than boto3: the same client without importing boto3's resource layer and
    # s3transfer, which nothing here uses. A session of its own: a default session is not safe
    # to share across threads, while the client it makes is.
    config = Config(
        connect_timeout=settings.s3_connect_timeout,
        read_timeout=settings.s3_read_timeout,
        retries={"max_attempts": settings.s3_max_attempts, "mode": "standard"},
        signature_version="s3v4",
    )
    return botocore.session.get_session().create_client("s3", config=config)


def new_key(extension: str, now: datetime | None = None) -> str:
    """Return a fresh key for an image of this extension, stamped with ``now`` (UTC)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return (
        f"{PREFIX}{now:%Y/%m/%d}/{now.strftime(TIMESTAMP_FORMAT)}"
        f"-{secrets.token_hex(8)}.{extension}"
    )


def created_at(key: str) -> str:
    """Return the ISO 8601 UTC time encoded in one of our keys."""
    match = KEY_PATTERN.fullmatch(key)
    if match is None:
        raise ValueError(f"not an image key: {key!r}")
    stamp = datetime.strptime(match["ts"], TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    return stamp.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _error_code(error: BotoClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class ImageStore:
    """The images bucket, reached through one botocore S3 client."""

    def __init__(self, client, bucket: str, url_seconds: int = 3600) -> None:
        self._client = client
        self.bucket = bucket
        self.url_seconds = url_seconds
        self.unavailable = ""

    @classmethod
    def connect(cls, settings: Settings) -> ImageStore:
        """Return the store for ``settings`` with a new client; unusable if none can be made.

        A malformed endpoint leaves the store saying why on every use (StorageError) rather than
        stopping the instance: predictions are still answered, with ``saved`` false.
        """
        store = cls(None, settings.images_bucket, settings.presigned_url_seconds)
        try:
            store._client = s3_client(settings)
        except (ValueError, BotoCoreError) as error:  # ValueError: a malformed endpoint URL
            log.error("cannot create the S3 client: %s", error)
            store.unavailable = f"cannot create the S3 client: {error}"
        return store

    @property
    def client(self):
        """Return the S3 client; raise StorageError if none could be made."""
        if self._client is None:
            raise StorageError(self.unavailable or "no S3 client")
        return self._client

    def save_image(
        self,
        data: bytes,
        *,
        content_type: str,
        extension: str,
        prediction: int,
        confidence: float,
        source: str,
        model_version: str,
        now: datetime | None = None,
    ) -> SavedImage:
        """Store the original bytes under a new key with the prediction as metadata."""
        if source not in SOURCES:
            raise ValueError(f"unknown source {source!r}")
        metadata = {
            "prediction": str(int(prediction)),
            "confidence": f"{confidence:.6f}",
            "source": source,
            # S3 metadata must be ASCII; a version string is ours, but never trust it blindly.
            "model-version": model_version.encode("ascii", "replace").decode("ascii"),
        }
        for _ in range(PUT_ATTEMPTS):
            key = new_key(extension, now)
            try:
                # IfNoneMatch makes S3 refuse to replace an existing object: never overwrite.
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=key,
                    Body=data,
                    ContentType=content_type,
                    Metadata=metadata,
                    IfNoneMatch="*",
                )
            except BotoClientError as error:
                if _error_code(error) in ("PreconditionFailed", "ConditionalRequestConflict"):
                    continue
                raise StorageError(f"could not store {key}: {error}") from error
            except BotoCoreError as error:
                raise StorageError(f"could not store {key}: {error}") from error
            return SavedImage(key=key, url=self.presigned_url(key))
        raise StorageError(f"no free key after {PUT_ATTEMPTS} attempts")

    def presigned_url(self, key: str) -> str | None:
        """Return a presigned GET URL for ``key``, or None if it cannot be signed."""
        try:
            return self.client.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": key},
                ExpiresIn=self.url_seconds,
            )
        except (BotoClientError, BotoCoreError):
            log.warning("could not presign %s", key, exc_info=True)
            return None

    def list_images(self, limit: int) -> list[StoredImage]:
        """Return up to ``limit`` stored images, newest first, with their metadata."""
        keys: list[str] = []
        try:
            for key in self._keys_newest_first():
                keys.append(key)
                if len(keys) >= limit:
                    break
            if not keys:
                return []
            with ThreadPoolExecutor(max_workers=min(HEAD_THREADS, len(keys))) as pool:
                heads = list(pool.map(self._head, keys))
        except (BotoClientError, BotoCoreError) as error:
            raise StorageError(f"could not list images: {error}") from error
        # An image deleted between the listing and its HeadObject is simply left out.
        return [
            self._row(key, head) for key, head in zip(keys, heads, strict=True) if head is not None
        ]

    def record_label(self, key: str, label: int) -> None:
        """Add the correct ``label`` to the metadata of the stored image ``key``."""
        if KEY_PATTERN.fullmatch(key) is None:
            raise NotFound(f"no stored image has the key {key[:120]!r}")
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except BotoClientError as error:
            if _error_code(error) in ("404", "NoSuchKey", "NotFound"):
                raise NotFound(f"no stored image has the key {key[:120]!r}") from error
            raise StorageError(f"could not read {key}: {error}") from error
        except BotoCoreError as error:
            raise StorageError(f"could not read {key}: {error}") from error
        metadata = {**head.get("Metadata", {}), "label": str(int(label))}
        try:
            self.client.copy_object(
                Bucket=self.bucket,
                Key=key,
                CopySource={"Bucket": self.bucket, "Key": key},
                Metadata=metadata,
                MetadataDirective="REPLACE",
                ContentType=head.get("ContentType", "application/octet-stream"),
                # The bytes must not change under the label: copy only the version we read.
                CopySourceIfMatch=head["ETag"],
            )
        except (BotoClientError, BotoCoreError) as error:
            raise StorageError(f"could not label {key}: {error}") from error

    def _keys_newest_first(self) -> Iterator[str]:
        # Keys sort by time, and S3 lists in ascending order only. Walk the year/month/day
        # "folders" newest first and list one day at a time, so the newest N images cost a few
        # small listings instead of a listing of the whole bucket.
        for year in self._prefixes_desc(PREFIX):
            for month in self._prefixes_desc(year):
                for day in self._prefixes_desc(month):
                    yield from sorted(self._keys(day), reverse=True)

    def _prefixes_desc(self, prefix: str) -> list[str]:
        prefixes: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/"):
            prefixes.extend(p["Prefix"] for p in page.get("CommonPrefixes", []))
        return sorted(prefixes, reverse=True)

    def _keys(self, prefix: str) -> list[str]:
        keys: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(
                o["Key"] for o in page.get("Contents", []) if KEY_PATTERN.fullmatch(o["Key"])
            )
        return keys

    def _head(self, key: str) -> dict | None:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=key)
        except BotoClientError as error:
            if _error_code(error) in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def _row(self, key: str, head: dict) -> StoredImage:
        metadata = head.get("Metadata", {})
        return StoredImage(
            key=key,
            digit=_int_or_none(metadata.get("prediction")),
            confidence=_float_or_none(metadata.get("confidence")),
            created_at=created_at(key),
            url=self.presigned_url(key),
            label=_int_or_none(metadata.get("label")),
            source=metadata.get("source"),
            content_type=head.get("ContentType"),
        )


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _float_or_none(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None

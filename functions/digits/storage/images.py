"""Keep every accepted image in S3 under a timestamped key, and the labels its sender gives it.

Layout: ``images/YYYY/MM/DD/<UTC timestamp with microseconds>-<random>.<ext>``, the prediction,
confidence, source, model version and the receipt's digest as the object's user metadata. Each
label is an object of its own, ``labels/<image key after images/>/<UTC timestamp>-<random>.json``,
holding ``{"key", "label", "labelled_at"}``: labels are only ever added, so whatever trains on
them sees the whole history. Objects are tagged ``retention=unlabelled`` until their first
label, then ``retention=labelled``; the bucket's lifecycle rules (template.yaml) expire each kind
after its own number of days.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError
from botocore.exceptions import ClientError as BotoClientError

from digits.config import DEFAULT_URL_SECONDS, Settings
from digits.errors import Forbidden, NotFound
from digits.storage.receipts import receipt_matches

log = logging.getLogger(__name__)

PREFIX = "images/"
LABELS_PREFIX = "labels/"
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%S%fZ"
SOURCES = ("canvas", "upload", "raw")
# Only keys this module makes are ever read back, so feedback cannot name an arbitrary object.
KEY_PATTERN = re.compile(
    r"images/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"
    r"(?P<ts>\d{8}T\d{12}Z)-[0-9a-f]{16}\.(?:png|jpg|webp|gif|bmp)"
)
RECEIPT_DIGEST = "receipt-sha256"
BOXES = "boxes"
RETENTION_TAG = "retention"
UNLABELLED, LABELLED = "unlabelled", "labelled"
# A fresh 64-bit suffix colliding is already negligible; a few retries make it impossible.
PUT_ATTEMPTS = 5
MISSING = ("404", "NoSuchKey", "NotFound")


class StorageError(Exception):
    """S3 could not be reached or refused the request after boto3's own retries."""


@dataclass(frozen=True)
class SavedImage:
    """Where an image went: its key and a presigned GET URL (None if signing failed)."""

    key: str
    url: str | None


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


def labels_prefix(key: str) -> str:
    """Return the prefix under which the labels of image ``key`` are kept."""
    return f"{LABELS_PREFIX}{key.removeprefix(PREFIX)}/"


def iso(moment: datetime) -> str:
    """Return ``moment`` as ISO 8601 UTC to the microsecond, with a Z."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def created_at(key: str) -> str:
    """Return the ISO 8601 UTC time encoded in one of our keys."""
    match = KEY_PATTERN.fullmatch(key)
    if match is None:
        raise ValueError(f"not an image key: {key!r}")
    return iso(datetime.strptime(match["ts"], TIMESTAMP_FORMAT).replace(tzinfo=UTC))


def _error_code(error: BotoClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class ImageStore:
    """The images bucket, reached through one botocore S3 client."""

    def __init__(self, client, bucket: str, url_seconds: int = DEFAULT_URL_SECONDS) -> None:
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
        prediction: int | str,
        confidence: float,
        source: str,
        model_version: str,
        receipt_digest: str,
        boxes: list[tuple[int, int, int, int]] | None = None,
        now: datetime | None = None,
    ) -> SavedImage:
        """Store the bytes under a new key with the prediction and receipt digest as metadata.

        ``prediction`` is a digit, or the digits of a number as a string ("2026", "007").
        """
        if source not in SOURCES:
            raise ValueError(f"unknown source {source!r}")
        prediction = str(prediction)
        if not (prediction.isascii() and prediction.isdigit()):
            raise ValueError(f"a prediction is digits, not {prediction!r}")
        metadata = {
            "prediction": prediction,
            "confidence": f"{confidence:.6f}",
            "source": source,
            # S3 metadata must be ASCII; a version string is ours, but never trust it blindly.
            "model-version": model_version.encode("ascii", "replace").decode("ascii"),
            RECEIPT_DIGEST: receipt_digest,
        }
        if boxes and len(boxes) > 1:
            # Where each digit of a number was found, so that a label of the whole number can be
            # split into one label per digit with its box.
            metadata[BOXES] = ";".join(",".join(str(int(v)) for v in box) for box in boxes)
        for _ in range(PUT_ATTEMPTS):
            key = new_key(extension, now)
            if self._put_new(key, data, content_type, metadata, UNLABELLED):
                return SavedImage(key=key, url=self.presigned_url(key))
        raise StorageError(f"no free key after {PUT_ATTEMPTS} attempts")

    def _put_new(
        self, key: str, data: bytes, content_type: str, metadata: dict, retention: str
    ) -> bool:
        """Store a new object at ``key``; return False if the key is taken (never overwrite)."""
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ContentType=content_type,
                Metadata=metadata,
                Tagging=f"{RETENTION_TAG}={retention}",
                # S3 refuses to replace an existing object: a key is written once.
                IfNoneMatch="*",
            )
        except BotoClientError as error:
            if _error_code(error) in ("PreconditionFailed", "ConditionalRequestConflict"):
                return False
            raise StorageError(f"could not store {key}: {error}") from error
        except BotoCoreError as error:
            raise StorageError(f"could not store {key}: {error}") from error
        return True

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

    def record_label(
        self, key: str, label: int | str, receipt: str, now: datetime | None = None
    ) -> str:
        """Add ``label`` (a digit, or a number's digits) to image ``key``'s labels, for its receipt.

        A number's label is also kept digit by digit, each with the box where the digit was found,
        when it has as many digits as were found. Return when it was labelled (ISO 8601).
        NotFound for a key that is not a stored image, Forbidden for a receipt that is not this
        image's.
        """
        if KEY_PATTERN.fullmatch(key) is None:
            raise NotFound(f"no stored image has the key {key[:120]!r}")
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except BotoClientError as error:
            if _error_code(error) in MISSING:
                raise NotFound(f"no stored image has the key {key[:120]!r}") from error
            raise StorageError(f"could not read {key}: {error}") from error
        except BotoCoreError as error:
            raise StorageError(f"could not read {key}: {error}") from error
        metadata = head.get("Metadata", {})
        digest = metadata.get(RECEIPT_DIGEST, "")
        if not digest or not receipt_matches(receipt, digest):
            raise Forbidden("this receipt is not the one given for this image")
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        labelled_at = iso(moment)
        record: dict = {"key": key, "label": label, "labelled_at": labelled_at}
        boxes = _boxes(metadata.get(BOXES, ""))
        if isinstance(label, str) and boxes and len(label) == len(boxes):
            record["digits"] = [
                {"label": int(d), "box": dict(zip(("x", "y", "width", "height"), box, strict=True))}
                for d, box in zip(label, boxes, strict=True)
            ]
        document = json.dumps(record).encode()
        for _ in range(PUT_ATTEMPTS):
            stamp = moment.strftime(TIMESTAMP_FORMAT)
            label_key = f"{labels_prefix(key)}{stamp}-{secrets.token_hex(8)}.json"
            if self._put_new(label_key, document, "application/json", {}, LABELLED):
                break
        else:
            raise StorageError(f"no free label key after {PUT_ATTEMPTS} attempts")
        try:
            # The image is kept as long as its labels from now on.
            self.client.put_object_tagging(
                Bucket=self.bucket,
                Key=key,
                Tagging={"TagSet": [{"Key": RETENTION_TAG, "Value": LABELLED}]},
            )
        except (BotoClientError, BotoCoreError) as error:
            raise StorageError(f"could not mark {key} as labelled: {error}") from error
        return labelled_at


def _boxes(text: str) -> list[tuple[int, ...]]:
    """Return the boxes ``save_image`` recorded ("x,y,w,h;..."), or [] if there are none."""
    try:
        boxes = [tuple(int(v) for v in part.split(",")) for part in text.split(";") if part]
    except ValueError:
        return []
    return boxes if all(len(box) == 4 for box in boxes) else []

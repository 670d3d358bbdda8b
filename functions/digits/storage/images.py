"""Keep every accepted image in S3 under a new key, and the labels its sender gives it.

Each image carries the prediction, confidence, source, model version and the receipt's digest as
user metadata (``keys`` says where objects go). Labels are only ever added, each an object of its
own holding ``{"key", "label", "labelled_at"}``, so whatever trains on them sees the whole history.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError
from botocore.exceptions import ClientError as BotoClientError

from digits.box import Box
from digits.config import BATCH_PUTS, DEFAULT_URL_SECONDS, Settings
from digits.deadline import UNLIMITED, Deadline
from digits.storage.calls import CallLimits, Clients, ladder
from digits.storage.errors import ImageNotFound, NotYours, StorageUnavailable
from digits.storage.keys import (
    LABELLED,
    RETENTION_TAG,
    UNLABELLED,
    is_image_key,
    iso,
    new_key,
    new_label_key,
)
from digits.storage.receipts import receipt_matches

log = logging.getLogger(__name__)

SOURCES = ("canvas", "upload", "raw")
RECEIPT_DIGEST = "receipt-sha256"
BOXES = "boxes"
# A fresh 64-bit suffix colliding is already negligible; a few retries make it impossible.
PUT_ATTEMPTS = 5
MISSING = ("404", "NoSuchKey", "NotFound")
TAKEN = ("PreconditionFailed", "ConditionalRequestConflict")


@dataclass(frozen=True)
class SavedImage:
    """Where an image went: its key and a presigned GET URL (None if signing failed)."""

    key: str
    url: str | None


def s3_client(settings: Settings, session: botocore.session.Session | None = None):
    """Return a new S3 client with the timeouts and retries of ``settings``, from ``session``."""
    # botocore itself reads AWS_ENDPOINT_URL_S3, credentials and region; nothing is hard-coded.
    # botocore rather than boto3: the same client without importing boto3's resource layer and
    # s3transfer, which nothing here uses. A session of the store's own, used while the store is
    # made (a default session is not safe to share across threads; the clients it makes are).
    config = Config(
        connect_timeout=settings.s3_connect_timeout,
        read_timeout=settings.s3_read_timeout,
        # total_max_attempts counts the first attempt too (max_attempts would count retries).
        retries={"total_max_attempts": settings.s3_max_attempts, "mode": "standard"},
        signature_version="s3v4",
        max_pool_connections=BATCH_PUTS,
    )
    return (session or botocore.session.get_session()).create_client("s3", config=config)


def error_code(error: BotoClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


# Extension and time -> a fresh image key.
KeyMaker = Callable[[str, datetime | None], str]


class ImageStore:
    """The images bucket, reached through botocore S3 clients whose calls fit the time left.

    ``make_key`` names each new image (``keys.new_key``; a test may pass one that repeats).
    ``clients``, the ladder of clients (``calls.Clients``), is ``client`` alone when not given.
    """

    def __init__(
        self,
        client,
        bucket: str,
        url_seconds: int = DEFAULT_URL_SECONDS,
        make_key: KeyMaker = new_key,
        clients: Clients | None = None,
    ) -> None:
        self._clients = clients or (Clients.single(client) if client is not None else None)
        self.bucket = bucket
        self.url_seconds = url_seconds
        self.make_key = make_key
        self.unavailable = ""

    @classmethod
    def connect(cls, settings: Settings) -> ImageStore:
        """Return the store for ``settings`` with new clients; unusable if none can be made.

        A malformed endpoint leaves the store saying why on every use (StorageUnavailable) rather
        than stopping the instance: predictions are still answered, with ``saved`` false.
        """
        store = cls(None, settings.images_bucket, settings.presigned_url_seconds)
        try:
            session = botocore.session.get_session()
            store._clients = Clients(
                s3_client(settings, session),
                ladder(CallLimits.of(settings)),
                make=lambda limits: s3_client(limits.applied_to(settings), session),
            )
        except (ValueError, BotoCoreError) as error:  # ValueError: a malformed endpoint URL
            log.error("cannot create the S3 client: %s", error)
            store.unavailable = f"cannot create the S3 client: {error}"
        return store

    @property
    def clients(self) -> Clients:
        """Return the S3 clients; raise StorageUnavailable if none could be made."""
        if self._clients is None:
            raise StorageUnavailable(self.unavailable or "no S3 client")
        return self._clients

    @property
    def client(self):
        """Return the S3 client with the settings' own limits (StorageUnavailable if none)."""
        return self.clients.first

    def shortest_call_seconds(self) -> float:
        """Return the longest the shortest S3 call may take (0 without clients: none is made)."""
        return self._clients.shortest_seconds() if self._clients else 0.0

    def within(self, deadline: Deadline, step: str, **details: object):
        """Return a client whose calls fit ``deadline`` (OutOfTime, with ``details``, if none)."""
        return self.clients.within(deadline, step, **details)

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
        boxes: list[Box] | None = None,
        now: datetime | None = None,
        deadline: Deadline = UNLIMITED,
    ) -> SavedImage:
        """Store the bytes under a new key with the prediction and receipt digest as metadata.

        ``prediction`` is a digit, or the digits of a number as a string ("2026", "007");
        ``boxes``, where each digit of a number was found, in the stored image's pixels. OutOfTime
        if no put fits in what is left before ``deadline``.
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
            metadata[BOXES] = ";".join(box.to_text() for box in boxes)
        for _ in range(PUT_ATTEMPTS):
            key = self.make_key(extension, now)
            client = self.within(deadline, "storing the image", saved=False)
            if self._put_new(client, key, data, content_type, metadata, UNLABELLED):
                return SavedImage(key=key, url=self.presigned_url(key))
        raise StorageUnavailable(f"no free key after {PUT_ATTEMPTS} attempts")

    def _put_new(
        self, client, key: str, data: bytes, content_type: str, metadata: dict, retention: str
    ) -> bool:
        """Store a new object at ``key``; return False if the key is taken (never overwrite)."""
        try:
            client.put_object(
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
            if error_code(error) in TAKEN:
                return False
            raise StorageUnavailable(f"could not store {key}: {error}") from error
        except BotoCoreError as error:
            raise StorageUnavailable(f"could not store {key}: {error}") from error
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
        self,
        key: str,
        label: int | str,
        receipt: str,
        now: datetime | None = None,
        deadline: Deadline = UNLIMITED,
        label_key: str | None = None,
    ) -> str:
        """Add ``label`` (a digit, or a number's digits) to image ``key``'s labels, for its receipt.

        A number's label is also kept digit by digit, each with the box where the digit was found,
        when it has as many digits as were found. Return when it was labelled (ISO 8601).
        ImageNotFound for a key that is not a stored image, NotYours for a receipt that is not
        this image's; OutOfTime, saying whether the label was stored, when the calls left do not
        fit before ``deadline``. ``label_key``, when given, is where the label goes: a label
        already there (an earlier attempt of the same request) is this one, not stored twice.
        """
        metadata = self._image_metadata(key, deadline)
        digest = metadata.get(RECEIPT_DIGEST, "")
        if not digest or not receipt_matches(receipt, digest):
            raise NotYours("this receipt is not the one given for this image")
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        labelled_at = iso(moment)
        record: dict = {"key": key, "label": label, "labelled_at": labelled_at}
        boxes = _boxes(metadata.get(BOXES, ""))
        if isinstance(label, str) and boxes and len(label) == len(boxes):
            record["digits"] = [
                {"label": int(d), "box": box.to_dict()} for d, box in zip(label, boxes, strict=True)
            ]
        document = json.dumps(record).encode()
        for _ in range(1 if label_key else PUT_ATTEMPTS):
            client = self.within(deadline, "storing the label", label_stored=False)
            target = label_key or new_label_key(key, moment)
            if self._put_new(client, target, document, "application/json", {}, LABELLED):
                break
        else:
            if not label_key:
                raise StorageUnavailable(f"no free label key after {PUT_ATTEMPTS} attempts")
        client = self.within(deadline, "keeping the image as long as its label", label_stored=True)
        try:
            # The image is kept as long as its labels from now on.
            client.put_object_tagging(
                Bucket=self.bucket,
                Key=key,
                Tagging={"TagSet": [{"Key": RETENTION_TAG, "Value": LABELLED}]},
            )
        except (BotoClientError, BotoCoreError) as error:
            raise StorageUnavailable(f"could not mark {key} as labelled: {error}") from error
        return labelled_at

    def _image_metadata(self, key: str, deadline: Deadline) -> dict[str, str]:
        """Return the user metadata of stored image ``key``; ImageNotFound if there is none."""
        missing = f"no stored image has the key {key[:120]!r}"
        if not is_image_key(key):
            raise ImageNotFound(missing)
        client = self.within(deadline, "reading the image's receipt", label_stored=False)
        try:
            head = client.head_object(Bucket=self.bucket, Key=key)
        except BotoClientError as error:
            if error_code(error) in MISSING:
                raise ImageNotFound(missing) from error
            raise StorageUnavailable(f"could not read {key}: {error}") from error
        except BotoCoreError as error:
            raise StorageUnavailable(f"could not read {key}: {error}") from error
        return head.get("Metadata", {})


def _boxes(text: str) -> list[Box]:
    """Return the boxes ``save_image`` recorded, or [] if there are none or they are malformed."""
    try:
        return [Box.from_text(part) for part in text.split(";") if part]
    except ValueError:
        return []

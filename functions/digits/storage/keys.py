"""Where objects go in the images bucket: keys made by the server, never taken from a request.

Images: ``images/YYYY/MM/DD/<UTC timestamp with microseconds>Z-<random>.<ext>``. Labels: one
object each, ``labels/<image key after images/>/<UTC timestamp>Z-<random>.json``. Each object is
tagged ``retention=unlabelled`` until its image's first label, then ``retention=labelled``; the
bucket's lifecycle rules (template.yaml) expire each kind after its own number of days.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

from digits.imaging.formats import ACCEPTED

PREFIX = "images/"
LABELS_PREFIX = "labels/"
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%S%fZ"
# Only keys this module makes are ever read back, so feedback cannot name an arbitrary object.
KEY_PATTERN = re.compile(
    r"images/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"
    r"(?P<ts>\d{8}T\d{12}Z)-[0-9a-f]{16}\.(?:" + "|".join(k.extension for k in ACCEPTED) + ")"
)
RETENTION_TAG = "retention"
UNLABELLED, LABELLED = "unlabelled", "labelled"


def new_key(extension: str, now: datetime | None = None) -> str:
    """Return a fresh key for an image of this extension, stamped with ``now`` (UTC)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return (
        f"{PREFIX}{now:%Y/%m/%d}/{now.strftime(TIMESTAMP_FORMAT)}"
        f"-{secrets.token_hex(8)}.{extension}"
    )


def new_label_key(image_key: str, moment: datetime) -> str:
    """Return a fresh key for one label of image ``image_key``, stamped with ``moment``."""
    return (
        f"{labels_prefix(image_key)}{moment.strftime(TIMESTAMP_FORMAT)}-{secrets.token_hex(8)}.json"
    )


def labels_prefix(key: str) -> str:
    """Return the prefix under which the labels of image ``key`` are kept."""
    return f"{LABELS_PREFIX}{key.removeprefix(PREFIX)}/"


def is_image_key(key: str) -> bool:
    """Tell whether ``key`` has the shape of an image key this module makes."""
    return KEY_PATTERN.fullmatch(key) is not None


def iso(moment: datetime) -> str:
    """Return ``moment`` as ISO 8601 UTC to the microsecond, with a Z."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def created_at(key: str) -> str:
    """Return the ISO 8601 UTC time encoded in one of our keys."""
    match = KEY_PATTERN.fullmatch(key)
    if match is None:
        raise ValueError(f"not an image key: {key!r}")
    return iso(datetime.strptime(match["ts"], TIMESTAMP_FORMAT).replace(tzinfo=UTC))

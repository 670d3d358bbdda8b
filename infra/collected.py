"""Read what the function collected, with an operator's own S3 client: images and their labels.

The function never lists anything; only this module, run with credentials that may read the bucket,
walks it. Images come newest first: keys sort by time and S3 lists in ascending order only, so the
year/month/day "folders" are walked newest first and listed one day at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

from botocore.exceptions import ClientError

from digits.storage.keys import KEY_PATTERN, LABELS_PREFIX, PREFIX, created_at, labels_prefix

HEAD_THREADS = 8


@dataclass(frozen=True)
class Label:
    """One label its sender gave an image, and when: a digit, or a number's digits."""

    label: int | str
    labelled_at: str
    # A number's label digit by digit, with where each digit was found: (digit, box) pairs.
    digits: tuple[tuple[int, dict], ...] = ()


@dataclass(frozen=True)
class CollectedImage:
    """A stored image: what was read (a digit, or a number's digits), every label since."""

    key: str
    created_at: str
    prediction: str | None
    confidence: float | None
    source: str | None
    model_version: str | None
    content_type: str | None
    labels: tuple[Label, ...]

    def to_dict(self) -> dict:
        """Return the image as JSON-ready data."""
        return asdict(self)


def newest_images(s3, bucket: str, limit: int | None = None) -> list[CollectedImage]:
    """Return up to ``limit`` (default: all) stored images, newest first, with their labels."""
    keys: list[str] = []
    for key in _keys_newest_first(s3, bucket):
        if limit is not None and len(keys) >= limit:
            break
        keys.append(key)
    if not keys:
        return []
    with ThreadPoolExecutor(max_workers=min(HEAD_THREADS, len(keys))) as pool:
        images = list(pool.map(lambda key: _image(s3, bucket, key), keys))
    # An image expired or deleted between the listing and its HeadObject is simply left out.
    return [image for image in images if image is not None]


def labels_by_key(s3, bucket: str) -> dict[str, tuple[Label, ...]]:
    """Return the labels of every labelled image, oldest first, by image key."""
    found: dict[str, list[Label]] = {}
    for label_key in _list(s3, bucket, LABELS_PREFIX):
        document = _read_label(s3, bucket, label_key)
        if document is not None:
            key, label = document
            found.setdefault(key, []).append(label)
    return {key: _oldest_first(labels) for key, labels in found.items()}


def labels_of(s3, bucket: str, key: str) -> tuple[Label, ...]:
    """Return the labels of image ``key``, oldest first."""
    labels = []
    for label_key in _list(s3, bucket, labels_prefix(key)):
        document = _read_label(s3, bucket, label_key)
        if document is not None and document[0] == key:
            labels.append(document[1])
    return _oldest_first(labels)


def _oldest_first(labels: list[Label]) -> tuple[Label, ...]:
    return tuple(sorted(labels, key=lambda label: label.labelled_at))


def _read_label(s3, bucket: str, label_key: str) -> tuple[str, Label] | None:
    try:
        body = s3.get_object(Bucket=bucket, Key=label_key)["Body"].read()
        document = json.loads(body)
        key, label, when = document["key"], document["label"], document["labelled_at"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
            return None
        raise
    except (ValueError, KeyError, TypeError):
        return None  # not a label this function wrote
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key) or not _is_label(label):
        return None
    digits = tuple(
        (entry["label"], entry["box"])
        for entry in document.get("digits", [])
        if isinstance(entry, dict) and isinstance(entry.get("label"), int) and "box" in entry
    )
    return key, Label(label=label, labelled_at=str(when), digits=digits)


def _is_label(label: object) -> bool:
    if isinstance(label, str):
        return label.isascii() and label.isdigit()
    return isinstance(label, int) and not isinstance(label, bool)


def _image(s3, bucket: str, key: str) -> CollectedImage | None:
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    metadata = head.get("Metadata", {})
    return CollectedImage(
        key=key,
        created_at=created_at(key),
        prediction=metadata.get("prediction"),
        confidence=_number(metadata.get("confidence"), float),
        source=metadata.get("source"),
        model_version=metadata.get("model-version"),
        content_type=head.get("ContentType"),
        labels=labels_of(s3, bucket, key),
    )


def _number(value: str | None, kind: type) -> int | float | None:
    try:
        return kind(value) if value is not None else None
    except ValueError:
        return None


def _keys_newest_first(s3, bucket: str) -> Iterator[str]:
    for year in _prefixes_desc(s3, bucket, PREFIX):
        for month in _prefixes_desc(s3, bucket, year):
            for day in _prefixes_desc(s3, bucket, month):
                keys = [key for key in _list(s3, bucket, day) if KEY_PATTERN.fullmatch(key)]
                yield from sorted(keys, reverse=True)


def _prefixes_desc(s3, bucket: str, prefix: str) -> list[str]:
    prefixes: list[str] = []
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        prefixes.extend(p["Prefix"] for p in page.get("CommonPrefixes", []))
    return sorted(prefixes, reverse=True)


def _list(s3, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []))
    return keys

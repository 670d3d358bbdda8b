"""The labelled images of the images bucket: read, resolved to one label each, deduplicated, split.

The rule for an image's label history: **the latest label wins**. Only the holder of the image's
receipt can label it (POST /feedback refuses anyone else), so every stored label comes from the
person who sent the image, and a later label is that person correcting an earlier one. Labels are
append-only objects with the time they were given; ties in time are broken by the label object's
order in ``labels_by_key`` (oldest first), so the rule is deterministic.

Duplicates: images with the same bytes (SHA-256) are one image. If their resolved labels agree,
the one with the smallest key is kept; if they disagree, all of them are dropped, since there is
no telling who is right.

The split: an image is held out when the first 8 bytes of SHA-256 of its key, as an integer,
fall in the lowest ``held_out`` fraction of the range. The same key always lands on the same side,
whatever else is in the bucket, so held-out images never leak into training across runs.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from botocore.exceptions import ClientError

from digits.errors import RequestError as BadImage
from digits.imaging import decoding
from digits.vision import normalise
from infra.collected import Label, labels_by_key

HELD_OUT = 0.2
GET_THREADS = 8
# Serving's own default (digits.config MAX_PIXELS): images are decoded exactly as served.
MAX_PIXELS = 40_000_000
MISSING = ("404", "NoSuchKey", "NotFound")


@dataclass(frozen=True)
class LabelledImage:
    """One stored image, its bytes and the label its history resolves to."""

    key: str
    data: bytes
    label: int

    @property
    def sha256(self) -> str:
        """Return the hex SHA-256 of the image's bytes."""
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Collected:
    """What was read from the bucket, and what was left out and why (counts)."""

    images: list[LabelledImage]
    labelled_keys: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str, count: int = 1) -> None:
        """Count ``count`` images left out for ``reason``."""
        if count:
            self.skipped[reason] = self.skipped.get(reason, 0) + count


def resolve(history: Iterable[Label]) -> int | None:
    """Return the label an image's history resolves to (the latest valid one), or None."""
    # A single digit's label; a number's labels (strings) are for training on numbers.
    valid = [label for label in history if isinstance(label.label, int) and 0 <= label.label <= 9]
    if not valid:
        return None
    # sorted is stable: equal times keep the order given, oldest first.
    return sorted(valid, key=lambda label: label.labelled_at)[-1].label


def deduplicate(images: list[LabelledImage]) -> tuple[list[LabelledImage], int, int]:
    """Keep one image per distinct bytes; return (kept, duplicates merged, conflicting dropped)."""
    groups: dict[str, list[LabelledImage]] = {}
    for image in images:
        groups.setdefault(image.sha256, []).append(image)
    kept, merged, dropped = [], 0, 0
    for group in groups.values():
        if len({image.label for image in group}) > 1:
            dropped += len(group)
            continue
        kept.append(min(group, key=lambda image: image.key))
        merged += len(group) - 1
    kept.sort(key=lambda image: image.key)
    return kept, merged, dropped


def is_held_out(key: str, fraction: float = HELD_OUT) -> bool:
    """Return whether ``key`` belongs to the held-out part (a fixed hash of the key alone)."""
    value = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    return value < fraction * 2**64


def split(
    images: list[LabelledImage], fraction: float = HELD_OUT
) -> tuple[list[LabelledImage], list[LabelledImage]]:
    """Return (training, held out) by ``is_held_out`` of each key."""
    held = [image for image in images if is_held_out(image.key, fraction)]
    train = [image for image in images if not is_held_out(image.key, fraction)]
    return train, held


def served_arrays(images: list[LabelledImage]) -> tuple[np.ndarray, np.ndarray, int]:
    """Return (28x28 images, labels, refused) through serving's decode_image and to_mnist.

    An image that serving would refuse (not decodable, nothing drawn) is left out and counted.
    """
    arrays, labels, refused = [], [], 0
    for image in images:
        try:
            decoded = decoding.decode_image(image.data, max_pixels=MAX_PIXELS).image
            arrays.append(normalise.to_mnist(decoded))
        except BadImage:
            refused += 1
            continue
        labels.append(image.label)
    if not arrays:
        return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64), refused
    return np.stack(arrays).astype(np.uint8), np.asarray(labels, np.int64), refused


def read_labelled(s3, bucket: str, progress: Callable[[int, int], None] | None = None) -> Collected:
    """Read every labelled image of ``bucket`` with its resolved label, deduplicated.

    ``progress(done, total)`` is called as image bodies arrive. Labels whose image has gone
    (expired) or whose history resolves to nothing are left out and counted in ``skipped``.
    """
    histories = labels_by_key(s3, bucket)
    collected = Collected(images=[], labelled_keys=len(histories))
    wanted = []
    for key, history in sorted(histories.items()):
        label = resolve(history)
        if label is None:
            collected.skip("no valid label")
        else:
            wanted.append((key, label))
    done = 0

    def fetch(item: tuple[str, int]) -> LabelledImage | None:
        key, label = item
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in MISSING:
                return None
            raise
        return LabelledImage(key=key, data=body, label=label)

    images = []
    if wanted:
        with ThreadPoolExecutor(max_workers=min(GET_THREADS, len(wanted))) as pool:
            for image in pool.map(fetch, wanted):
                done += 1
                if progress is not None:
                    progress(done, len(wanted))
                if image is None:
                    collected.skip("image gone")
                else:
                    images.append(image)
    kept, merged, dropped = deduplicate(images)
    collected.images = kept
    collected.skip("duplicate bytes merged", merged)
    collected.skip("duplicates with conflicting labels", dropped)
    return collected


def print_progress(done: int, total: int) -> None:
    """Show reading progress on stderr, about every twentieth image and at the end."""
    if done % max(1, total // 20) == 0 or done == total:
        print(f"[retrain] read {done}/{total} labelled images", file=sys.stderr, flush=True)

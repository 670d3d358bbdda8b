"""Pack files into batches that the function accepts: its batch size, under its body limit."""

from __future__ import annotations

from collections.abc import Sequence

from digits.config import DEFAULT_MAX_BODY_BYTES, MAX_BATCH_IMAGES
from digits_client.files import Entry

MAX_IMAGES = MAX_BATCH_IMAGES
# The function's default body limit, what Lambda is deployed with.
MAX_BODY_BYTES = DEFAULT_MAX_BODY_BYTES
# The multipart framing of one part (boundary, headers) and of the whole body; generous, as a
# file name may be sent percent-encoded.
BODY_OVERHEAD = 256


def part_bytes(entry: Entry) -> int:
    """Return an upper bound of the bytes ``entry`` takes in a multipart body."""
    return entry.size + BODY_OVERHEAD + 3 * len(entry_filename(entry).encode())


def entry_filename(entry: Entry) -> str:
    """Return the file name sent with ``entry``: its last component only, never its folders."""
    return entry.path.name if entry.path is not None else ""


def fits_alone(entry: Entry, max_body: int = MAX_BODY_BYTES) -> bool:
    """Say if ``entry`` can be sent at all under ``max_body``."""
    return BODY_OVERHEAD + part_bytes(entry) <= max_body


def plan(
    entries: Sequence[Entry], max_images: int = MAX_IMAGES, max_body: int = MAX_BODY_BYTES
) -> list[list[int]]:
    """Return batches of indices into ``entries``, in order, each within both limits.

    Entries that cannot be sent (an error, or too large alone) are left out.
    """
    batches: list[list[int]] = []
    current: list[int] = []
    used = BODY_OVERHEAD
    for index, entry in enumerate(entries):
        if entry.error is not None or not fits_alone(entry, max_body):
            continue
        size = part_bytes(entry)
        if current and (len(current) == max_images or used + size > max_body):
            batches.append(current)
            current, used = [], BODY_OVERHEAD
        current.append(index)
        used += size
    if current:
        batches.append(current)
    return batches

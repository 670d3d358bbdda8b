"""How much memory reading an image takes, and how much of the function's memory reading may use.

An image's cost is the bytes its decoded pixels and the vision path's working copies take at
their peak: its decoded pixels (what ``decoding.open_image`` says decoding will make, a large
JPEG's at its reduced scale) times its kind's bytes per pixel, measured by
``python -m bench.decode_memory`` (bench/decode_memory.json) and rounded up here.

The budget is what the function's memory (MemorySize, one source: ``Settings.memory_mb``) leaves
after the instance itself and a margin. It bounds each image, the sum over one request's images
(the images of a batch past it are refused, each alone, before anything is decoded), and the
decodes in flight in the process (``DecodeBudget``: a decode waits until its bytes are free).
Bounding the bytes a request decodes also bounds the time its decoding takes.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Iterator

from digits.deadline import Deadline, OutOfTime
from digits.errors import PayloadTooLarge
from digits.imaging.decoding import Opened
from digits.imaging.formats import AVIF, HEIF, WEBP

MB = 1024 * 1024
# Peak bytes per decoded pixel by Pillow's mode, decoding and the vision path together
# (bench/decode_memory.json, rounded up). P is a palette converted to RGB, or RGBA when it has
# transparency; I;16 (16-bit grey) goes through float64 on its way to 8 bits.
BYTES_PER_PIXEL = {"1": 2, "L": 2, "P": 9, "RGB": 6, "RGBA": 8, "LA": 12, "CMYK": 10, "I;16": 26}
# libwebp decodes into a buffer of its own that Pillow then copies, whatever the mode.
WEBP_BYTES_PER_PIXEL = 16
# So do libheif (HEIC) and libavif (AVIF): 9.4 and 11.6 bytes per pixel of a 9-megapixel RGB
# photo read in a fresh process as bench/decode_memory.py reads the other kinds, rounded up.
OWN_BUFFER_BYTES_PER_PIXEL = {WEBP: WEBP_BYTES_PER_PIXEL, HEIF: 10, AVIF: 12}
# Modes the table does not name are costed as the dearest one.
UNKNOWN_BYTES_PER_PIXEL = max(BYTES_PER_PIXEL.values())
# What the instance holds before any image: interpreter, libraries, model, S3 client (the Lambda
# package's peak RSS on the fixtures, which python -m infra.measure_lambda prints, stays under it).
INSTANCE_MB = 128
# Of the function's memory, kept free whatever the estimates say: allocator slack, threads, the
# request and its answer.
MARGIN = 0.2


def image_bytes(opened: Opened) -> int:
    """Return the peak bytes reading ``opened`` takes: its decoded pixels at its kind's rate."""
    if opened.kind in OWN_BUFFER_BYTES_PER_PIXEL:
        rate = OWN_BUFFER_BYTES_PER_PIXEL[opened.kind]
    else:
        rate = BYTES_PER_PIXEL.get(opened.mode, UNKNOWN_BYTES_PER_PIXEL)
    return opened.decoded_pixels * rate


def capacity_bytes(memory_mb: int) -> int:
    """Return the bytes decoding may use in a function of ``memory_mb`` MB."""
    return max(0, math.floor((memory_mb * (1 - MARGIN) - INSTANCE_MB) * MB))


def too_large(opened: Opened, capacity: int, memory_mb: int) -> PayloadTooLarge:
    """Return the error for an image that alone needs more than ``capacity`` bytes."""
    width, height = opened.image.size
    return PayloadTooLarge(
        f"the image needs about {_mb(image_bytes(opened))} MB to decode ({width}x{height} "
        f"{opened.mode}); this function decodes at most {capacity // MB} MB per request "
        f"(memory {memory_mb} MB)"
    )


def _mb(count: int) -> int:
    return math.ceil(count / MB)


class OverBudget(PayloadTooLarge):
    """An image of a batch past what one request may decode; it fits in a request of its own."""

    code = "over_budget"


def over_budget(opened: Opened, left: int, capacity: int) -> OverBudget:
    """Return the error for a batch's image that needs more than the ``left`` bytes."""
    return OverBudget(
        f"this image needs about {_mb(image_bytes(opened))} MB to decode and the batch's earlier "
        f"images took all but {left // MB} MB of the {capacity // MB} MB one request may decode; "
        "send it again alone or in a smaller batch"
    )


class DecodeBudget:
    """The bytes the decodes in flight in this process may hold: a semaphore counted in bytes."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._free = capacity
        self._changed = threading.Condition()

    @contextlib.contextmanager
    def holding(self, count: int, deadline: Deadline) -> Iterator[None]:
        """Hold ``count`` bytes while the block runs, waiting (until ``deadline``) to get them."""
        count = min(count, self.capacity)
        left = deadline.remaining()
        with self._changed:
            wait = None if math.isinf(left) else left
            if not self._changed.wait_for(lambda: self._free >= count, wait):
                raise OutOfTime("the function ran out of time waiting for memory to decode in")
            self._free -= count
        try:
            yield
        finally:
            with self._changed:
                self._free += count
                self._changed.notify_all()

"""How the bench reads an image: the function's own call, in one small place.

Every bench that scores what the function reads (bench/numbers.py, bench/single_digits.py,
bench/refusals.py) calls ``read`` or ``read_number``, so that a change to the recognizer is
followed in one place. A refusal (any ``digits.errors.RequestError``, such as "nothing drawn" or
"not a digit") reads as nothing, with the refusal's code. ``digit_level`` scores a number read
against the truth digit by digit, for the numbers and the photo benches alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from digits import recognise
from digits.errors import RequestError
from digits.imaging import decoding

MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class Reading:
    """What the function read: the digits left to right, each one's confidence, or its refusal."""

    number: str
    confidences: tuple[float, ...] = ()
    refused: str | None = None  # the error code of a refusal ("not_a_digit", "nothing_drawn")


def read(model, data: bytes) -> Reading:
    """Return what the function reads in ``data``."""
    try:
        image = decoding.decode_image(data, max_pixels=MAX_PIXELS).image
        digits_read = recognise.read_digits(model, image)
    except RequestError as error:
        return Reading("", refused=error.code)
    return Reading(
        "".join(str(d.prediction.digit) for d in digits_read),
        tuple(d.prediction.confidence for d in digits_read),
    )


def read_number(model, data: bytes) -> str:
    """Return the digits the function reads in ``data``, left to right ("" when it refuses)."""
    return read(model, data).number


def digit_level(read: str, truth: str) -> float:
    """Return the share of ``truth``'s digits read right: 1 less the edits from one to the
    other (Levenshtein) over the truth's length, at least 0."""
    row = list(range(len(truth) + 1))
    for i, x in enumerate(read, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(truth, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return max(0.0, 1 - row[-1] / len(truth))

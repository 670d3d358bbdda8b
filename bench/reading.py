"""How the bench reads an image: the function's own call, in one small function.

Every bench that scores what the function reads (bench/numbers.py, bench/single_digits.py) calls
``read_number``, so that a change to the recognizer is followed in one place. A refusal (any
``digits.errors.RequestError``, such as "nothing drawn" or "not a digit") reads as nothing.
"""

from __future__ import annotations

from digits import recognise
from digits.errors import RequestError
from digits.imaging import decoding

MAX_PIXELS = 40_000_000


def read_number(model, data: bytes) -> str:
    """Return the digits the function reads in ``data``, left to right ("" when it refuses)."""
    try:
        image = decoding.decode_image(data, max_pixels=MAX_PIXELS).image
        digits_read = recognise.read_digits(model, image)
    except RequestError:
        return ""
    return "".join(str(d.prediction.digit) for d in digits_read)

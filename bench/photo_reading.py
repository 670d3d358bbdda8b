"""How the photo bench reads a photo: the function's own code path, in one small function.

Every call into functions/digits is in ``read_number``, to re-point in one place as that package
moves. This module imports nothing else heavy, so that a process measuring the function's memory
(bench/photo_memory.py) holds what the function holds.
"""

from __future__ import annotations

from PIL import Image


def read_number(data: bytes) -> str | None:
    """Return the number the function reads in ``data``, or None when it refuses the image."""
    from digits import errors
    from digits.config import Settings
    from digits.imaging.decoding import decode_image
    from digits.instance import cached_model
    from digits.recognise import read_digits

    refused = getattr(errors, "RequestError", None) or errors.ClientError
    settings = Settings.from_env()
    try:
        decoded = decode_image(data, max_pixels=settings.max_pixels)
        # An image, or the record of one that the refactored decoding returns.
        image = decoded if isinstance(decoded, Image.Image) else decoded.image
        digits = read_digits(cached_model(settings.model_path), image)
    except refused:
        return None
    return "".join(str(d.prediction.digit) for d in digits)

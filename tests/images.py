"""An image as the bytes a sender sends: the one encoder the unit and integration tests share."""

from __future__ import annotations

import io

from PIL import Image


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    """Return ``image`` saved in Pillow's format ``fmt`` ("PNG", "JPEG", ...) with ``options``."""
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()

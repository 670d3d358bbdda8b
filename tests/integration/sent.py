"""What the API tests send: MNIST digits as the page's canvas exports them or as a scan, and as
data URLs."""

import base64
import io

import numpy as np
from PIL import Image


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def canvas_png(digit: np.ndarray) -> bytes:
    """What the page's canvas exports: a large RGBA PNG, dark ink on a transparent background."""
    alpha = Image.fromarray(digit).resize((280, 280), Image.Resampling.BILINEAR)
    ink = Image.new("RGBA", alpha.size, (20, 20, 20, 0))
    ink.putalpha(alpha)
    return png(ink)


def paper_png(digit: np.ndarray) -> bytes:
    """A scan-like upload: dark ink on white paper, greyscale."""
    return png(Image.fromarray(255 - digit).resize((140, 140), Image.Resampling.BILINEAR))


def data_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()

"""What the API tests send: MNIST digits as the page's canvas exports them or as a scan, as data
URLs, and several images as one multipart body."""

import base64

import numpy as np
from PIL import Image

from tests.images import encode


def png(image: Image.Image) -> bytes:
    return encode(image, "PNG")


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


def multipart(files: list[bytes]) -> tuple[bytes, str]:
    """Return a multipart/form-data body of PNG ``files``, each a part named "file"; its type."""
    parts = [
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="%d.png"\r\n'
        b"Content-Type: image/png\r\n\r\n" % i + data + b"\r\n"
        for i, data in enumerate(files)
    ]
    return b"".join(parts) + b"--b--\r\n", "multipart/form-data; boundary=b"

"""Memory that reading an image takes per decoded pixel, by format and mode: the decode budget.

    python -m bench.decode_memory      # writes bench/decode_memory.json; about a minute

For each kind (format and the mode Pillow decodes it to), images of two sizes (JPEGs small enough
to be decoded whole), blank but for one
stroke (the cheapest to compress, so the most pixels per byte sent), are read in fresh processes:
decoded and passed through the vision path (``recognise.read_digits``: the reductions and working
copies it makes). The peak RSS (VmHWM) above an instance that has read one small image already,
divided by the pixels decoded, is that kind's bytes per pixel; the slope between the two sizes
leaves out fixed costs. functions/digits/imaging/budget.py's BYTES_PER_PIXEL rounds these up.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

OUTPUT = Path(__file__).resolve().parent / "decode_memory.json"
SIDES = (3000, 6000)
# A JPEG over twice decoding.WORK_SIDE is decoded at a reduced scale: both sizes stay under it.
JPEG_SIDES = (1000, 2000)
# (name, Pillow format, what to convert the greyscale drawing to, save options)
KINDS = (
    ("PNG 1", "PNG", "1", {}),
    ("PNG L", "PNG", "L", {}),
    ("PNG LA", "PNG", "LA", {}),
    ("PNG P", "PNG", "P", {}),
    ("PNG P with transparency", "PNG", "P", {"transparency": 255}),
    ("PNG RGB", "PNG", "RGB", {}),
    ("PNG RGBA", "PNG", "RGBA", {}),
    ("PNG I;16", "PNG", "I;16", {}),
    ("JPEG L", "JPEG", "L", {}),
    ("JPEG RGB", "JPEG", "RGB", {}),
    ("JPEG CMYK", "JPEG", "CMYK", {}),
    ("WebP RGB", "WEBP", "RGB", {"lossless": True}),
    ("WebP RGBA", "WEBP", "RGBA", {"lossless": True}),
    ("GIF P", "GIF", "P", {}),
)

CHILD = """
import io, json, sys
import numpy as np
from PIL import Image
from digits import instance
from digits.config import Settings
from digits.imaging import decoding
from digits.recognise import read_digits
def peak():
    with open("/proc/self/status") as status:
        return int(next(l for l in status if l.startswith("VmHWM:")).split()[1]) * 1024
model = instance.cached_model(Settings.from_env({}).model_path)
small = io.BytesIO()
canvas = np.full((200, 200), 255, np.uint8)
canvas[60:140, 95:105] = 0
Image.fromarray(canvas).save(small, "PNG")
read_digits(model, decoding.decode_image(small.getvalue(), max_pixels=10**9).image)
data = open(sys.argv[1], "rb").read()
before = peak()
opened = decoding.open_image(data, max_pixels=10**9)
read_digits(model, decoding.load(opened).image)
print(json.dumps({"mode": opened.mode, "pixels": opened.decoded_pixels, "bytes": peak() - before}))
"""


def drawing(side: int, mode: str) -> Image.Image:
    """Return a white ``side`` square with one dark stroke, in ``mode``."""
    canvas = np.full((side, side), 255, np.uint8)
    unit = side // 10
    canvas[3 * unit : 7 * unit, 5 * unit - unit // 4 : 5 * unit + unit // 4] = 0
    if mode == "I;16":
        return Image.fromarray(canvas.astype(np.uint16) * 257)
    image = Image.fromarray(canvas)
    if mode == "RGBA":
        # As a canvas sends it: the stroke opaque, the rest transparent.
        image = image.convert("RGBA")
        image.putalpha(Image.fromarray(255 - canvas))
    return image if mode in ("L", "RGBA") else image.convert(mode)


def measure_one(data: bytes) -> dict:
    """Return the mode, pixels decoded and peak bytes of reading ``data`` in a fresh process."""
    with tempfile.NamedTemporaryFile(suffix=".image") as file:
        file.write(data)
        file.flush()
        answer = subprocess.run(
            [sys.executable, "-c", CHILD, file.name],
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(answer.stdout)


def measure() -> dict:
    """Return each kind's mode and bytes per decoded pixel, from the slope between two sizes."""
    figures = {}
    for name, fmt, mode, options in KINDS:
        runs = []
        for side in JPEG_SIDES if fmt == "JPEG" else SIDES:
            buffer = io.BytesIO()
            drawing(side, mode).save(buffer, fmt, **options)
            runs.append(measure_one(buffer.getvalue()) | {"sent_bytes": len(buffer.getvalue())})
        small, large = runs
        slope = (large["bytes"] - small["bytes"]) / (large["pixels"] - small["pixels"])
        figures[name] = {
            "mode": large["mode"],
            "bytes_per_pixel": round(slope, 2),
            "runs": runs,
        }
        print(f"{name:26} decoded as {large['mode']:5} {slope:6.2f} bytes per pixel")
    return figures


if __name__ == "__main__":
    OUTPUT.write_text(json.dumps(measure(), indent=2) + "\n")

"""Time and peak memory of reading one photo in a fresh process.

``python -m bench.photo_memory PHOTO`` loads the function's code and model on a small blank image,
then reads PHOTO once (first) and REPEATS times more (warm), and prints JSON: the times, and the
process's peak resident set size before the photo and after it (VmHWM: getrusage's ru_maxrss
would carry over the peak of the parent that spawned this process).
"""

from __future__ import annotations

import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

from PIL import Image

from bench.memory import peak_rss
from bench.photo_reading import read_number

REPEATS = 5


def _peak_mb() -> float:
    return peak_rss(os.getpid()) / 1e6


def main(argv: list[str] | None = None) -> None:
    """Read the photo named by the first argument and print the figures as JSON."""
    path = Path((argv or sys.argv[1:])[0])
    data = path.read_bytes()
    blank = io.BytesIO()
    Image.new("L", (64, 64), 255).save(blank, "PNG")
    read_number(blank.getvalue())
    ready = _peak_mb()
    started = time.perf_counter()
    read = read_number(data)
    first = time.perf_counter() - started
    warm = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        read_number(data)
        warm.append(time.perf_counter() - started)
    # The size the photo's header declares, as the function reads it (HEIC is not Pillow's own).
    from digits.imaging.decoding import open_image

    width, height = open_image(data, max_pixels=10**9).declared
    size = f"{width}x{height}"
    figures = {
        "size": size,
        "read": read,
        "first_ms": first * 1000,
        "warm_ms": statistics.median(warm) * 1000,
        "repeats": REPEATS,
        "ready_mb": ready,
        "peak_mb": _peak_mb(),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

"""bench.number_requests times whole warm answers through the function, with moto's S3."""

from __future__ import annotations

from PIL import Image, ImageDraw

from bench.number_requests import warm_request_ms
from tests.images import encode


def strokes(count: int) -> bytes:
    """Return a PNG of ``count`` upright strokes side by side, dark on white."""
    image = Image.new("L", (60 + 50 * count, 140), 255)
    draw = ImageDraw.Draw(image)
    for i in range(count):
        x = 40 + 50 * i
        draw.line([(x, 25), (x, 115)], fill=0, width=9)
    return encode(image, "PNG")


def test_one_digit_and_six_are_answered_and_timed():
    times = warm_request_ms([strokes(1)] * 4, [strokes(6)] * 2)
    assert set(times) == {"one_digit", "six_digits", "six_over_one"}
    assert times["one_digit"] > 0
    assert times["six_digits"] > 0
    assert times["six_over_one"] == times["six_digits"] / times["one_digit"]

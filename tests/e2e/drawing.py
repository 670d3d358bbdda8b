"""What a person does on the page, for the browser tests: draw a digit, upload a scan, predict."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PIL import Image
from playwright.sync_api import Page

from tests.images import encode

# Digits as polylines in pad coordinates (0..1 across and down), the way a person draws them.
ONE = [[(0.53, 0.17), (0.50, 0.50), (0.47, 0.83)]]
ZERO = [
    [
        (0.5 + 0.21 * math.sin(2 * math.pi * t / 36), 0.5 - 0.31 * math.cos(2 * math.pi * t / 36))
        for t in range(38)
    ]
]
SEVEN = [[(0.27, 0.22), (0.72, 0.22), (0.58, 0.52), (0.44, 0.84)]]
DIGITS = {1: ONE, 0: ZERO, 7: SEVEN}
# Not digits, drawn as a person would: a capital K and a five-pointed star.
LETTER_K = [[(0.35, 0.18), (0.35, 0.84)], [(0.68, 0.18), (0.37, 0.52), (0.70, 0.84)]]
STAR = [
    [
        (0.5 + 0.3 * math.sin(4 * math.pi * k / 5), 0.53 - 0.3 * math.cos(4 * math.pi * k / 5))
        for k in range(6)
    ]
]


def to_page(page: Page, x: float, y: float) -> tuple[float, float]:
    """Turn pad coordinates into page coordinates."""
    box = page.get_by_test_id("pad").bounding_box()
    assert box is not None
    return box["x"] + x * box["width"], box["y"] + y * box["height"]


def draw_with_mouse(
    page: Page, strokes: list[list[tuple[float, float]]], pause_ms: int = 0
) -> None:
    """Draw each stroke as a mouse drag through its points."""
    for stroke in strokes:
        page.mouse.move(*to_page(page, *stroke[0]))
        page.mouse.down()
        for point in stroke[1:]:
            page.mouse.move(*to_page(page, *point), steps=6)
            if pause_ms:
                page.wait_for_timeout(pause_ms)
        page.mouse.up()


def predict_response(page: Page, action: Callable[[], object]) -> dict:
    """Run `action` and return the JSON of the POST /predict it causes."""
    with page.expect_response(
        lambda r: r.url.endswith("/predict") and r.request.method == "POST"
    ) as info:
        action()
    return info.value.json()


def mnist_file(digit: np.ndarray, fmt: str) -> bytes:
    """Render an MNIST digit as a scan would look: dark ink on white, 280 pixels wide."""
    image = Image.fromarray(255 - digit).resize((280, 280), Image.Resampling.LANCZOS)
    return encode(image, fmt.upper())


def predict_drawing(page: Page, strokes: list[list[tuple[float, float]]]) -> dict:
    """Clear the pad, draw `strokes`, press Predict and return the answer's JSON."""
    page.get_by_label("Predict as I draw").uncheck()  # one request per drawing, the Predict one
    page.get_by_test_id("clear").click()
    # Strokes off the screen are lost: the pad is in view, whatever the page scrolled to.
    page.get_by_test_id("pad").evaluate("pad => pad.scrollIntoView({block: 'center'})")
    draw_with_mouse(page, strokes)
    return predict_response(page, page.get_by_test_id("predict").click)

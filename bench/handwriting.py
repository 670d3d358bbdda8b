"""Synthetic handwriting: each digit a pen trajectory, written in one of many writers' styles.

A digit is a few strokes through control points (an oval 0; a 1 with or without flag and foot;
open or closed 4; a 7 with or without a bar; ...) in a box one unit tall, x to the right and y
down. A writer (``Hand``) has a slant, an aspect, a pen width, a wobble and a loop size, and one
habitual form of each digit; every glyph it writes varies a little around them. Strokes are drawn
with a round pen whose pressure swells and fades, four times larger, then reduced (antialiased).
Writers of the ``tune`` split come from another seed than the ``report`` split's.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from bench import heldout

SUPERSAMPLE = 4
WRITERS_PER_SPLIT = 300
# Keeps the writers' seeds apart from every other use of a split's seed.
WRITERS_SALT = 8_251
# A writer's range of styles; the unit is the digit's height.
SLANT = (-0.12, 0.38)  # forward lean: how far the top moves right
ASPECT = (0.55, 0.85)  # width of a wide digit (0, 2, 3, ...)
PEN = (0.06, 0.13)
WOBBLE = (0.004, 0.016)
LOOP = (0.8, 1.2)
# How much one glyph strays from its writer's habits.
JITTER = 0.025
WARP = 0.045


def _curve(*points: tuple[float, float], density: int = 60) -> np.ndarray:
    """Return a smooth path through ``points`` (a Catmull-Rom spline), ``density`` per unit."""
    p = np.asarray(points, dtype=np.float64)
    padded = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    pieces = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1 : i + 3]
        steps = max(2, int(np.linalg.norm(p2 - p1) * density))
        t = np.linspace(0, 1, steps, endpoint=False)[:, None]
        pieces.append(
            0.5
            * (
                2 * p1
                + (p2 - p0) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                + (3 * p1 - p0 - 3 * p2 + p3) * t**3
            )
        )
    return np.vstack([*pieces, p[-1:]])


def _line(*points: tuple[float, float], density: int = 60) -> np.ndarray:
    """Return a straight-edged path through ``points``, with corners."""
    p = np.asarray(points, dtype=np.float64)
    pieces = [
        np.linspace(a, b, max(2, int(np.linalg.norm(b - a) * density)), endpoint=False)
        for a, b in itertools.pairwise(p)
    ]
    return np.vstack([*pieces, p[-1:]])


def _arc(
    cx: float, cy: float, rx: float, ry: float, start: float, end: float, density: int = 60
) -> np.ndarray:
    """Return an elliptic arc from ``start`` to ``end`` degrees (0 right, 90 down)."""
    steps = max(8, int(abs(np.deg2rad(end - start)) * max(rx, ry) * density))
    angle = np.deg2rad(np.linspace(start, end, steps))
    return np.column_stack([cx + rx * np.cos(angle), cy + ry * np.sin(angle)])


def _joined(*pieces: np.ndarray) -> np.ndarray:
    return np.vstack(pieces)


Strokes = list[np.ndarray]
Form = Callable[[float], Strokes]  # a digit's strokes, given the writer's loop size

# Control points read best a few to a line, as the shape goes.
# fmt: off


def _zero_oval(loop: float) -> Strokes:
    return [_arc(0.5, 0.5, 0.42, 0.5, -80, -80 - 375)]


def _zero_pointed(loop: float) -> Strokes:
    return [_curve((0.55, 0.0), (0.15, 0.2), (0.1, 0.65), (0.45, 1.0), (0.85, 0.7), (0.85, 0.25),
                   (0.55, 0.0), (0.4, 0.08))]


def _one_plain(loop: float) -> Strokes:
    return [_line((0.55, 0.0), (0.5, 1.0))]


def _one_curved(loop: float) -> Strokes:
    return [_curve((0.4, 0.08), (0.58, 0.0), (0.52, 0.5), (0.45, 1.0))]


def _one_flag(loop: float) -> Strokes:
    return [_line((0.2, 0.25), (0.55, 0.0), (0.5, 1.0))]


def _one_flag_foot(loop: float) -> Strokes:
    return [_line((0.2, 0.22), (0.55, 0.0), (0.5, 1.0)), _line((0.2, 1.0), (0.8, 1.0))]


def _two_plain(loop: float) -> Strokes:
    top = 0.3 * loop
    return [
        _joined(
            _curve((0.1, top * 0.8), (0.45, 0.0), (0.85, top * 0.6), (0.75, top * 1.5),
                   (0.05, 1.0)),
            _line((0.05, 1.0), (0.95, 0.98)),
        )
    ]


def _two_curl(loop: float) -> Strokes:
    return [
        _curve((0.1, 0.25), (0.45, 0.0), (0.85, 0.2), (0.7, 0.55), (0.2, 0.92), (0.12, 0.8),
               (0.3, 0.8), (0.6, 0.98), (0.95, 0.95)),
    ]


def _three_round(loop: float) -> Strokes:
    middle = 0.45 + 0.05 * (loop - 1)
    return [
        _joined(
            _curve((0.12, 0.15), (0.5, 0.0), (0.85, 0.15), (0.75, middle - 0.1),
                   (0.4, middle)),
            _curve((0.4, middle), (0.85, middle + 0.15), (0.85, 0.85), (0.5, 1.0), (0.1, 0.85)),
        )
    ]


def _three_flat(loop: float) -> Strokes:
    return [
        _joined(
            _line((0.1, 0.0), (0.85, 0.0), (0.4, 0.4)),
            _curve((0.4, 0.4), (0.85, 0.55), (0.85, 0.88), (0.5, 1.0), (0.1, 0.88)),
        )
    ]


def _four_open(loop: float) -> Strokes:
    return [_line((0.15, 0.0), (0.1, 0.62), (0.95, 0.6)), _line((0.72, 0.1), (0.7, 1.0))]


def _four_leaning(loop: float) -> Strokes:
    return [_line((0.45, 0.0), (0.05, 0.62), (0.95, 0.6)), _line((0.72, 0.2), (0.7, 1.0))]


def _four_closed(loop: float) -> Strokes:
    return [_line((0.7, 1.0), (0.68, 0.0), (0.05, 0.68), (0.95, 0.66))]


def _five_two_strokes(loop: float) -> Strokes:
    return [
        _joined(
            _line((0.22, 0.0), (0.15, 0.45)),
            _curve((0.15, 0.45), (0.55, 0.35), (0.88, 0.6), (0.7, 0.95), (0.4, 1.0), (0.1, 0.88)),
        ),
        _line((0.22, 0.0), (0.9, 0.02)),
    ]


def _five_one_stroke(loop: float) -> Strokes:
    return [
        _joined(
            _line((0.9, 0.0), (0.25, 0.0), (0.18, 0.42)),
            _curve((0.18, 0.42), (0.55, 0.35), (0.88, 0.6), (0.7, 0.95), (0.4, 1.0), (0.1, 0.85)),
        )
    ]


def _six(loop: float) -> Strokes:
    top = 1 - 0.45 * loop  # the loop's top
    return [
        _curve((0.8, 0.02), (0.4, 0.15), (0.15, 0.55), (0.2, 0.9), (0.5, 1.0), (0.82, 0.85),
               (0.8, top + 0.1), (0.5, top), (0.2, top + 0.2)),
    ]


def _six_straight(loop: float) -> Strokes:
    top = 1 - 0.4 * loop
    return [
        _joined(_line((0.75, 0.0), (0.25, 0.6)),
                _curve((0.25, 0.6), (0.17, 0.8), (0.4, 1.0), (0.8, 0.85), (0.6, top),
                       (0.25, top + 0.12))),
    ]


def _seven_plain(loop: float) -> Strokes:
    return [_line((0.05, 0.02), (0.95, 0.0), (0.4, 1.0))]


def _seven_bar(loop: float) -> Strokes:
    return [_line((0.05, 0.02), (0.95, 0.0), (0.4, 1.0)), _line((0.35, 0.52), (0.9, 0.48))]


def _seven_curved(loop: float) -> Strokes:
    return [_joined(_line((0.05, 0.1), (0.05, 0.02), (0.95, 0.0)),
                    _curve((0.95, 0.0), (0.6, 0.5), (0.45, 1.0)))]


def _eight_one_stroke(loop: float) -> Strokes:
    waist = 0.45 + 0.05 * (1 - loop)
    return [
        _curve((0.8, 0.12), (0.5, 0.0), (0.2, 0.15), (0.3, waist - 0.12), (0.7, waist + 0.12),
               (0.85, 0.82), (0.5, 1.0), (0.15, 0.82), (0.3, waist + 0.12), (0.7, waist - 0.12),
               (0.8, 0.15), (0.55, 0.0)),
    ]


def _eight_two_loops(loop: float) -> Strokes:
    waist = 0.45 + 0.05 * (1 - loop)
    return [
        _arc(0.5, waist / 2, 0.3, waist / 2, -90, 270),
        _arc(0.5, (1 + waist) / 2, 0.4, (1 - waist) / 2, -90, -90 - 365),
    ]


def _nine_straight(loop: float) -> Strokes:
    ry = 0.25 * loop
    return [_joined(_arc(0.48, ry, 0.38, ry, -10, -370), _line((0.86, ry), (0.8, 1.0)))]


def _nine_curved(loop: float) -> Strokes:
    ry = 0.25 * loop
    return [
        _joined(
            _arc(0.48, ry, 0.38, ry, -10, -370),
            _curve((0.86, ry), (0.84, 0.7), (0.6, 1.0), (0.3, 0.95)),
        )
    ]


# fmt: on

FORMS: dict[int, tuple[Form, ...]] = {
    0: (_zero_oval, _zero_pointed),
    1: (_one_plain, _one_curved, _one_flag, _one_flag_foot),
    2: (_two_plain, _two_curl),
    3: (_three_round, _three_flat),
    4: (_four_open, _four_leaning, _four_closed),
    5: (_five_two_strokes, _five_one_stroke),
    6: (_six, _six_straight),
    7: (_seven_plain, _seven_bar, _seven_curved),
    8: (_eight_one_stroke, _eight_two_loops),
    9: (_nine_straight, _nine_curved),
}
# A 1 is narrower than the others, whatever the writer's aspect.
NARROW = {1: 0.45}


@dataclass(frozen=True)
class Hand:
    """One writer's style: lean, width, pen, wobble, loop size and a form for each digit."""

    slant: float
    aspect: float
    pen: float
    wobble: float
    loop: float
    forms: tuple[int, ...]


def _warp(points: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Move points by a smooth field over the box (``grid``: 2 x 3 x 3 control offsets)."""

    # Quadratic B-spline weights of x and y over the box's three control rows and columns.
    def weights(t: np.ndarray) -> np.ndarray:
        t = np.clip(t, -0.2, 1.2)
        return np.column_stack([(1 - t) ** 2, 2 * t * (1 - t), t**2])

    wx, wy = weights(points[:, 0]), weights(points[:, 1])
    dx = np.einsum("ni,ij,nj->n", wy, grid[0], wx)
    dy = np.einsum("ni,ij,nj->n", wy, grid[1], wx)
    return points + np.column_stack([dx, dy])


def _hand(rng: np.random.Generator) -> Hand:
    return Hand(
        slant=float(rng.uniform(*SLANT)),
        aspect=float(rng.uniform(*ASPECT)),
        pen=float(rng.uniform(*PEN)),
        wobble=float(rng.uniform(*WOBBLE)),
        loop=float(rng.uniform(*LOOP)),
        forms=tuple(int(rng.integers(len(FORMS[d]))) for d in range(10)),
    )


@functools.lru_cache(maxsize=len(heldout.SPLITS))
def hands(split: str) -> tuple[Hand, ...]:
    """Return the split's writers: drawn from its own seed, so tune and report share none."""
    rng = np.random.default_rng([heldout.split(split).seed, WRITERS_SALT])
    return tuple(_hand(rng) for _ in range(WRITERS_PER_SPLIT))


def _wobble(stroke: np.ndarray, amplitude: float, rng: np.random.Generator) -> np.ndarray:
    """Displace a stroke by smooth noise along its length: a hand is never quite steady."""
    length = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(stroke, axis=0), axis=1))])
    drift = np.zeros_like(stroke)
    for _ in range(3):
        frequency = rng.uniform(0.3, 1.5)
        phase = rng.uniform(0, 2 * np.pi, 2)
        drift += np.sin(2 * np.pi * frequency * length[:, None] + phase) * rng.uniform(0.3, 1, 2)
    return stroke + drift * amplitude


def _pressure(stroke: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return the pen's width factor along a stroke: swelling and thinning, lighter at the end."""
    t = np.linspace(0, 1, len(stroke))
    swell = 1 + 0.15 * np.sin(2 * np.pi * rng.uniform(0.5, 2) * t + rng.uniform(0, 2 * np.pi))
    return swell * (1 - 0.25 * np.clip((t - 0.85) / 0.15, 0, 1))


def _render(strokes: Strokes, widths: list[np.ndarray]) -> np.ndarray:
    """Draw strokes of pixel coordinates with a round pen of pixel ``widths``, with a margin."""
    points = np.vstack(strokes)
    margin = max(float(w.max()) for w in widths) + 2
    origin = points.min(axis=0) - margin
    size = np.ceil((points.max(axis=0) - origin + margin) * SUPERSAMPLE).astype(int)
    canvas = Image.new("L", (int(size[0]), int(size[1])), 0)
    draw = ImageDraw.Draw(canvas)
    for stroke, width in zip(strokes, widths, strict=True):
        scaled = (stroke - origin) * SUPERSAMPLE
        radii = width * SUPERSAMPLE / 2
        # Round dabs at most a quarter radius apart trace a round pen of varying width.
        for (x0, y0), (x1, y1), r in zip(scaled[:-1], scaled[1:], radii[:-1], strict=True):
            steps = max(1, int(np.hypot(x1 - x0, y1 - y0) / max(0.5, r / 4)))
            for k in range(steps):
                x, y = x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps
                draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
        x, y = scaled[-1]
        draw.ellipse((x - radii[-1], y - radii[-1], x + radii[-1], y + radii[-1]), fill=255)
    return np.asarray(canvas.reduce(SUPERSAMPLE), dtype=np.float32) / 255


def write(digit: int, hand: Hand, height: int, rng: np.random.Generator) -> np.ndarray:
    """Return ``digit`` in ``hand``'s style, about ``height`` pixels tall, as ink 1 on 0."""
    loop = hand.loop * rng.uniform(0.93, 1.07)
    strokes = FORMS[digit][hand.forms[digit]](loop)
    width = NARROW.get(digit, 1.0) * hand.aspect * rng.uniform(0.92, 1.08)
    slant = hand.slant + rng.normal(0, JITTER * 2)
    angle = np.deg2rad(rng.normal(0, 2.5))
    pen = hand.pen * rng.uniform(0.9, 1.1)
    body = height / (1 + pen)  # the pen's width adds to the ink's height
    # A smooth field over the box: proportions differ glyph by glyph.
    field = rng.normal(0, WARP, (2, 3, 3))
    drawn, widths = [], []
    for stroke in strokes:
        points = _warp(stroke, field) + rng.normal(0, JITTER / 2, 2)
        points = _wobble(points, hand.wobble, rng)
        x = (points[:, 0] - 0.5) * width + slant * (0.5 - points[:, 1])
        y = points[:, 1] - 0.5
        turned = np.column_stack(
            [x * np.cos(angle) - y * np.sin(angle), x * np.sin(angle) + y * np.cos(angle)]
        )
        drawn.append(turned * body)
        widths.append(np.maximum(1.0, pen * body * _pressure(points, rng)))
    return _render(drawn, widths)

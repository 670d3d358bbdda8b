"""Drawn marks that are not digits: scribbles, hatching, ticks, boxes, stars, arrows, crosses,
waves, spirals, rings, lines, and the edges and corners of a page.

Each drawer takes a generator, a size (the longer side, in pixels) and a pen width, and returns an
ink crop (model.pen). Never drawn, because people write digits that way:

- a plain near-vertical line (a 1): lines, waves, arrows and page edges keep within
  MAX_LINE_TILT of horizontal;
- an ellipse, upright or wide (a 0): a ring is doubled, or crossed inside;
- a page's top-right corner, a horizontal edge over a vertical one, which is a 7.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

import numpy as np
from scipy import ndimage

from model.pen import crop_to_ink, draw_strokes

Drawer = Callable[[np.random.Generator, float, float], np.ndarray]

SIDE = (40, 150)
# The pen's width as a share of the mark's longer side: a fine pen to a marker.
PEN_SHARE = (0.025, 0.14)
MAX_LINE_TILT = 30.0
# A spiral's turns, and a double ring's, lie at least this many pen widths apart, so that they
# do not close into a blob.
TURN_SPACING = 2.5


def _rotate(points: np.ndarray, degrees: float) -> np.ndarray:
    angle = np.deg2rad(degrees)
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return points @ turn.T


def _wobble(points: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    """Add a smooth hand tremor of about ``amount`` pixels to a densely sampled path."""
    steps = np.linspace(0, 1, len(points))[:, None]
    waves = sum(
        rng.normal(0, amount / k, 2) * np.sin(np.pi * k * steps + rng.uniform(0, 2 * np.pi))
        for k in (1, 2, 3)
    )
    return points + waves


def _segment(start, end, count: int = 8) -> np.ndarray:
    return np.linspace(np.asarray(start, float), np.asarray(end, float), count)


def _ellipse(width: float, height: float, turns: float = 1.0, start: float = 0.0) -> np.ndarray:
    angles = start + np.linspace(0, 2 * np.pi * turns, max(16, int(40 * turns)))
    return np.stack([width / 2 * np.cos(angles), height / 2 * np.sin(angles)], axis=1)


def _spline(controls: np.ndarray, per_span: int = 8) -> np.ndarray:
    """Return a Catmull-Rom curve through ``controls``: a smooth stroke through the points."""
    padded = np.concatenate([controls[:1], controls, controls[-1:]])
    t = np.linspace(0, 1, per_span, endpoint=False)[:, None]
    pieces = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1 : i + 3]
        pieces.append(
            0.5
            * (
                2 * p1
                + (p2 - p0) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                + (3 * p1 - p0 - 3 * p2 + p3) * t**3
            )
        )
    return np.concatenate([*pieces, controls[-1:]])


def scribble(rng: np.random.Generator, side: float, pen: float) -> np.ndarray:
    """Draw a smooth random curve that doubles back on itself and crosses its own path."""
    aspect = rng.uniform(0.6, 2.2)
    size = np.array([side, side / aspect]) if aspect > 1 else np.array([side * aspect, side])
    controls = rng.uniform(0, 1, (int(rng.integers(9, 15)), 2)) * size
    return draw_strokes([_wobble(_spline(controls), rng, pen / 3)], pen)


def hatching(rng: np.random.Generator, side: float, pen: float) -> np.ndarray:
    """Draw three to seven parallel strokes, as when shading or crossing something out."""
    count = int(rng.integers(3, 8))
    gap = rng.uniform(1.6, 4) * pen
    length = side * rng.uniform(0.5, 1)
    tilt = rng.uniform(-50, 50)
    strokes = []
    for i in range(count):
        shift = rng.uniform(-0.15, 0.15) * length
        line = _segment((shift, i * gap), (shift + length * rng.uniform(0.8, 1), i * gap))
        strokes.append(_wobble(_rotate(line, tilt), rng, pen / 4))
    return draw_strokes(strokes, pen)


def _tick(size: float, rng: np.random.Generator) -> np.ndarray:
    short = size * rng.uniform(0.35, 0.55)
    corner = np.array([short * 0.7, size * 0.55])
    start = corner - short * np.array([np.cos(0.8), np.sin(0.8)])
    end = corner + size * np.array([rng.uniform(0.5, 0.8), -rng.uniform(0.8, 1.1)])
    return np.concatenate([_segment(start, corner, 5), _segment(corner, end)])


def check_mark(rng: np.random.Generator, side: float, pen: float) -> np.ndarray:
    """Draw a tick: a short stroke down to the right, a long one up to the right."""
    tick = _rotate(_tick(side, rng), rng.uniform(-15, 15))
    return draw_strokes([_wobble(tick, rng, pen / 4)], pen)


def box(rng: np.random.Generator, side: float, pen: float) -> np.ndarray:
    """Draw a square or a wide rectangle, empty, ticked or crossed (never a tall one: a 0)."""
    width, height = side, side / rng.uniform(0.9, 2.5)
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height], [0, 0]])
    corners = corners + rng.normal(0, side * 0.02, corners.shape)
    outline = np.concatenate([_segment(a, b) for a, b in pairwise(corners)])
    strokes = [_wobble(outline, rng, pen / 4)]
    inside = rng.random()
    if inside < 0.3:
        strokes.append(_tick(height * 0.8, rng) + np.array([width * 0.2, height * 0.05]))
    elif inside < 0.5:
        strokes += [
            _segment((width * 0.15, height * 0.15), (width * 0.85, height * 0.85)),
            _segment((width * 0.85, height * 0.15), (width * 0.15, height * 0.85)),
        ]
    tilt = rng.uniform(-8, 8)
    return draw_strokes([_rotate(s, tilt) for s in strokes], pen)


def star(rng: np.random.Generator, side: float, pen: float) -> np.ndarray:
    """Draw a five-pointed star in one stroke, or an asterisk of three or four bars."""
    radius = side / 2
    if rng.random() < 0.6:
        angles = -np.pi / 2 + np.arange(6) * 4 * np.pi / 5
        points = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
        path = np.concatenate([_segment(a, b) for a, b in pairwise(points)])
        return draw_strokes([_wobble(path, rng, pen / 3)], pen)
    bars = int(rng.integers(3, 5))
    start = rng.uniform(0, np.pi)
    strokes = []
    for k in range(bars):
        angle = start + k * np.pi / bars
        tip = radius * np.array([np.cos(angle), np.sin(angle)])
        strokes.append(_wobble(_segment(-tip, tip), rng, pen / 4))
    return draw_strokes(strokes, pen)


def _line_tilt(rng: np.random.Generator) -> float:
    return rng.uniform(-MAX_LINE_TILT, MAX_LINE_TILT) + (180 if rng.random() < 0.5 else 0)


def arrow(rng: np.random.Generator, side: float, pen: float) -> np.ndarray:
    """Draw an arrow pointing left or right, at most MAX_LINE_TILT from horizontal."""
    tip = np.array([side, 0.0])
    head = side * rng.uniform(0.2, 0.4)
    spread = rng.uniform(0.4, 0.8)
    barbs = [tip + head * np.array([-np.cos(s), np.sin(s)]) for s in (spread, -spread)]
    strokes = [_segment((0, 0), tip), _segment(barbs[0], tip, 4), _segment(tip, barbs[1], 4)]
    if rng.random() < 0.5:
        # The head drawn in one stroke, without lifting the pen.
        strokes[1:] = [np.concatenate([strokes[1], strokes[2]])]
    tilt = _line_tilt(rng)
    return draw_strokes([_wobble(_rotate(s, tilt), rng, pen / 4) for s in strokes], pen)


def cross(rng: np.random.Generator, side: float, pen: float) -> np.ndarray:
    """Draw an x (two diagonals) or a + with arms of about equal length."""
    half = side / 2
    tilt = 45 if rng.random() < 0.5 else 0
    tilt += rng.uniform(-12, 12)
    arms = [half * rng.uniform(0.8, 1.0), half * rng.uniform(0.8, 1.0)]
    strokes = [_segment((-arms[0], 0), (arms[0], 0)), _segment((0, -arms[1]), (0, arms[1]))]
    return draw_strokes([_wobble(_rotate(s, tilt), rng, pen / 4) for s in strokes], pen)


def wavy_line(rng: np.random.Generator, side: float, pen: float) -> np.ndarray:
    """Draw a wave of 1.5 to 4 periods, lying within MAX_LINE_TILT of horizontal."""
    periods = rng.uniform(1.5, 4)
    x = np.linspace(0, side, int(20 * periods))
    amplitude = side * rng.uniform(0.05, 0.18)
    wave = np.stack([x, amplitude * np.sin(2 * np.pi * periods * x / side)], axis=1)
    return draw_strokes([_wobble(_rotate(wave, _line_tilt(rng)), rng, pen / 4)], pen)


def spiral(rng: np.random.Generator, side: float, pen: float) -> np.ndarray:
    """Draw a spiral of two to three and a half turns, its turns well apart."""
    turns = rng.uniform(2, 3.5)
    pen = min(pen, side / 2 / turns / TURN_SPACING)
    angles = np.linspace(0, 2 * np.pi * turns, int(36 * turns))
    radius = side / 2 * angles / angles[-1]
    squash = rng.uniform(0.75, 1.0)
    path = np.stack([radius * np.cos(angles), squash * radius * np.sin(angles)], axis=1)
    if rng.random() < 0.5:
        path[:, 0] *= -1
    return draw_strokes([_wobble(_rotate(path, rng.uniform(0, 360)), rng, pen / 4)], pen)


def ring(rng: np.random.Generator, side: float, pen: float) -> np.ndarray:
    """Draw a ring that no one would read as 0: wide, doubled, or crossed inside.

    A round ring with a dot inside is not drawn: serving drops a small dot as a speck, and what
    is left is a 0.
    """
    # A plain ring, even a wide one, is how some people write 0 (MNIST has them): only doubled
    # and crossed rings are drawn.
    kind = rng.uniform(0.4, 1.0)
    width = side
    height = side * rng.uniform(0.75, 1.0)
    # Hand-drawn rings rarely close exactly: the stroke runs on a little past its start.
    strokes = [_ellipse(width, height, rng.uniform(1.0, 1.15), rng.uniform(0, 2 * np.pi))]
    if 0.4 <= kind < 0.7:
        shrink = rng.uniform(0.4, 0.65)
        strokes.append(_ellipse(width * shrink, height * shrink))
        # The rings stay apart: a broad pen would merge them into one bold 0.
        pen = min(pen, (1 - shrink) * height / 2 / TURN_SPACING)
    elif kind >= 0.7:
        mark = min(width, height) * rng.uniform(0.2, 0.32)
        strokes += [_segment((-mark, -mark), (mark, mark)), _segment((-mark, mark), (mark, -mark))]
        pen = min(pen, mark / 2)
    tilt = rng.uniform(-15, 15)
    return draw_strokes([_wobble(_rotate(s, tilt), rng, pen / 4) for s in strokes], pen)


def horizontal_line(rng: np.random.Generator, side: float, pen: float) -> np.ndarray:
    """Draw a straight or slightly bowed line within MAX_LINE_TILT of horizontal."""
    x = np.linspace(0, side, 12)
    bow = side * rng.uniform(-0.08, 0.08) * np.sin(np.pi * x / side)
    line = np.stack([x, bow], axis=1)
    return draw_strokes([_wobble(_rotate(line, _line_tilt(rng)), rng, pen / 4)], pen)


def _edge_ink(depth: np.ndarray, shade: float, pen: float) -> np.ndarray:
    """Return ink around a page's edge: the edge drawn with ``pen``, and the page's surroundings
    (``depth`` > 0 pixels beyond it) dark at the edge, fading out over ``shade`` pixels."""
    fade = np.where(depth > 0, np.clip(1 - depth / shade, 0, 1) ** 0.5, 0)
    return crop_to_ink(np.maximum(fade, np.abs(depth) <= pen / 2).astype(np.float32))


def page_edge(rng: np.random.Generator, side: float, pen: float) -> np.ndarray:
    """Draw a page's straight edge with its surroundings shaded on one side."""
    shade = side * rng.uniform(0.1, 0.35)
    height = int(shade * 2 + pen * 2 + 4)
    rows, cols = np.mgrid[:height, : int(side)].astype(np.float32)
    edge = height / 2 + (cols - side / 2) * np.tan(np.deg2rad(rng.uniform(-8, 8)))
    ink = np.rot90(_edge_ink(edge - rows, shade, pen), 2 * int(rng.integers(2)))
    return _tilted(ink, rng.uniform(-MAX_LINE_TILT + 8, MAX_LINE_TILT - 8))


def page_corner(rng: np.random.Generator, side: float, pen: float) -> np.ndarray:
    """Draw a page's corner with its surroundings shaded, in any orientation but a 7's."""
    shade = side * rng.uniform(0.08, 0.25)
    rows, cols = np.mgrid[: int(side), : int(side)].astype(np.float32)
    corner = shade + pen
    # The page fills the lower right: the ink is a bar along its top and a stem down its left.
    ink = _edge_ink(np.maximum(corner - rows, corner - cols), shade, pen)
    # Flipped upside down, or both ways; flipped left to right alone, a bar over a stem on its
    # right is a 7.
    flip = int(rng.integers(3))
    ink = ink[::-1] if flip >= 1 else ink
    ink = ink[:, ::-1] if flip == 2 else ink
    return _tilted(ink, rng.uniform(-10, 10))


def _tilted(ink: np.ndarray, degrees: float) -> np.ndarray:
    return crop_to_ink(ndimage.rotate(ink, degrees, order=1, reshape=True))


SHAPES: dict[str, Drawer] = {
    "scribble": scribble,
    "hatching": hatching,
    "check_mark": check_mark,
    "box": box,
    "star": star,
    "arrow": arrow,
    "cross": cross,
    "wavy_line": wavy_line,
    "spiral": spiral,
    "ring": ring,
    "horizontal_line": horizontal_line,
    "page_edge": page_edge,
    "page_corner": page_corner,
}


def shapes(n: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Return ``n`` drawn marks, each a random shape, size and pen."""
    names = sorted(SHAPES)
    out: list[np.ndarray] = []
    while len(out) < n:
        drawer = SHAPES[names[int(rng.integers(len(names)))]]
        side = float(np.exp(rng.uniform(*np.log(SIDE))))
        crop = drawer(rng, side, side * rng.uniform(*PEN_SHARE))
        if crop.size:
            out.append(crop)
    return out

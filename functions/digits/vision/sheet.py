"""Find the sheet of paper in a photo: its four edges, where a desk or table shows around it.

A sheet's edge is a straight line across which the image steps from the paper to the background,
sharply (the paper is cut) and for good (the background goes on beyond it). Each colour is taken
as its log, so a shadow or a lamp's fall-off, which multiply the light, change it smoothly and
never step. On a copy reduced to SHEET_SIDE, a pixel is evidence of an edge across the rows when,
in some colour, the brightest of the NEAR rows past it differs from the brightest of the NEAR rows
before it by EDGE_STEP, the same holds FAR rows either way (the background goes on), and the near
step is most of the far one (not the gradual edge of a shadow). The brightest, not the mean: a
side that holds any paper is paper, so a ruled line or a digit's stroke, dark between paper, is
no edge. Evidence votes for the straight lines through it within MAX_ANGLE of the frame's axes (a
Hough transform); the sheet holds the frame's middle, so the best line above the middle is its
top, the best below it its bottom (and so for left and right), if its votes run along MIN_SUPPORT
of the frame. A side with no such line lies outside the frame: a photo of paper alone has none,
and is read whole. A blurred photo softens the sheet's edges as well: when some sides are found,
the others are looked for again with a softer step (BLURRED), and kept if the sheet then has two
sides or more.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

# Edges are looked for on a copy at most SHEET_SIDE pixels per side: a sheet's edge is long, and
# at this size a soft shadow's edge still spans many pixels while a cut edge spans one or two.
SHEET_SIDE = 256
# Lines are tried every ANGLE_STEP degrees up to MAX_ANGLE from the frame's axes: a sheet lies
# roughly square to the phone, turned by a few degrees and tilted by a few more.
MAX_ANGLE = 20.0
ANGLE_STEP = 1.0
# A pixel is evidence of an edge when the step of a colour's log brightness over NEAR pixels
# either side is at least EDGE_STEP (about 10%), over FAR pixels either side too, and the near
# step is at least SHARP of the far one. A cut edge, blurred by the camera, is sharp at NEAR; a
# shadow's edge, over a few percent of the frame, is not.
NEAR = 2
FAR = 16
EDGE_STEP = 0.1
SHARP = 0.8
# A blurred photo softens a cut edge too: once one side is found that sharp, the sides not found
# are looked for again at BLURRED, and kept if the sheet then has two sides or more. A lone
# shadow's edge, soft or hard, is one.
BLURRED = 0.7
# Edges are not looked for within BORDER pixels (of the reduced copy) of the frame's edges.
BORDER = 4
# An edge's line has evidence along at least MIN_SUPPORT of the frame's width (or height).
MIN_SUPPORT = 0.4
# The brightest of what lies BEYOND of the frame past an edge, toward the frame's edge, must
# differ from the brightest of what lies as far before it by EDGE_STEP in some colour: the
# background goes on. The best CANDIDATES lines are tried in turn.
BEYOND = 0.1
CANDIDATES = 3
# Opposite edges are at least MIN_SPAN of the frame apart, and the sheet covers at least MIN_AREA
# of the frame: a sheet is a large part of a photo of it.
MIN_SPAN = 0.25
MIN_AREA = 0.15


@dataclass(frozen=True)
class Edge:
    """One straight edge: position = ``offset`` + ``slope`` * (along - the frame's middle).

    For the top and bottom edges position is y and along is x; for the left and right, the other
    way round. Pixels of the image searched; ``support``: the share of the frame it runs along.
    """

    offset: float
    slope: float
    support: float


def find_sheet(image: Image.Image) -> np.ndarray | None:
    """Return the sheet's corners (4, 2) in ``image``'s pixels, clockwise from its top left.

    A side whose edge is outside the frame takes the frame's edge. None when no edge is found:
    the paper fills the frame.
    """
    factor = -(-max(image.size) // SHEET_SIDE)
    rgb = image.convert("RGB")
    small = rgb.reduce(factor) if factor > 1 else rgb
    brightness = log_channels(small)
    height, width = brightness.shape[:2]
    sides = [*_pair(_edges(brightness, SHARP), height)]
    sides += _pair(_edges(brightness.transpose(1, 0, 2), SHARP), width)
    if not any(sides):
        return None
    if not all(sides):
        softer = [*_pair(_edges(brightness, BLURRED), height)]
        softer += _pair(_edges(brightness.transpose(1, 0, 2), BLURRED), width)
        more = [side or soft for side, soft in zip(sides, softer, strict=True)]
        if sum(side is not None for side in more) >= 2:
            sides = more
    top, bottom, left, right = sides
    top = top or Edge(0.0, 0.0, 0.0)
    bottom = bottom or Edge(float(height), 0.0, 0.0)
    left = left or Edge(0.0, 0.0, 0.0)
    right = right or Edge(float(width), 0.0, 0.0)
    corners = np.array(
        [
            _cross(top, left, width, height),
            _cross(top, right, width, height),
            _cross(bottom, right, width, height),
            _cross(bottom, left, width, height),
        ]
    )
    if not _plausible(corners, width, height):
        return None
    return corners * factor


def sides_within(corners: np.ndarray | None, size: tuple[int, int]) -> int:
    """Return how many of the sheet's sides (``find_sheet``'s ``corners`` in an image of ``size``)
    were found within the frame: the others lie along its border (within a pixel of the reduced
    copy the edges were looked for on)."""
    if corners is None:
        return 0
    width, height = size
    slack = -(-max(size) // SHEET_SIDE)
    sides = 0
    for start, end in zip(corners, np.roll(corners, -1, axis=0), strict=True):
        ends = np.stack([start, end])
        on_border = (
            (ends[:, 0] <= slack).all()
            or (ends[:, 0] >= width - slack).all()
            or (ends[:, 1] <= slack).all()
            or (ends[:, 1] >= height - slack).all()
        )
        sides += not on_border
    return sides


def log_channels(image: Image.Image) -> np.ndarray:
    """Return the log of an RGB image's values (floored at 1/255), (height, width, 3)."""
    values = np.asarray(image, dtype=np.float32) / 255
    return np.log(np.maximum(values, 1 / 255))


def sheet_mask(corners: np.ndarray | None, size: tuple[int, int], inset: float) -> np.ndarray:
    """Return where the sheet is, ``inset`` pixels inside its edges, in an image of ``size``.

    All true when ``corners`` is None (the paper fills the frame).
    """
    width, height = size
    if corners is None:
        return np.ones((height, width), dtype=bool)
    mask = Image.new("1", size, 0)
    ImageDraw.Draw(mask).polygon([tuple(p) for p in _shrink(corners, inset)], fill=1)
    return np.array(mask, dtype=bool)


def _edges(brightness: np.ndarray, sharp: float) -> tuple[Edge | None, Edge | None]:
    """Return the best near-horizontal edge above the frame's middle, and the best below it.

    The sheet holds the middle of the frame (the writing photographed is on it), so an edge
    above the middle is its top, one below its bottom, whichever side is brighter: a blue note on
    a pale desk is darker than the desk. An edge steps the same way along its length.
    """
    height, width = brightness.shape[:2]
    near = _step(brightness, NEAR)
    far = _step(brightness, FAR)
    slopes = np.tan(np.radians(np.arange(-MAX_ANGLE, MAX_ANGLE + ANGLE_STEP / 2, ANGLE_STEP)))
    votes = np.zeros((2, len(slopes), height))
    for side, sign in enumerate((1, -1)):
        # A step in any one colour will do: a blue note on a grey desk is no brighter than it.
        evidence = (sign * near >= EDGE_STEP) & (sign * far >= EDGE_STEP)
        evidence = (evidence & (sign * near >= sharp * sign * far)).any(axis=2)
        # A sheet's edge within BORDER rows of the frame's leaves too thin a strip of desk to
        # matter, and the frame's last rows are where lenses and codecs leave their marks.
        evidence[:BORDER] = evidence[height - BORDER :] = False
        rows, columns = np.nonzero(evidence)
        # Each evidence pixel votes for the line of each slope through it, by its offset.
        offsets = rows[None, :] + 0.5 - slopes[:, None] * (columns[None, :] + 0.5 - width / 2)
        bins = np.clip(np.rint(offsets - 0.5).astype(np.int64), -1, height) + 1
        for index in range(len(slopes)):
            votes[side, index] = np.bincount(bins[index], minlength=height + 2)[1:-1]
    middle = height // 2
    top = _best(votes[:, :, :middle], slopes, brightness, 0, above=True)
    return top, _best(votes[:, :, middle:], slopes, brightness, middle, above=False)


def _best(
    votes: np.ndarray, slopes: np.ndarray, brightness: np.ndarray, first_row: int, *, above: bool
) -> Edge | None:
    """Return the line with the most votes that covers MIN_SUPPORT of the frame and that has
    background beyond it (``above`` it, or below), trying the CANDIDATES best."""
    width = brightness.shape[1]
    best = votes.max(axis=(0, 1))
    for _ in range(CANDIDATES):
        row = int(np.argmax(best))
        support = float(best[row]) / width
        if support < MIN_SUPPORT:
            return None
        index = int(np.argmax(votes[:, :, row].max(axis=0)))
        edge = Edge(first_row + row + 0.5, float(slopes[index]), support)
        if _background_beyond(edge, brightness, above):
            return edge
        # The next candidate is another line, not this one a row away.
        best[max(0, row - NEAR) : row + NEAR + 1] = 0
    return None


def _background_beyond(edge: Edge, brightness: np.ndarray, above: bool) -> bool:
    """Tell whether the background goes on beyond ``edge``, toward the frame's edge.

    Across at least MIN_SUPPORT of the frame, the brightest of what lies within BEYOND of the
    frame past the edge must differ, in some colour, by EDGE_STEP from the brightest of what lies
    as far before it. Past a thick stroke of writing is paper again, as bright as before it.
    """
    height, width = brightness.shape[:2]
    reach = max(FAR, round(BEYOND * height))
    line = edge.offset + edge.slope * (np.arange(width) + 0.5 - width / 2)
    gap = np.arange(height)[:, None] + 0.5 - line[None, :]
    outward = -gap if above else gap
    beyond = (outward > NEAR) & (outward <= reach)
    before = (outward < -NEAR) & (outward >= -reach)
    seen = beyond.any(axis=0) & before.any(axis=0)
    brightest = [
        np.where(side[..., None], brightness, -np.inf).max(axis=0)[seen]
        for side in (beyond, before)
    ]
    differs = (np.abs(brightest[0] - brightest[1]) >= EDGE_STEP).any(axis=1)
    return int(differs.sum()) >= MIN_SUPPORT * width


def _step(values: np.ndarray, reach: int) -> np.ndarray:
    """Return, at each row, the brightest of the ``reach`` rows below it less that of those above.

    The brightest, not the mean: a side that holds paper at all is paper, so a thin ruled or grid
    line, or the stroke of a digit, is no step, while a cut edge with the desk beyond it is.
    """
    height = values.shape[0]
    padded = np.pad(values, ((reach, reach), (0, 0), (0, 0)), mode="symmetric")
    windows = np.lib.stride_tricks.sliding_window_view(padded, reach, axis=0).max(axis=-1)
    # windows[i] is the brightest of rows i - reach to i - 1 (padded rows i to i + reach - 1).
    below = windows[reach + 1 : reach + 1 + height]
    above = windows[:height]
    return below - above


def _pair(edges: tuple[Edge | None, Edge | None], extent: int) -> tuple[Edge | None, Edge | None]:
    """Keep the first (top or left) and second edge only if they bound MIN_SPAN of the frame."""
    first, second = edges
    if first and second and second.offset - first.offset < MIN_SPAN * extent:
        # Edges too close or crossed: the weaker is not the sheet's.
        if first.support >= second.support:
            second = None
        else:
            first = None
    return first, second


def _plausible(corners: np.ndarray, width: int, height: int) -> bool:
    """Tell whether four corners, clockwise, bound a convex sheet of at least MIN_AREA."""
    edges = np.roll(corners, -1, axis=0) - corners
    turns = (
        edges[:, 0] * np.roll(edges, -1, axis=0)[:, 1]
        - edges[:, 1] * np.roll(edges, -1, axis=0)[:, 0]
    )
    x, y = corners[:, 0], corners[:, 1]
    area = abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) / 2
    return bool((turns > 0).all()) and area >= MIN_AREA * width * height


def _cross(across: Edge, down: Edge, width: int, height: int) -> tuple[float, float]:
    """Return the point where a top or bottom edge meets a left or right one."""
    # y = a0 + a1 (x - width / 2) and x = d0 + d1 (y - height / 2).
    a0, a1 = across.offset, across.slope
    d0, d1 = down.offset, down.slope
    y = (a0 + a1 * (d0 - d1 * height / 2 - width / 2)) / (1 - a1 * d1)
    x = d0 + d1 * (y - height / 2)
    return x, y


def _shrink(corners: np.ndarray, distance: float) -> np.ndarray:
    """Return a convex clockwise polygon's corners with every edge moved ``distance`` inward."""
    count = len(corners)
    moved = []
    for index in range(count):
        start, end = corners[index], corners[(index + 1) % count]
        direction = (end - start) / max(float(np.hypot(*(end - start))), 1e-9)
        # Clockwise in image coordinates (y down): the inside is to the right of each edge.
        inward = np.array([-direction[1], direction[0]])
        moved.append((start + distance * inward, direction))
    shrunk = []
    for index in range(count):
        (p, d), (q, e) = moved[index - 1], moved[index]
        # p + s d = q + t e, solved for s.
        matrix = np.array([d, -e]).T
        if abs(np.linalg.det(matrix)) < 1e-9:
            shrunk.append(q)
            continue
        s, _ = np.linalg.solve(matrix, q - p)
        shrunk.append(p + s * d)
    return np.array(shrunk)

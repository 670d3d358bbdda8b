"""Pieces of MNIST digits, cut where a segmenter or the image's frame would cut them.

Every piece is an ink crop (model.pen) of a training digit redrawn with model.redrawn's pens, kept
only if it is clearly not a whole digit. Excluded, because a reader would call them digits and the
model would learn to refuse real ones:

- pieces holding more than MAX_INK_SHARE of their digit's ink: mostly still the digit (the right
  two thirds of a 2 or a 3 is a 2 or a 3);
- specks: pieces with under MIN_INK_SHARE of the ink or a side under MIN_SIDE_SHARE of the digit's;
- a straight stroke near vertical (``looks_like_a_one``): the right half of a 4, the stem of a 9
  and any piece of a 1 are how people write 1;
- pieces around a large closed loop (``holds_a_loop``): the top of a 9 and either half of an 8
  are how people write 0, and a loop with a stub is a 6 or a 9.

Rules about shape cannot see that a 3 with its left third cut off is still a 3: model.not_digits
also judges every piece against real digits (model.resemblance).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from model.pen import crop_to_ink, enlarge
from model.redrawn import PENS, stroke_mask

# Longer side of a redrawn digit, in pixels.
DIGIT_BOX = (60, 160)
# The thin pen's skeleton costs about the cube of the size: it is drawn at most this large, then
# enlarged. What the thin pen changes, broken joins and open loops, survives; its width does not
# matter, since crop_to_mnist brings strokes that thin to MNIST's width anyway.
THIN_PEN_SIDE = 64
MAX_INK_SHARE = 0.65
MIN_INK_SHARE = 0.12
MIN_SIDE_SHARE = 0.3
# A segmenter's cut falls between these fractions of the digit's width (or height).
CUT_RANGE = (0.2, 0.8)
# How far a wandering cut strays from straight, as a fraction of the digit's longer side.
CUT_WANDER = 0.06
# A crop reads as a 1 when its main axis is at most MAX_ONE_TILT degrees from vertical and
# ONE_INK_INSIDE of its ink lies within MAX_ONE_BEND of its length, plus half a stroke, of that
# axis (a flag or a foot may stick out). The bend is chosen so that nearly every MNIST 1, redrawn
# with model.redrawn's pens, counts as a 1, and almost no other whole digit does.
MAX_ONE_TILT = 45.0
MAX_ONE_BEND = 0.07
ONE_INK_INSIDE = 0.9
ONE_POINTS = 1500
# A hole whose height is at least this share of the piece's height makes the piece a loop.
LOOP_HEIGHT_SHARE = 0.2
# A frame cuts off this share of one side of a digit.
FRAME_CUT = (0.25, 0.5)
SIDES = ("left", "right", "top", "bottom")
# Shares of cuts that split a digit into its strokes (when it has several), and of the others
# that cut across it (left from right) rather than along it (top from bottom).
STROKE_PIECES = 0.08
ACROSS_CUTS = 0.65


def redraw(digit: np.ndarray, rng: np.random.Generator, box: int | None = None) -> np.ndarray:
    """Redraw a uint8 (28, 28) digit with a random pen at a random size; return its ink crop."""
    return drawn(digit, box or int(rng.integers(*DIGIT_BOX)), PENS[int(rng.integers(len(PENS)))])


def drawn(digit: np.ndarray, box: int, pen: str) -> np.ndarray:
    """Return the ink crop of model.redrawn.stroke_mask, the thin pen's drawn small and enlarged."""
    if pen != "thin" or box <= THIN_PEN_SIDE:
        return crop_to_ink(stroke_mask(digit, box, pen))
    return enlarge(crop_to_ink(stroke_mask(digit, THIN_PEN_SIDE, pen)), box / THIN_PEN_SIDE)


def looks_like_a_one(crop: np.ndarray) -> bool:
    """Tell whether an ink crop is essentially one straight stroke near vertical (a 1)."""
    solid = crop >= 0.5
    rows, cols = np.nonzero(solid)
    if rows.size < 3:
        return False
    # A few thousand points give the axis and the spread as well as all of them.
    step = max(1, rows.size // ONE_POINTS)
    points = np.stack([rows[::step], cols[::step]]).astype(np.float64)
    points -= points.mean(axis=1, keepdims=True)
    vectors = np.linalg.eigh(np.cov(points))[1]
    along = vectors[:, 1]  # the principal axis, as (row, col)
    tilt = np.degrees(np.arccos(min(1.0, abs(float(along[0])))))
    if tilt > MAX_ONE_TILT:
        return False
    length = float(np.ptp(along @ points)) + 1
    across = np.abs(vectors[:, 0] @ points)
    # How far the stroke's middle strays from a straight line, whatever the pen's width.
    bend = float(np.quantile(across, ONE_INK_INSIDE)) - stroke_width(solid) / 2
    return bend <= MAX_ONE_BEND * length


def stroke_width(solid: np.ndarray) -> float:
    """Estimate the stroke width of a binary shape as 2 * area / perimeter."""
    padded = np.pad(solid, 1)
    perimeter = np.count_nonzero(np.diff(padded, axis=0)) + np.count_nonzero(
        np.diff(padded, axis=1)
    )
    return 2 * float(solid.sum()) / max(perimeter, 1)


def holds_a_loop(crop: np.ndarray) -> bool:
    """Tell whether an ink crop encloses a hole tall enough to read as a 0, 6, 8 or 9's loop."""
    solid = crop >= 0.5
    holes, count = ndimage.label(ndimage.binary_fill_holes(solid) & ~solid)
    if not count:
        return False
    slices = ndimage.find_objects(holes)
    tallest = max(s[0].stop - s[0].start for s in slices)
    return tallest >= LOOP_HEIGHT_SHARE * crop.shape[0]


def is_clearly_partial(piece: np.ndarray, whole: np.ndarray) -> bool:
    """Tell whether ``piece`` of the digit ``whole`` (both ink crops) cannot pass for a digit."""
    if piece.size == 0:
        return False
    share = float(piece.sum()) / max(float(whole.sum()), 1e-6)
    if not MIN_INK_SHARE <= share <= MAX_INK_SHARE:
        return False
    if max(piece.shape) < MIN_SIDE_SHARE * max(whole.shape):
        return False
    return not looks_like_a_one(piece) and not holds_a_loop(piece)


def cut_path(length: int, at: float, rng: np.random.Generator, wander: bool) -> np.ndarray:
    """Return where a cut crosses each of ``length`` lines: straight at ``at``, or wandering."""
    if not wander:
        return np.full(length, at)
    steps = np.linspace(0, 1, length)
    slant = rng.uniform(-1, 1) * CUT_WANDER * length
    bends = sum(
        rng.uniform(-0.5, 0.5) * CUT_WANDER * length * np.sin(np.pi * k * steps + phase)
        for k, phase in zip((1, 2, 3), rng.uniform(0, 2 * np.pi, 3), strict=True)
    )
    return at + slant * (steps - 0.5) + bends


def cut(
    crop: np.ndarray, side: str, at: float, rng: np.random.Generator, wander: bool = False
) -> np.ndarray:
    """Keep the ``side`` ("left", "right", "top", "bottom") of a crop cut at fraction ``at``."""
    across = crop if side in ("left", "right") else crop.T
    height, width = across.shape
    border = cut_path(height, at * width, rng, wander)[:, None]
    columns = np.arange(width)[None, :]
    keep = columns < border if side in ("left", "top") else columns >= border
    piece = np.where(keep, across, 0)
    return crop_to_ink(piece if side in ("left", "right") else piece.T)


def stroke_components(crop: np.ndarray) -> list[np.ndarray]:
    """Return the ink crops of a crop's separate strokes (8-connected), heaviest first."""
    labels, count = ndimage.label(crop > 0.2, structure=np.ones((3, 3)))
    pieces = [crop_to_ink(np.where(labels == k, crop, 0)) for k in range(1, count + 1)]
    return sorted(pieces, key=lambda p: -float(p.sum()))


def pieces_of(whole: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """Cut an ink crop once: both sides of a cut across or along it, or its separate strokes."""
    if rng.random() < STROKE_PIECES:
        components = stroke_components(whole)
        if len(components) > 1:
            return components
    across = rng.random() < ACROSS_CUTS
    sides = ("left", "right") if across else ("top", "bottom")
    at = cut_place(whole.sum(axis=0 if across else 1), rng)
    if at is None:
        return []
    wander = rng.random() < 0.5
    # One path for both sides: cut_path draws from rng, so each side gets the same seed.
    seed = int(rng.integers(2**32))
    return [cut(whole, side, at, np.random.default_rng(seed), wander) for side in sides]


def cut_place(profile: np.ndarray, rng: np.random.Generator, tries: int = 8) -> float | None:
    """Return where in CUT_RANGE to cut so that neither side keeps over MAX_INK_SHARE of the ink.

    ``profile`` is the ink summed across the cut. Places are drawn uniformly from CUT_RANGE and
    tested on the profile, which costs nothing beside cutting and testing pieces.
    """
    before = np.cumsum(profile) / max(float(profile.sum()), 1e-6)
    for _ in range(tries):
        at = rng.uniform(*CUT_RANGE)
        share = before[min(len(before) - 1, int(at * len(before)))]
        if 1 - MAX_INK_SHARE <= share <= MAX_INK_SHARE:
            return at
    return None


def fragments(n: int, rng: np.random.Generator, digits: np.ndarray) -> list[np.ndarray]:
    """Return ``n`` pieces of random uint8 (28, 28) ``digits`` that are clearly not digits."""
    out: list[np.ndarray] = []
    while len(out) < n:
        whole = redraw(digits[int(rng.integers(len(digits)))], rng)
        out += [p for p in pieces_of(whole, rng) if is_clearly_partial(p, whole)]
    return out[:n]


def frame_cuts(n: int, rng: np.random.Generator, digits: np.ndarray) -> list[np.ndarray]:
    """Return ``n`` digits with FRAME_CUT of one side cut off straight, as by an image's edge."""
    out: list[np.ndarray] = []
    while len(out) < n:
        whole = redraw(digits[int(rng.integers(len(digits)))], rng)
        for _ in range(4):
            # The side kept: keeping the left part means the frame cut the right one off.
            side = SIDES[int(rng.integers(len(SIDES)))]
            lost = rng.uniform(*FRAME_CUT)
            at = 1 - lost if side in ("left", "top") else lost
            before = np.cumsum(whole.sum(axis=0 if side in ("left", "right") else 1))
            share = before[min(len(before) - 1, int(at * len(before)))] / before[-1]
            kept = share if side in ("left", "top") else 1 - share
            if kept <= MAX_INK_SHARE:
                break
        piece = cut(whole, side, at, rng)
        if is_clearly_partial(piece, whole):
            out.append(piece)
    return out

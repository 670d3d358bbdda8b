"""Pieces the function's own segmenter makes of lines of digits: what the recognizer must judge.

A number is read by offering candidate pieces to the recognizer (digits.vision.segment): each
group of strokes whole, cut along the cuts digits.vision.layout proposes, cut again. Here lines of
one to three MNIST training digits, set apart, close or touching, are cut exactly so, and every
piece is labelled by the ink it holds: a piece holding one digit's ink and little else is that
digit (a digit as a cut leaves it); any other piece, a fragment or two digits together, is not a
digit. Pieces are passed through the same crop as serving (``Plan.crop``, ``crop_to_mnist``).
"""

from __future__ import annotations

import numpy as np

from digits.classes import NOT_A_DIGIT
from digits.errors import NothingDrawn
from digits.vision import normalise
from digits.vision.components import label_components
from digits.vision.geometry import MASK_LEVEL, SEGMENT_HEIGHT
from digits.vision.layout import Part, Plan, layout
from model.fragments import holds_a_loop, looks_like_a_one
from model.redrawn import stroke_mask

# A piece is one digit when it holds at least WHOLE of that digit's ink and at most STRAY of its
# own ink belongs to others. It is two digits together when at least two digits each have PAIRED
# of their ink in it, and a fragment when it holds at most PARTIAL of any digit's ink and little
# of another's; a fragment is kept only if it does not look like a digit (model.fragments' rules,
# and the caller's judge). Pieces in between are left out: neither label is honest.
WHOLE = 0.93
STRAY = 0.06
PAIRED = 0.6
PARTIAL = 0.75
# A line gives at most this many pieces of each label: the cuts of one part are much alike.
PER_LINE = 4
# Gaps between neighbours, in digit heights: negative overlaps their boxes (they touch).
GAPS = (-0.18, 0.12)
DIGITS_PER_LINE = (1, 2, 3)
LINE_SHARES = (0.4, 0.45, 0.15)


def _glyph(digit: np.ndarray, height: int, rng: np.random.Generator) -> np.ndarray:
    """Return an MNIST digit redrawn with a pen, cropped to its ink, about ``height`` tall."""
    pen = str(rng.choice(["normal", "normal", "thin", "thick"]))
    mask = stroke_mask(digit, height, pen)
    rows = np.flatnonzero(mask.max(axis=1) > 0.05)
    cols = np.flatnonzero(mask.max(axis=0) > 0.05)
    return mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _line(glyphs: list[np.ndarray], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Set glyphs left to right; return the line's ink and whose ink each pixel is (-1: none)."""
    height = max(g.shape[0] for g in glyphs)
    xs, x = [], 0
    for glyph in glyphs:
        xs.append(x)
        x += glyph.shape[1] + round(rng.uniform(*GAPS) * height)
        x = max(x, xs[-1] + 1)
    ys = [int(rng.integers(0, max(1, height // 10) + 1)) for _ in glyphs]
    width = max(x0 + g.shape[1] for x0, g in zip(xs, glyphs, strict=True))
    layers = np.zeros((len(glyphs), height + height // 10 + 1, width), dtype=np.float32)
    for layer, x0, y0, glyph in zip(layers, xs, ys, glyphs, strict=True):
        layer[y0 : y0 + glyph.shape[0], x0 : x0 + glyph.shape[1]] = glyph
    ink = layers.max(axis=0)
    # Pieces are made of ink at MASK_LEVEL or stronger: only that ink is counted as a digit's.
    owner = np.where(ink >= MASK_LEVEL, layers.argmax(axis=0), -1)
    return ink, owner


def _kind(part: Part, owner: np.ndarray, totals: np.ndarray) -> tuple[str, int]:
    """Return what the piece holds, "digit", "pair", "fragment" or "unclear", and whose ink most."""
    owned = owner[part.top : part.bottom, part.left : part.right][part.mask]
    counts = np.bincount(owned[owned >= 0], minlength=len(totals))
    held = counts / np.maximum(totals, 1)
    stray = 1 - counts / max(int(counts.sum()), 1)
    main = int(np.argmax(held))
    if held[main] >= WHOLE and stray[main] <= STRAY:
        return "digit", main
    if int((held >= PAIRED).sum()) >= 2:
        return "pair", main
    if held[main] <= PARTIAL and stray[main] <= STRAY:
        return "fragment", main
    return "unclear", main


def _pieces(plan: Plan) -> list[Part]:
    """Return every piece the search could read: groups, merges, cut sides and their cut sides."""
    pieces, wide = [], []
    for group in plan.groups:
        pieces.append(group)
        if plan.is_wide(group):
            wide.append((group, 2))
    pieces += [plan.merged(*run) for run in plan.merges()]
    while wide:
        part, depth = wide.pop()
        for left, right in plan.cuts(part):
            pieces += [left, right]
            if depth > 1:
                wide += [(side, depth - 1) for side in (left, right) if plan.is_wide(side)]
    return pieces


def segmenter_pieces(
    images: np.ndarray, labels: np.ndarray, n_lines: int, seed: int
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Return pieces of ``n_lines`` lines of training digits: 28x28 images, labels and kinds.

    Labels are digits or NOT_A_DIGIT; kinds say "digit", "pair" or "fragment" (a caller may
    judge fragments further). Deterministic for ``seed``.
    """
    rng = np.random.default_rng(seed)
    out_images, out_labels, out_kinds = [], [], []
    for _ in range(n_lines):
        count = int(rng.choice(DIGITS_PER_LINE, p=LINE_SHARES))
        chosen = rng.choice(len(images), count, replace=False)
        height = int(rng.integers(SEGMENT_HEIGHT, 2 * SEGMENT_HEIGHT))
        ink, owner = _line([_glyph(images[i], height, rng) for i in chosen], rng)
        totals = np.bincount(owner[owner >= 0], minlength=count)
        mask = ink >= MASK_LEVEL
        if not mask.any():
            continue
        plan = layout(ink, label_components(mask))
        found: dict[str, list[tuple[np.ndarray, int]]] = {"digit": [], "pair": [], "fragment": []}
        for piece in _pieces(plan):
            kind, main = _kind(piece, owner, totals)
            if kind == "unclear" or not plan.is_digit(piece):
                continue
            crop = plan.crop(piece)
            if kind == "fragment" and (looks_like_a_one(crop) or holds_a_loop(crop)):
                continue
            try:
                image = normalise.crop_to_mnist(crop)
            except NothingDrawn:
                continue
            label = int(labels[chosen[main]]) if kind == "digit" else NOT_A_DIGIT
            found[kind].append((image, label))
        for kind, pieces in found.items():
            for i in rng.permutation(len(pieces))[:PER_LINE]:
                out_images.append(pieces[i][0])
                out_labels.append(pieces[i][1])
                out_kinds.append(kind)
    if not out_images:
        return np.zeros((0, 28, 28), dtype=np.uint8), np.zeros(0, dtype=np.int64), []
    return np.stack(out_images), np.asarray(out_labels, dtype=np.int64), out_kinds

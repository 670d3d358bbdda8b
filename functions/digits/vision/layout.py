"""The layout of a line of digits: its pieces of ink, the digits' groups, and cuts through them.

Sizes are fractions of the line's height (geometry.py names them all). Connected pieces that overlap
horizontally form a group, a digit's strokes; smaller pieces join the group whose columns hold them
or are dropped, and so is an underline. Which groups are one broken digit and where a group of
touching digits is cut, segment.py decides with the classifier, from the candidates that the plan
offers.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from digits.box import Box
from digits.vision.geometry import (
    CUT_SPACING,
    CUT_WIDTH,
    DRIFT_COST,
    FLAT,
    MAX_CUTS,
    MERGE_GAP,
    MERGE_WIDTH,
    MIN_PART,
    MINOR,
    OVERLAP,
    SHORT,
    UNDERLINE_WIDTH,
    VALLEY_DEPTH,
    VALLEY_REACH,
)
from digits.vision.windows import square_max


@dataclass(frozen=True)
class Page:
    """Ink to segment and where it lies in the work image."""

    ink: np.ndarray
    origin: tuple[int, int]  # (x, y) of the ink's first pixel, in work pixels
    scale: int  # work pixels per pixel of ``ink``


@dataclass(frozen=True)
class Part:
    """Ink pixels read together: their bounds on the page (ends exclusive) and mask there."""

    top: int
    bottom: int
    left: int
    right: int
    mask: np.ndarray

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def box(self) -> Box:
        """Return the part's bounds as a box in the page's pixels."""
        return Box.from_edges(self.left, self.top, self.right, self.bottom)

    @classmethod
    def of(cls, top: int, left: int, mask: np.ndarray) -> Part | None:
        """Return the part of ``mask`` placed at (top, left), cropped to its pixels."""
        rows = np.flatnonzero(mask.any(axis=1))
        if rows.size == 0:
            return None
        columns = np.flatnonzero(mask.any(axis=0))
        return cls(
            top=top + int(rows[0]),
            bottom=top + int(rows[-1]) + 1,
            left=left + int(columns[0]),
            right=left + int(columns[-1]) + 1,
            mask=mask[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1],
        )


@dataclass
class Plan:
    """The digits' groups left to right, which neighbours may be one digit, the line's height."""

    ink: np.ndarray
    groups: list[Part]
    joinable: list[bool]  # joinable[i]: groups i and i + 1 may be one broken digit
    height: float
    underline: bool = False
    _inked: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._inked = np.zeros(self.ink.shape, dtype=bool)
        for part in self.groups:
            self._inked[part.top : part.bottom, part.left : part.right] |= part.mask

    @property
    def chains(self) -> int:
        """Return how many digits the plan holds at least: runs of joinable groups with a digit."""
        count, digit = 0, False
        for i, part in enumerate(self.groups):
            digit = digit or self.is_digit(part)
            if i + 1 == len(self.groups) or not self.joinable[i]:
                count, digit = count + digit, False
        return count

    def merges(self) -> list[tuple[int, int]]:
        """Return each run (first, last) of two or more groups that may be one broken digit."""
        found = []
        for first in range(len(self.groups)):
            for last in range(first + 2, len(self.groups) + 1):
                if not self.joinable[last - 2]:
                    break
                merged = self.merged(first, last)
                if merged.width > MERGE_WIDTH * self.height:
                    break
                found.append((first, last))
        return found

    def merged(self, first: int, last: int) -> Part:
        """Return groups ``first`` to ``last`` (exclusive) as one part."""
        parts = self.groups[first:last]
        top, bottom = min(p.top for p in parts), max(p.bottom for p in parts)
        left, right = min(p.left for p in parts), max(p.right for p in parts)
        mask = np.zeros((bottom - top, right - left), dtype=bool)
        for p in parts:
            mask[p.top - top : p.bottom - top, p.left - left : p.right - left] |= p.mask
        return Part(top, bottom, left, right, mask)

    def is_digit(self, part: Part) -> bool:
        """Tell whether ``part`` is tall enough to be a digit by itself."""
        return part.height >= SHORT * self.height

    def is_wide(self, part: Part) -> bool:
        """Tell whether ``part`` is wide enough to be digits that touch."""
        return part.width > CUT_WIDTH * self.height

    def crop(self, part: Part) -> np.ndarray:
        """Return the part's ink cropped to its bounds, other parts' pixels cleared."""
        top, left = max(0, part.top - 1), max(0, part.left - 1)
        bottom = min(self.ink.shape[0], part.bottom + 1)
        right = min(self.ink.shape[1], part.right + 1)
        mask = np.zeros((bottom - top, right - left), dtype=bool)
        mask[part.top - top : part.bottom - top, part.left - left : part.right - left] = part.mask
        # Grow the mask by a pixel to keep the strokes' faint edges, but not into other parts.
        grown = square_max(mask, 1) & ~(self._inked[top:bottom, left:right] & ~mask)
        ink = np.where(grown, self.ink[top:bottom, left:right], 0)
        rows = np.flatnonzero(ink.any(axis=1))
        columns = np.flatnonzero(ink.any(axis=0))
        return ink[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]

    def cuts(self, part: Part) -> list[tuple[Part, Part]]:
        """Return up to MAX_CUTS ways to cut ``part`` in two along cheap top-to-bottom paths.

        One path is found near each place across the part, every CUT_SPACING: each keeps within
        CUT_SPACING of its place, so that the cheapest cuts do not all run down the same gap.
        """
        ink = self.ink[part.top : part.bottom, part.left : part.right] * part.mask
        rows, width = ink.shape
        low = max(1, int(MIN_PART * self.height))
        step = max(1, int(CUT_SPACING * self.height))
        places = np.arange(low, width - low, step)
        if places.size == 0:
            return []
        across = np.arange(width)
        # cost[k, row, column]: the ink a path crossing there for place k cuts; inf off its band.
        band = np.abs(across[None, :] - places[:, None]) <= step
        cost = np.where(band[:, None, :], ink[None, :, :], np.inf).astype(np.float32)
        cost = np.pad(cost, ((0, 0), (0, 0), (1, 1)), constant_values=np.inf)
        total = cost[:, 0].copy()
        came = np.zeros(cost.shape, dtype=np.int8)
        # From the column to the left, the same one or the one to the right: the first cheapest.
        left, right = np.full_like(total, np.inf), np.full_like(total, np.inf)
        for row in range(1, rows):
            np.add(total[:, :-1], DRIFT_COST, out=left[:, 1:])
            np.add(total[:, 1:], DRIFT_COST, out=right[:, :-1])
            step = came[:, row]
            step.fill(-1)
            best = left.copy()
            stay = total < best
            step[stay] = 0
            np.copyto(best, total, where=stay)
            drift = right < best
            step[drift] = 1
            np.copyto(best, right, where=drift)
            total = best + cost[:, row]
        ends = total.argmin(axis=1)
        order = np.argsort(total[np.arange(places.size), ends], kind="stable")
        paths = [valley_cut(part.mask, self.height)]
        for k in order:
            path = np.empty(rows, dtype=np.int64)
            column = int(ends[k])
            for row in range(rows - 1, -1, -1):
                path[row] = column - 1
                column += int(came[k, row, column])
            paths.append(path)
        found, seen = [], set()
        for path in paths:
            if path is None or path.tobytes() in seen:
                continue
            seen.add(path.tobytes())
            inside = across[None, :] < path[:, None]
            left = Part.of(part.top, part.left, part.mask & inside)
            right = Part.of(part.top, part.left, part.mask & ~inside)
            if left and right and self.is_digit(left) and self.is_digit(right):
                found.append((left, right))
                if len(found) == MAX_CUTS:
                    break
        return found


def valley_cut(mask: np.ndarray, height: float) -> np.ndarray | None:
    """Return the straight cut from the deepest dip of the ink's top edge to that of its bottom.

    Two digits that touch side by side leave a dip in the outline above and below the join,
    where a cut crossing the fewest strokes may still run along the join itself. Dips shallower
    than VALLEY_DEPTH, or further than MIN_PART from either side, do not count: None.
    """
    rows, width = mask.shape
    low = max(1, int(MIN_PART * height))
    reach = max(2, int(VALLEY_REACH * height))
    if width - 2 * low < 1:
        return None
    filled = mask.any(axis=0)
    top = np.where(filled, mask.argmax(axis=0), rows).astype(np.float64)
    bottom = np.where(filled, mask[::-1].argmax(axis=0), rows).astype(np.float64)
    best = []
    for edge in (top, bottom):
        padded = np.pad(edge, reach, constant_values=np.inf)
        windows = np.lib.stride_tricks.sliding_window_view(padded, reach)
        before = windows[np.arange(width)].min(axis=1)
        after = windows[np.arange(width) + reach + 1].min(axis=1)
        depth = np.minimum(edge - before, edge - after)[low : width - low]
        column = int(np.argmax(depth))
        if depth[column] < VALLEY_DEPTH * height:
            return None
        best.append(column + low)
    return np.rint(np.linspace(best[0], best[1], rows)).astype(np.int64)


@dataclass(frozen=True)
class _Piece:
    label: int
    top: int
    bottom: int
    left: int
    right: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left


def layout(ink: np.ndarray, labels: np.ndarray) -> Plan:
    """Return the plan of the ink whose connected pieces ``labels`` numbers (-1: none)."""
    pieces = _pieces(labels)
    upright = [p for p in pieces if p.height >= FLAT * p.width] or pieces
    height = float(max(p.height for p in upright))
    majors = [p for p in pieces if max(p.height, p.width) >= MINOR * height]
    line_top = min(p.top for p in majors)
    underlines = [
        p
        for p in majors
        if p.height < FLAT * p.width
        and p.width >= UNDERLINE_WIDTH * height
        and p.top >= line_top + height / 2
    ]
    groups = _overlapping([p for p in majors if p not in underlines])
    for piece in pieces:
        if piece not in majors:
            _attach(piece, groups, height)
    groups.sort(key=lambda g: _extent(g)[2])
    parts = []
    for group in groups:
        top, bottom, left, right = _extent(group)
        mask = np.isin(labels[top:bottom, left:right], [p.label for p in group])
        parts.append(Part(top, bottom, left, right, mask))
    joinable = [b.left - a.right <= MERGE_GAP * height for a, b in itertools.pairwise(parts)]
    return Plan(ink=ink, groups=parts, joinable=joinable, height=height, underline=bool(underlines))


def _attach(piece: _Piece, groups: list[list[_Piece]], height: float) -> None:
    """Add a minor piece to the group whose columns hold its centre, if it is near it."""
    centre_x, centre_y = (piece.left + piece.right) / 2, (piece.top + piece.bottom) / 2
    for group in groups:
        top, bottom, left, right = _extent(group)
        if left <= centre_x < right and top - MINOR * height <= centre_y <= bottom + MINOR * height:
            group.append(piece)
            return


def _pieces(labels: np.ndarray) -> list[_Piece]:
    """Return each labelled piece's bounds."""
    ys, xs = np.nonzero(labels >= 0)
    ids = labels[ys, xs]
    order = np.argsort(ids, kind="stable")
    ys, xs, ids = ys[order], xs[order], ids[order]
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    tops, bottoms = np.minimum.reduceat(ys, starts), np.maximum.reduceat(ys, starts) + 1
    lefts, rights = np.minimum.reduceat(xs, starts), np.maximum.reduceat(xs, starts) + 1
    return [
        _Piece(int(ids[s]), int(t), int(b), int(lf), int(r))
        for s, t, b, lf, r in zip(starts, tops, bottoms, lefts, rights, strict=True)
    ]


def _overlapping(pieces: list[_Piece]) -> list[list[_Piece]]:
    """Group pieces that overlap horizontally by OVERLAP of the narrower one, transitively."""
    parent = list(range(len(pieces)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i, a in enumerate(pieces):
        for j in range(i + 1, len(pieces)):
            b = pieces[j]
            overlap = min(a.right, b.right) - max(a.left, b.left)
            if overlap >= OVERLAP * min(a.width, b.width):
                parent[root(j)] = root(i)
    groups: dict[int, list[_Piece]] = {}
    for i, piece in enumerate(pieces):
        groups.setdefault(root(i), []).append(piece)
    return list(groups.values())


def _extent(group: list[_Piece]) -> tuple[int, int, int, int]:
    return (
        min(p.top for p in group),
        max(p.bottom for p in group),
        min(p.left for p in group),
        max(p.right for p in group),
    )

"""Find the digits of a number in an image, left to right, by what the recognizer accepts.

Segmentation proposes, the recognizer decides (as check and postal-code readers do: LeCun,
Bottou, Bengio and Haffner, 1998, heuristic over-segmentation). The ink's connected pieces are
grouped (layout.py): strokes that overlap horizontally are one group. Each group may be read
whole as one digit, cut in two along the cuts the layout proposes (each side read again, and cut
again if it is wide), merged with its neighbours as one broken digit, or left out. The classifier
scores every candidate piece: as one of the ten digits, as no digit at all (a fragment, a letter,
a scribble), or as several digits that touch. A search over the groups from left to right picks
the reading with the best joint score, the sum of the log of the model's probabilities of what
each part is said to be: a group left out is no digit; a part read whole is its digit; a part cut
is several digits, and then each side is read again the same way.

A half of an 8 is no digit, so cutting a wide 8 scores badly. Two zeros that touch are several
digits, neither one digit nor nothing, so only cutting them scores well. A letter is no digit: its
whole, left out, scores better than any reading of its pieces. Neighbours that may be one broken
digit may also be one thing that is no digit, left out together: a % whose loops and stroke stand
apart reads 0, 1 and 0 piece by piece, but no digit whole. That reading is open only where no other
group of the line reads as a digit. Among digits, pieces are likelier digits, and so a group is
cut at the cost of its not being one digit, several digits or none: a 1 that runs into its
neighbour makes a K, an N or a Λ, which the model knows as letters, and in a number it is far
likelier two digits than a letter (``_Search.cut_cost``). A single digit, the usual case, is
read from all its ink exactly as ``normalise.to_mnist`` reads it; when its ink is one narrow run of
columns, or one connected piece that the model reads as a digit, no search is needed to know it.
In a photo, a digit far smaller than writing (SMALLEST_IN_PHOTO) is the paper's and left out. When
nothing is read as a digit, the image is refused as not a digit.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from digits.box import Box
from digits.classes import DIGITS, NOT_A_DIGIT, SEVERAL_DIGITS, class_probability
from digits.config import MAX_DIGITS
from digits.errors import NotADigit, NothingDrawn, TooManyDigits
from digits.vision import normalise
from digits.vision.components import label_components
from digits.vision.geometry import MASK_LEVEL, MAX_CUT_DEPTH, NARROW, SEGMENT_HEIGHT
from digits.vision.ink import digit_ink
from digits.vision.layout import Page, Part, Plan, layout

# Images (n, 28, 28) -> probabilities (n, classes): the model's predict_proba.
Classify = Callable[[np.ndarray], np.ndarray]
# Probabilities are floored here before their log: a model sure to the last bit still ranks.
FLOOR = 1e-12
REFUSAL = "this does not look like a digit or a number"
# In a photo, a digit is at least this share of the frame's height: half the smallest writing the
# photo path is made to read (5% of the frame). Less is the paper's (a line's end, a speck of
# grain or shadow), not writing: left out, as a piece read as no digit is.
SMALLEST_IN_PHOTO = 0.025


@dataclass(frozen=True)
class Found:
    """One digit found: what the model sees, and where the digit is."""

    image28: np.ndarray
    box: Box  # in the decoded image's pixels
    probabilities: np.ndarray  # the model's answer, (classes,)


def find_digits(image: Image.Image, classify: Classify) -> list[Found]:
    """Return the digits in ``image`` from left to right.

    NothingDrawn when there is no ink, NotADigit when the recognizer accepts none of it as a
    digit, TooManyDigits past MAX_DIGITS. A single digit is preprocessed exactly as
    ``normalise.to_mnist`` does; each digit comes with the probabilities ``classify`` gave it.
    """
    analysis = normalise.analyse(image)
    try:
        return _digits_of(analysis, image.size, classify)
    except NotADigit as refused:
        if analysis.sheet_sides != 1:
            raise
        # Nothing on the sheet found in a photo reads as a digit, and of its edges only one runs
        # across the frame: it may have been a hard shadow's, with the writing wholly beyond it.
        # What lies beyond is read as paper too. (A sheet on a desk shows a corner, mostly.)
        try:
            beyond = normalise.analyse(image, beyond_sheet=True)
        except NothingDrawn:
            raise refused from None
        return _digits_of(beyond, image.size, classify)


def _digits_of(
    analysis: normalise.Analysis, size: tuple[int, int], classify: Classify
) -> list[Found]:
    """Return the digits of the ink of ``analysis`` (of an image of ``size``), as find_digits;
    in a photo, only those at least SMALLEST_IN_PHOTO of the frame's height."""
    found = _reading(analysis, size, classify)
    if analysis.photo:
        found = [digit for digit in found if digit.box.height >= SMALLEST_IN_PHOTO * size[1]]
        if not found:
            raise NotADigit(REFUSAL)
    return found


def _reading(
    analysis: normalise.Analysis, size: tuple[int, int], classify: Classify
) -> list[Found]:
    whole = _whole(analysis, size, classify)
    if _narrow_run(analysis.ink) and not _several(whole.probabilities):
        if not _accepted(whole.probabilities):
            raise NotADigit(REFUSAL)
        return [whole]
    page = _page(analysis)
    inked = page.ink >= MASK_LEVEL
    labels = label_components(inked)
    if page.ink is analysis.ink and labels.max() == 0 and _accepted(whole.probabilities):
        # One connected piece of ink, read whole as a digit: the search's only group would be
        # all of it, read already, and neither dropping it nor cutting it scores above the digit
        # the model prefers to both, so the search could only answer ``whole``.
        return [whole]
    plan = layout(page.ink, labels)
    if plan.chains > MAX_DIGITS:
        raise TooManyDigits(
            f"at least {plan.chains} digits found; at most {MAX_DIGITS} are read in one image"
        )
    search = _Search(plan, classify)
    if page.ink is analysis.ink:
        # On the analysis's own ink, a part that holds every inked pixel is the whole, read already.
        search.knows_all_ink(int(np.count_nonzero(inked)), whole)
    reading, score, left_out = search.best()
    alone = _score(whole.probabilities)
    if alone >= score and _accepted(whole.probabilities):
        # All the ink read as one digit explains it better than any reading of its parts.
        return [whole]
    if not reading:
        raise NotADigit(REFUSAL)
    if len(reading) == 1 and not left_out and not plan.underline:
        # One digit: all its ink, read as a single digit always is.
        return [whole]
    if len(reading) > MAX_DIGITS:
        raise TooManyDigits(f"{len(reading)} digits found; at most {MAX_DIGITS} are read")
    return [
        Found(
            image28=piece.image28,
            box=_decoded_box(analysis, _work_box(page, piece.part), size),
            probabilities=piece.probabilities,
        )
        for piece in reading
    ]


@dataclass(frozen=True)
class _Piece:
    """A candidate piece, read as one digit: its image, the model's answer and its score."""

    part: Part
    image28: np.ndarray | None
    probabilities: np.ndarray | None

    @property
    def as_digit(self) -> float:
        """Return the log probability of the piece's likeliest digit (-inf if it is unreadable)."""
        return -np.inf if self.probabilities is None else _score(self.probabilities)

    @property
    def as_several(self) -> float:
        """Return the log probability that the piece is several digits that touch."""
        if self.probabilities is None:
            return -np.inf
        return float(
            np.log(max(float(class_probability(self.probabilities, SEVERAL_DIGITS)), FLOOR))
        )

    @property
    def as_not_one_digit(self) -> float:
        """Return the log probability that the piece is not one digit: several digits, or none."""
        if self.probabilities is None:
            return -np.inf
        several = float(class_probability(self.probabilities, SEVERAL_DIGITS))
        none = float(class_probability(self.probabilities, NOT_A_DIGIT))
        return float(np.log(max(several + none, FLOOR)))

    @property
    def as_no_digit(self) -> float:
        """Return the log probability that the piece holds no digit at all."""
        return 0.0 if self.probabilities is None else _drop_score(self.probabilities)


def _score(probabilities: np.ndarray) -> float:
    return float(np.log(max(float(probabilities[:DIGITS].max()), FLOOR)))


def _drop_score(probabilities: np.ndarray) -> float:
    return float(np.log(max(float(class_probability(probabilities, NOT_A_DIGIT)), FLOOR)))


def _accepted(probabilities: np.ndarray) -> bool:
    """Tell whether a digit is the likeliest of all the classes."""
    return int(np.argmax(probabilities)) < DIGITS


def _several(probabilities: np.ndarray) -> bool:
    """Tell whether several touching digits are the likeliest class."""
    return int(np.argmax(probabilities)) == SEVERAL_DIGITS


class _Search:
    """The best reading of a plan's groups, left to right, as the classifier scores the pieces."""

    def __init__(self, plan: Plan, classify: Classify) -> None:
        self.plan = plan
        self.classify = classify
        self.read: dict[int, _Piece] = {}
        self.all_ink_pixels = -1  # none known: no part is taken for all the ink
        self.all_ink: Found | None = None
        # The groups whose line holds another group read as a digit: set by ``best``.
        self.among_digits: set[int] = set()

    def knows_all_ink(self, pixels: int, reading: Found) -> None:
        """Take ``reading`` for any part holding all ``pixels`` inked pixels of the plan's ink."""
        self.all_ink_pixels, self.all_ink = pixels, reading

    def best(self) -> tuple[list[_Piece], float, bool]:
        """Return the best reading's digits, its score, and whether it left out a tall group.

        Each group is left out, read (``_digits``), or merged with its neighbours as one broken
        digit; where no group beyond such a run reads as a digit, the run may be left out whole,
        at the cost of its being no digit.
        """
        plan = self.plan
        merges = {run: plan.merged(*run) for run in plan.merges()}
        self._read([*plan.groups, *merges.values()])
        read_as_digits = self._read_as_digits()
        self.among_digits = {id(group) for group in plan.groups if read_as_digits - {id(group)}}
        # The merges that end at each group: where the run starts, its reading, and whether a
        # group beyond it reads as a digit (then the run may not be left out whole).
        ending: dict[int, list[tuple[int, _Piece, bool]]] = collections.defaultdict(list)
        for (first, end), part in merges.items():
            run = {id(group) for group in plan.groups[first:end]}
            ending[end].append((first, self.read[id(part)], bool(read_as_digits - run)))
        count = len(plan.groups)
        best = [0.0] + [-np.inf] * count
        came: list[tuple[int, list[_Piece]]] = [(0, [])] * (count + 1)
        for last in range(1, count + 1):
            group = self.plan.groups[last - 1]
            options = [(last - 1, [], self._left_out(group))]
            digits, score = self._digits(group, MAX_CUT_DEPTH, id(group) in self.among_digits)
            options.append((last - 1, digits, score))
            for first, merged, digits_beyond in ending[last]:
                options.append((first, [merged], merged.as_digit))
                if not digits_beyond:
                    options.append((first, [], merged.as_no_digit))
            for first, digits, score in options:
                if best[first] + score > best[last]:
                    best[last], came[last] = best[first] + score, (first, digits)
        reading, last, left_out = [], count, False
        while last > 0:
            first, digits = came[last]
            left_out = left_out or (not digits and any(map(plan.is_digit, plan.groups[first:last])))
            reading, last = digits + reading, first
        return reading, best[count], left_out

    def _read_as_digits(self) -> set[int]:
        """Return the ids of the groups whose likeliest class is a digit."""
        return {
            id(group)
            for group in self.plan.groups
            if self.read[id(group)].probabilities is not None
            and _accepted(self.read[id(group)].probabilities)
        }

    def cut_cost(self, whole: _Piece, among_digits: bool) -> float:
        """Return the score of cutting ``whole``: the log probability that it is several digits,
        or, in a line that holds other digits, that it is not one digit (several, or none).

        Alone, a shape the model calls no digit is refused, and cutting it costs what its being
        several digits is worth. Beside digits, what the model calls no digit in a part wide
        enough to cut may well be digits that touch: two touching 1s make a Λ or an n, a 1 run
        into a 4 a K, and the model, trained to refuse letters, calls them none. There the
        model's two ways of saying "not one digit" both leave the cut open, and its sides, read
        as digits, decide.
        """
        return whole.as_not_one_digit if among_digits else whole.as_several

    def _left_out(self, group: Part) -> float:
        """Return the score of reading ``group`` as no digit: free if it is too short for one."""
        if not self.plan.is_digit(group):
            return 0.0
        return self.read[id(group)].as_no_digit

    def _digits(self, part: Part, depth: int, among_digits: bool) -> tuple[list[_Piece], float]:
        """Return the best reading of ``part`` as digits, whole or cut, and its score.

        Read whole, ``part`` is one digit; cut, it is several digits (``cut_cost``), and each
        side is read again. ``among_digits`` is the group's own: its sides are cut only where
        the model calls them several digits.
        """
        whole = self.read[id(part)]
        best = [whole], whole.as_digit
        if depth == 0 or not self.plan.is_wide(part):
            return best
        cost = self.cut_cost(whole, among_digits)
        # Every score is a log probability, at most 0: a cut scores at most its cost, so when
        # that is no better than reading the part whole, no cut is worth reading.
        if cost <= best[1]:
            return best
        cuts = self.plan.cuts(part)
        self._read([side for cut in cuts for side in cut])
        for left, right in cuts:
            left_digits, left_score = self._digits(left, depth - 1, False)
            if cost + left_score <= best[1]:
                continue
            right_digits, right_score = self._digits(right, depth - 1, False)
            score = cost + left_score + right_score
            if score > best[1]:
                best = left_digits + right_digits, score
        return best

    def _read(self, parts: list[Part]) -> None:
        """Read every part not read yet as one digit, in one call of the classifier."""
        new = [p for p in {id(p): p for p in parts}.values() if id(p) not in self.read]
        images, readable = [], []
        for part in new:
            if not self.plan.is_digit(part):
                self.read[id(part)] = _Piece(part, None, None)
                continue
            if self.all_ink is not None and np.count_nonzero(part.mask) == self.all_ink_pixels:
                # All the ink (give or take its faintest edge): the whole image, read already.
                self.read[id(part)] = _Piece(part, self.all_ink.image28, self.all_ink.probabilities)
                continue
            try:
                images.append(normalise.crop_to_mnist(self.plan.crop(part)))
                readable.append(part)
            except NothingDrawn:
                self.read[id(part)] = _Piece(part, None, None)
        if not readable:
            return
        probabilities = self.classify(np.stack(images))
        for part, image28, row in zip(readable, images, probabilities, strict=True):
            self.read[id(part)] = _Piece(part, image28, row)


def _narrow_run(ink: np.ndarray) -> bool:
    """Tell whether ``ink`` is one run of columns at most NARROW times as wide as it is tall."""
    mask = ink >= MASK_LEVEL
    columns = np.flatnonzero(mask.any(axis=0))
    rows = np.flatnonzero(mask.any(axis=1))
    if columns.size == 0:
        return True
    width = int(columns[-1] - columns[0]) + 1
    return width == columns.size and width <= NARROW * (int(rows[-1] - rows[0]) + 1)


def _whole(analysis: normalise.Analysis, size: tuple[int, int], classify: Classify) -> Found:
    """Return all the ink read as one digit, as normalise.to_mnist and the model read it."""
    image28, box = normalise.digit_of(analysis)
    probabilities = classify(image28[None])[0]
    return Found(image28, _decoded_box(analysis, box, size), probabilities)


def _page(analysis: normalise.Analysis) -> Page:
    """Return the ink to segment: the analysis's own, or its region again at more detail."""
    ink, factor = analysis.ink, analysis.factor
    bounds = normalise.ink_bounds(ink >= MASK_LEVEL)
    if factor == 1 or bounds.height >= SEGMENT_HEIGHT:
        return Page(ink=ink, origin=(0, 0), scale=factor)
    margin = bounds.height // 4 + 2
    region = Box.from_edges(
        max(0, (bounds.x - margin) * factor),
        max(0, (bounds.y - margin) * factor),
        min(analysis.work.width, (bounds.right + margin) * factor),
        min(analysis.work.height, (bounds.bottom + margin) * factor),
    )
    scale = max(1, bounds.height * factor // SEGMENT_HEIGHT)
    crop = analysis.work.crop((region.x, region.y, region.right, region.bottom))
    try:
        return Page(
            ink=digit_ink(normalise.reduce_by(crop, scale)),
            origin=(region.x, region.y),
            scale=scale,
        )
    except NothingDrawn:
        return Page(ink=ink, origin=(0, 0), scale=factor)


def _work_box(page: Page, part: Part) -> Box:
    """Return the part's box in work pixels."""
    x, y = page.origin
    return part.box.scaled(page.scale, page.scale).offset(x, y)


def _decoded_box(analysis: normalise.Analysis, box: Box, size: tuple[int, int]) -> Box:
    """Return a box in work pixels in the decoded image's pixels."""
    factor = analysis.work_factor
    return box.scaled(factor, factor).within(*size)

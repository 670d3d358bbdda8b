"""Find the digits of a number in an image, left to right (Pillow + NumPy only).

A single digit, the usual case, is recognised from the columns of its ink alone and normalised
exactly as ``normalise.to_mnist`` does. Otherwise the ink is split into connected pieces: pieces
that overlap horizontally are one digit's strokes (a 4, 5 or 7 drawn in two strokes, a 1 and its
base); pieces far smaller than the line of digits are specks, dots or fragments, kept only inside
a digit's columns; a flat piece wider than a digit, below the others, is an underline. Where the
reading is doubtful (two pieces close enough to be one broken digit, a piece wide enough to be two
touching digits, cut along the cheapest paths through its ink) the classifier chooses: each
candidate is normalised as a single digit is, and the reading whose digits the model is surest of
wins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from digits.box import Box
from digits.config import MAX_DIGITS
from digits.errors import NothingDrawn, TooManyDigits
from digits.vision import normalise
from digits.vision.components import label_components
from digits.vision.ink import digit_ink
from digits.vision.layout import Page, Part, Plan, layout, valley_cut

# Ink in one run of columns is one digit, with no segmentation, when it is at most NARROW times
# as wide as it is tall, or at most SINGLE_WIDTH and the model is at least SURE of it: two digits
# that touch are wide, and read as one they rarely look like any digit.
NARROW = 0.8
SINGLE_WIDTH = 2.0
SURE = 0.4
# Ink at least this strong belongs to a piece; fainter ink is a stroke's antialiased edge.
MASK_LEVEL = 0.3
# Digits are segmented at least SEGMENT_HEIGHT pixels tall when the image has that many.
SEGMENT_HEIGHT = 48
# A reading's score is the sum, over its digits, of the log of the model's confidence less
# DIGIT_COST: a split must be clearly surer than the reading that keeps the pieces together.
DIGIT_COST = 0.05
# Reading one digit in a part wider than WIDE_FREE line heights costs WIDE_COST per line height
# beyond: few digits are wider than tall, and two that touch are.
WIDE_FREE = 1.0
WIDE_COST = 2.0
# A part wide enough for two digits is cut only if the model is less than CUT_SURE of it whole.
CUT_SURE = 0.7
# ... or if it is RELATIVE_WIDE times as wide as the median of the other digits of its line: a
# model sure of what it reads can still read two touching digits as one.
RELATIVE_WIDE = 1.6
# ... or, at a cost of CUT_COST to the reading that cuts it, if it is SOMEWHAT_WIDE times as wide
# and either the model is less than DOUBT_SURE of it or its outline dips above and below, as two
# digits side by side leave it (layout.valley_cut): only a cut the model is clearly surer of than
# of the whole then wins.
SOMEWHAT_WIDE = 1.15
DOUBT_SURE = 0.99
CUT_COST = 0.2
# Such a cut into two whole digits, each side at least WHOLE_SIDE of the part's height and read
# with confidence at least PAIR_SURE, instead earns PAIR_BONUS: it wins unless the model is
# clearly surer of the part read whole.
WHOLE_SIDE = 0.9
PAIR_SURE = 0.999
PAIR_BONUS = 0.07
# A lone piece of ink (no other tall one beside it) is read as several digits only if it is at
# least LONE_WIDTH wide and the product of the model's confidences in them is at least LONE_SURE.
LONE_WIDTH = 1.0
LONE_SURE = 0.5
# Ink in one run of columns, wider than LONE_WIDTH, that the model is SURE of but less than
# WHOLE_SURE may still be two digits that touch: it is cut if the cut scores better than the
# whole, the model is at least PIECE_SURE of each side, and each side is at least LONE_SIDE of
# the ink's height (the cuts of one digit leave a short side: a tail, a loop, a bar).
WHOLE_SURE = 0.9999
PIECE_SURE = 0.999
LONE_SIDE = 0.85
# Leaving out a group too short to be a digit costs SHORT_DROP; a tall one, TALL_DROP.
SHORT_DROP = 0.5
TALL_DROP = 10.0

# Images (n, 28, 28) -> probabilities (n, 10): the model's predict_proba.
Classify = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Found:
    """One digit found: what the model sees, and where the digit is."""

    image28: np.ndarray
    box: Box  # in the decoded image's pixels
    probabilities: np.ndarray  # the model's answer, (10,)


def find_digits(image: Image.Image, classify: Classify) -> list[Found]:
    """Return the digits in ``image`` from left to right (NothingDrawn when there are none).

    A single digit is preprocessed exactly as ``normalise.to_mnist`` does. Each comes back with
    the probabilities ``classify`` gave it. More than MAX_DIGITS raise TooManyDigits.
    """
    analysis = normalise.analyse(image)
    shape = _shape(analysis.ink)
    whole, strict = None, False
    if shape is not None:
        # One run of columns: read the whole ink as one digit, as to_mnist always has.
        whole = _whole(analysis, image.size, classify)
        width, height = shape
        confidence = float(whole.probabilities.max())
        if width <= NARROW * height:
            return [whole]
        if width <= SINGLE_WIDTH * height and confidence >= SURE:
            if width <= LONE_WIDTH * height or confidence >= WHOLE_SURE:
                return [whole]
            # Wide, and the model not quite sure of it: cut only where it is sure of both sides.
            strict = True
    page = _page(analysis)
    plan = layout(page.ink, label_components(page.ink >= MASK_LEVEL))
    if plan.chains > MAX_DIGITS:
        raise TooManyDigits(
            f"at least {plan.chains} digits found; at most {MAX_DIGITS} are read in one image"
        )
    digits = _Reader(plan, classify, strict).read()
    if not digits:
        raise NothingDrawn("no digit found: only specks")
    if len(digits) == 1 and not plan.underline:
        return [whole or _whole(analysis, image.size, classify)]
    if len(digits) > MAX_DIGITS:
        raise TooManyDigits(
            f"{len(digits)} digits found; at most {MAX_DIGITS} are read in one image"
        )
    return [
        Found(
            image28=d.image28,
            box=_decoded_box(analysis, _work_box(page, d.part), image.size),
            probabilities=d.probabilities,
        )
        for d in digits
    ]


@dataclass(frozen=True)
class _Digit:
    part: Part
    image28: np.ndarray | None
    probabilities: np.ndarray | None
    score: float

    @property
    def confidence(self) -> float:
        return 0.0 if self.probabilities is None else float(self.probabilities.max())


class _Reader:
    """Choose the reading of a plan that the classifier is surest of."""

    def __init__(self, plan: Plan, classify: Classify, strict: bool = False) -> None:
        self.plan = plan
        self.classify = classify
        # strict: the model was SURE of all the ink read whole, so a lone piece is cut only as
        # _lone_cut allows.
        self.strict = strict
        self.known: dict[int, _Digit] = {}

    def read(self) -> list[_Digit]:
        """Return the digits of the best reading, left to right."""
        plan = self.plan
        merges = {run: plan.merged(*run) for run in plan.merges()}
        alone = self._best(plan.groups, list(merges.values()))
        tall = [i for i, group in enumerate(plan.groups) if plan.is_digit(group)]
        if len(tall) == 1 and not merges:
            return self._lone(plan.groups[tall[0]], alone[tall[0]])
        count = len(plan.groups)
        best = [0.0] + [-np.inf] * count
        came: list[tuple[int, list[_Digit]]] = [(0, [])] * (count + 1)
        for last in range(1, count + 1):
            group = plan.groups[last - 1]
            drop = SHORT_DROP if not plan.is_digit(group) else TALL_DROP
            options = [
                (last - 1, alone[last - 1], sum(d.score for d in alone[last - 1])),
                (last - 1, [], -drop),
            ]
            for (first, end), part in merges.items():
                if end == last:
                    options.append((first, [self.known[id(part)]], self.known[id(part)].score))
            for first, digits, score in options:
                if best[first] + score > best[last]:
                    best[last], came[last] = best[first] + score, (first, digits)
        reading, last = [], count
        while last > 0:
            last, digits = came[last]
            reading = digits + reading
        return reading

    def _lone(self, group: Part, digits: list[_Digit]) -> list[_Digit]:
        """Keep a single piece of ink one digit unless it is wide and clearly several.

        Most drawings are one digit; a piece that touches no other is read as two only if it
        is at least LONE_WIDTH wide and the model is sure enough of every digit in it.
        """
        if self.strict:
            return self._lone_cut(group)
        if len(digits) == 1:
            return digits
        left = min(d.part.left for d in digits)
        right = max(d.part.right for d in digits)
        sure = float(np.prod([d.confidence for d in digits]))
        if right - left >= LONE_WIDTH * self.plan.height and sure >= LONE_SURE:
            return digits
        return [self.known[id(group)]]

    def _lone_cut(self, group: Part) -> list[_Digit]:
        """Cut a lone piece the model read whole with confidence only if it is sure of both sides.

        The best cut is the one whose sides score highest; it is kept if the piece is at least
        LONE_WIDTH wide, the cut scores better than the whole, and each side is at least LONE_SIDE
        of the piece's height and read with at least PIECE_SURE.
        """
        whole = self.known[id(group)]
        if group.width < LONE_WIDTH * self.plan.height:
            return [whole]
        cuts = self.plan.cuts(group)
        self._score([p for cut in cuts for p in cut])
        sides = [[self.known[id(p)] for p in cut] for cut in cuts]
        best = max(sides, key=lambda ds: sum(d.score for d in ds), default=None)
        if (
            best is None
            or sum(d.score for d in best) <= whole.score
            or any(d.confidence < PIECE_SURE for d in best)
            or any(d.part.height < LONE_SIDE * group.height for d in best)
        ):
            return [whole]
        return best

    def _best(self, parts: list[Part], also: list[Part] = ()) -> list[list[_Digit]]:
        """Return each part's best reading: itself, or cut in two, each side read again.

        Only a part wide enough for two digits is cut: one the model is unsure of, or one wider
        than the line's other digits (a little wider: only where the cut clearly reads better).
        """
        plan = self.plan
        self._score([*parts, *also])
        options, costs = [], []
        for part in parts:
            choices, cost = [[part]], None
            if plan.is_wide(part):
                confidence = self.known[id(part)].confidence
                wider = self._wider_than_others(part, SOMEWHAT_WIDE)
                if confidence < CUT_SURE or self._wider_than_others(part, RELATIVE_WIDE):
                    cost, cuts = (0.0, wider), plan.cuts(part)
                elif wider and (
                    confidence < DOUBT_SURE or valley_cut(part.mask, plan.height) is not None
                ):
                    cost, cuts = (CUT_COST, wider), plan.cuts(part)
                if cost is not None:
                    choices += [list(cut) for cut in cuts]
            options.append(choices)
            costs.append(cost)
        self._score([p for choices in options for choice in choices[1:] for p in choice])

        def score(choice: list[Part], cost: tuple[float, bool] | None) -> float:
            total = sum(self.known[id(p)].score for p in choice)
            if len(choice) == 1 or cost is None:
                return total
            charge, wider = cost
            return total + (PAIR_BONUS if wider and self._two_whole(choice) else -charge)

        chosen = [
            max(choices, key=lambda choice, cost=cost: score(choice, cost))
            for choices, cost in zip(options, costs, strict=True)
        ]
        # A side of a cut that is wide itself may hold more digits that touch.
        again = [p for choice in chosen if len(choice) > 1 for p in choice if plan.is_wide(p)]
        better = dict(zip(map(id, again), self._best(again), strict=True)) if again else {}
        return [
            [d for p in choice for d in better.get(id(p), [self.known[id(p)]])] for choice in chosen
        ]

    def _two_whole(self, sides: list[Part]) -> bool:
        """Tell whether the sides of a cut look like two whole digits, each read with PAIR_SURE."""
        height = max(p.bottom for p in sides) - min(p.top for p in sides)
        return all(
            p.height >= WHOLE_SIDE * height and self.known[id(p)].confidence >= PAIR_SURE
            for p in sides
        )

    def _wider_than_others(self, part: Part, times: float) -> bool:
        """Tell whether ``part`` is ``times`` as wide as the line's other digits, or wider."""
        others = [g.width for g in self.plan.groups if g is not part and self.plan.is_digit(g)]
        return bool(others) and part.width >= times * float(np.median(others))

    def _score(self, parts: list[Part]) -> None:
        """Read every part not read yet as one digit, in one call of the classifier."""
        new = [p for p in {id(p): p for p in parts}.values() if id(p) not in self.known]
        images, read = [], []
        for part in new:
            try:
                images.append(normalise.crop_to_mnist(self.plan.crop(part)))
                read.append(part)
            except NothingDrawn:
                self.known[id(part)] = _Digit(part, None, None, -np.inf)
        if not read:
            return
        probabilities = self.classify(np.stack(images))
        for part, image28, row in zip(read, images, probabilities, strict=True):
            score = float(np.log(row.max() + 1e-12)) - DIGIT_COST
            score -= WIDE_COST * max(0.0, part.width / self.plan.height - WIDE_FREE)
            if not self.plan.is_digit(part):
                score = -np.inf
            self.known[id(part)] = _Digit(part, image28, row, score)


def _shape(ink: np.ndarray) -> tuple[int, int] | None:
    """Return (width, height) of ``ink`` if it is one run of columns, else None."""
    mask = ink >= MASK_LEVEL
    columns = np.flatnonzero(mask.any(axis=0))
    rows = np.flatnonzero(mask.any(axis=1))
    if columns.size == 0:
        return 1, 1
    width = int(columns[-1] - columns[0]) + 1
    return (width, int(rows[-1] - rows[0]) + 1) if width == columns.size else None


def _whole(analysis: normalise.Analysis, size: tuple[int, int], classify: Classify) -> Found:
    """Return all the ink read as one digit, as normalise.to_mnist and the model read it."""
    image28, box = normalise.digit_of(analysis)
    probabilities = classify(image28[None])[0]
    return Found(image28, _decoded_box(analysis, box, size), probabilities)


def _page(analysis: normalise.Analysis) -> Page:
    """Return the ink to segment: the analysis's own, or its region again at more detail."""
    ink, factor = analysis.ink, analysis.factor
    rows = np.flatnonzero((ink >= MASK_LEVEL).any(axis=1))
    columns = np.flatnonzero((ink >= MASK_LEVEL).any(axis=0))
    height = int(rows[-1] - rows[0]) + 1
    if factor == 1 or height >= SEGMENT_HEIGHT:
        return Page(ink=ink, origin=(0, 0), scale=factor)
    margin = height // 4 + 2
    left = max(0, (int(columns[0]) - margin) * factor)
    top = max(0, (int(rows[0]) - margin) * factor)
    right = min(analysis.work.width, (int(columns[-1]) + 1 + margin) * factor)
    bottom = min(analysis.work.height, (int(rows[-1]) + 1 + margin) * factor)
    scale = max(1, height * factor // SEGMENT_HEIGHT)
    region = normalise.reduce_by(analysis.work.crop((left, top, right, bottom)), scale)
    try:
        return Page(ink=digit_ink(region), origin=(left, top), scale=scale)
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

"""Ruled lines, grid lines and margins: the page's own long, thin, straight strokes, set aside.

A pixel is evidence of a thin line when it is darker (in a darkness map: 0 paper, 1 black) than
the pixels RIDGE_REACH away on both sides across the line. Evidence votes for the straight lines
through it near each axis (a Hough transform: first every COARSE_STEP degrees up to MAX_ANGLE to
find the page's direction, then every FINE_STEP degrees within FINE_SPAN of it: a page's lines are
parallel, but in a photo of a tilted page they fan out, by over ten degrees from one side of a
sheet of squared paper to the other). A line is the page's when its evidence runs along
MIN_LENGTH of the sheet and it is one of many, converging with the others as a page's parallel
lines do in a photo, or along LONE_LENGTH (a margin): writing is rarely that long and straight.
Where the family's spacing puts a line that writing hides in part, FAMILY_LENGTH will do. Each
line's darkness is then measured across it, BAND pixels either side, as a mean along it that
leaves out writing (far darker than the line), and divided out: paper under the line becomes
paper, while a digit's stroke that crosses it stays as dark as it is. Lines are looked for with
offsets past the image's edges too: a slanted line can cross a corner of the frame only.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

# Evidence: darker by at least RIDGE_NOISE times the noise (and RIDGE_FLOOR) than the pixels
# RIDGE_REACH away either side. Ruled lines are a fraction of a millimetre: a few pixels wide.
RIDGE_REACH = (2, 4)
RIDGE_NOISE = 2.0
RIDGE_FLOOR = 0.03
MAX_ANGLE = 20.0
COARSE_STEP = 1.0
FINE_STEP = 0.25
FINE_SPAN = 12.0
# Darkness is first averaged over ALONG pixels along the lines: a faint line in a noisy photo
# stands out of the noise only over some length.
ALONG = 4
# A line of the page runs along at least MIN_LENGTH of the sheet's extent that way if it is one of
# at least FAMILY (ruled or squared paper), else along LONE_LENGTH (a margin).
MIN_LENGTH = 0.5
LONE_LENGTH = 0.6
FAMILY = 3
# In a family, a line where the family's spacing puts one (within FIT of the spacing) needs to run
# along only FAMILY_LENGTH of the sheet.
FAMILY_LENGTH = 0.2
FIT = 0.2
# ... and runs within TURN degrees of the family's direction where it lies (_converging).
TURN = 1.0
# Lines of a page are at least SPACING pixels apart (the best of closer ones is the line).
SPACING = 4
# Darkness is measured and divided out BAND pixels either side of a line, in bins of BIN pixels,
# as the mean of each bin over pieces of the line PIECE pixels long (a line fades and thickens
# along a photo), leaving out values more than OUTLIER above that mean (writing); no piece is
# darker than OUTLIER above the darkest of its whole line's profile.
BAND = 5
BIN = 0.5
PIECE = 128
OUTLIER = 0.1


@dataclass(frozen=True)
class Line:
    """A straight line: position = ``offset`` + ``slope`` * (along - middle of the image).

    For near-horizontal lines position is y and along is x; for near-vertical, the other way.
    """

    offset: float
    slope: float
    across: bool  # True: near-horizontal


def find_lines(dark: np.ndarray, noise: float, inside: np.ndarray | None = None) -> list[Line]:
    """Return the page's ruled and grid lines and margins in a darkness map."""
    lines = []
    for across in (True, False):
        values = dark if across else dark.T
        region = None if inside is None else (inside if across else inside.T)
        lines += [Line(o, s, across) for o, s in _family(values, noise, region)]
    return lines


def remove_lines(dark: np.ndarray, lines: list[Line]) -> np.ndarray:
    """Return ``dark`` with each line's own darkness divided out (a new array)."""
    clean = dark.copy()
    for across in (True, False):
        family = [line for line in lines if line.across == across]
        if family:
            _divide_out(clean if across else clean.T, family)
    return clean


def along_lines(shape: tuple[int, int], lines: list[Line], reach: float) -> np.ndarray:
    """Return where a pixel of an image of ``shape`` lies within ``reach`` pixels of a line."""
    near = np.zeros(shape, dtype=bool)
    for across in (True, False):
        family = [line for line in lines if line.across == across]
        if not family:
            continue
        view = near if across else near.T
        height, width = view.shape
        offsets = np.array([line.offset for line in family])[:, None, None]
        slopes = np.array([line.slope for line in family])[:, None, None]
        centre = offsets + slopes * (np.arange(width) - width / 2)
        steps = np.arange(-int(np.ceil(reach)), int(np.ceil(reach)) + 2)[None, :, None]
        rows = np.floor(centre).astype(np.int64) + steps
        keep = (rows >= 0) & (rows < height) & (np.abs(rows - centre) <= reach)
        _, _, columns = np.nonzero(keep)
        view[rows[keep], columns] = True
    return near


def _ridges(values: np.ndarray, noise: float) -> np.ndarray:
    """Return where a pixel is darker than the pixels RIDGE_REACH rows above and below it."""
    height = values.shape[0]
    threshold = max(RIDGE_NOISE * noise, RIDGE_FLOOR)
    found = np.zeros(values.shape, dtype=bool)
    for reach in RIDGE_REACH:
        above = values[np.maximum(np.arange(height) - reach, 0)]
        below = values[np.minimum(np.arange(height) + reach, height - 1)]
        found |= values - np.maximum(above, below) >= threshold
    return found


def _votes(
    rows: np.ndarray, columns: np.ndarray, slopes: np.ndarray, size: tuple[int, int], pad: int
):
    """Return the Hough accumulator (slopes, offsets) of evidence pixels, offsets from -``pad``
    to ``pad`` past the image: a slanted line can cross the frame's corner off its middle."""
    height, width = size
    votes = np.zeros((len(slopes), height + 2 * pad))
    for index, slope in enumerate(slopes):
        offsets = np.rint(rows - slope * (columns - width / 2)).astype(np.int64) + pad
        keep = (offsets >= 0) & (offsets < height + 2 * pad)
        votes[index] = np.bincount(offsets[keep], minlength=height + 2 * pad)
    return votes


def _family(values: np.ndarray, noise: float, inside: np.ndarray | None):
    """Return (offset, slope) of the near-horizontal lines of the page."""
    height, width = values.shape
    usable = width - width % ALONG
    averaged = values[:, :usable].reshape(height, usable // ALONG, ALONG).mean(axis=2)
    evidence = _ridges(averaged, noise / np.sqrt(ALONG))
    if inside is not None:
        evidence &= inside[:, ALONG // 2 : usable : ALONG]
    rows, columns = np.nonzero(evidence)
    columns = columns * ALONG + ALONG // 2
    extent = width if inside is None else int(inside.any(axis=0).sum())
    if rows.size < MIN_LENGTH * extent / ALONG:
        return []
    coarse = np.tan(np.radians(np.arange(-MAX_ANGLE, MAX_ANGLE + COARSE_STEP / 2, COARSE_STEP)))
    # Offsets are counted from ``pad`` before the image's edge until the lines are returned.
    pad = int(np.ceil(np.tan(np.radians(MAX_ANGLE + FINE_SPAN)) * width / 2))
    # The page's direction: where the votes gather into the fewest, strongest lines.
    sample = slice(None, None, max(1, rows.size // 20_000))
    votes = _votes(rows[sample], columns[sample], coarse, (height, width), pad)
    direction = float(np.degrees(np.arctan(coarse[int(np.argmax((votes**2).sum(axis=1)))])))
    fine = np.tan(
        np.radians(np.arange(direction - FINE_SPAN, direction + FINE_SPAN + 1e-9, FINE_STEP))
    )
    votes = _votes(rows, columns, fine, (height, width), pad)
    best = votes.max(axis=0)
    slope_of = fine[votes.argmax(axis=0)]
    found = []
    for offset in np.argsort(-best):
        if best[offset] < MIN_LENGTH * extent / ALONG:
            break
        if any(abs(offset - other) < SPACING for other, _ in found):
            continue
        found.append((int(offset), float(slope_of[offset])))
    if len(found) < FAMILY:
        # Lines with too few others beside them are margins, which run the sheet's length;
        # a long stroke of writing (a large 1) is shorter.
        found = [(o, s) for o, s in found if best[o] >= LONE_LENGTH * extent / ALONG]
    else:
        found = _converging(_completed(found, best, slope_of, FAMILY_LENGTH * extent / ALONG))
    return [(float(offset - pad), slope) for offset, slope in found]


def _completed(
    found: list[tuple[int, float]], best: np.ndarray, slope_of: np.ndarray, least: float
) -> list[tuple[int, float]]:
    """Add the lines a ruled or squared page has where its spacing says, if they have ``least``
    votes: writing that runs along a line hides part of it."""
    offsets = np.sort([offset for offset, _ in found])
    spacing = float(np.median(np.diff(offsets)))
    reach = max(1, round(FIT * spacing))
    expected = []
    for low, high in itertools.pairwise(offsets):
        count = round((high - low) / spacing)
        expected += [low + (high - low) * step / count for step in range(1, count)]
    expected += list(np.arange(offsets[0] - spacing, 0, -spacing))
    expected += list(np.arange(offsets[-1] + spacing, len(best), spacing))
    added = list(found)
    for place in expected:
        low, high = max(0, round(place) - reach), min(len(best), round(place) + reach + 1)
        offset = low + int(np.argmax(best[low:high]))
        if best[offset] >= least and all(abs(offset - o) >= SPACING for o, _ in added):
            added.append((offset, float(slope_of[offset])))
    return added


def _converging(found: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Keep the lines of a family that run as the family does, within TURN degrees.

    A page's lines, parallel on the sheet, meet at one vanishing point in a photo of it, so a
    line's slope is a linear function of its offset. The family's is fitted robustly (Theil-Sen:
    the median of the rates between every two lines); a straight stroke of writing that crosses
    the lines is off it.
    """
    found = sorted(found)
    offsets = np.array([offset for offset, _ in found], dtype=np.float64)
    slopes = np.array([slope for _, slope in found])
    first, second = np.triu_indices(len(found), k=1)
    rate = float(np.median((slopes[second] - slopes[first]) / (offsets[second] - offsets[first])))
    base = float(np.median(slopes - rate * offsets))
    turn = np.abs(np.degrees(np.arctan(slopes) - np.arctan(base + rate * offsets)))
    return [line for line, off in zip(found, turn, strict=True) if off <= TURN]


def _divide_out(view: np.ndarray, lines: list[Line]) -> None:
    """Divide near-horizontal lines' darkness out of ``view`` in place.

    Each pixel within BAND of a line, and nearer it than its neighbours, is divided by that
    line's darkness at its distance from it, measured along that piece of the line.
    """
    height, width = view.shape
    lines = sorted(lines, key=lambda line: line.offset)
    offsets = np.array([line.offset for line in lines], dtype=np.float32)
    # A pixel between two lines belongs to the nearer: each line's band ends half way.
    gaps = np.diff(offsets)
    below = np.minimum(BAND, np.append(gaps / 2, BAND))[:, None, None]
    above = np.minimum(BAND, np.insert(gaps / 2, 0, BAND))[:, None, None]
    columns = np.arange(width, dtype=np.int32)
    slopes = np.array([line.slope for line in lines], dtype=np.float32)[:, None, None]
    centre = offsets[:, None, None] + slopes * (columns - np.float32(width / 2))
    steps = np.arange(-BAND, BAND + 2, dtype=np.int32)[None, :, None]
    rows = np.floor(centre).astype(np.int32) + steps
    distance = rows - centre
    keep = (rows >= 0) & (rows < height) & (distance >= -above) & (distance < below)
    which, _, cols = np.nonzero(keep)
    rows, distance = rows[keep], distance[keep]
    values = view[rows, cols]
    bins = np.rint((distance + BAND) / BIN).astype(np.int32)
    per_line = int(2 * BAND / BIN) + 1
    pieces = -(-width // PIECE)
    groups = (which * pieces + cols // PIECE) * per_line + bins
    piece = _robust_mean(groups, values)[groups]
    # Writing that follows a line for a whole piece (a 2's base on a rule) is no darker than the
    # line there: no piece of a line is darker than OUTLIER above the darkest of its profile
    # measured along all its length.
    profile = _robust_mean(which * per_line + bins, values)
    profile = np.pad(profile, (0, len(lines) * per_line - profile.size))
    peak = profile.reshape(len(lines), per_line).max(axis=1)
    own = np.clip(np.minimum(piece, peak[which] + OUTLIER), 0, 0.95)
    view[rows, cols] = 1 - (1 - values) / (1 - own)


def _robust_mean(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Return, by group number, the mean of ``values`` leaving out those OUTLIER above it.

    Writing that crosses or follows a line is far darker than the line: left out, it does not
    count as the line's own darkness.
    """
    size = int(groups.max()) + 1
    count = np.bincount(groups, minlength=size)
    mean = np.bincount(groups, values, minlength=size) / np.maximum(count, 1)
    usual = values <= mean[groups] + OUTLIER
    count = np.bincount(groups[usual], minlength=size)
    return np.bincount(groups[usual], values[usual], minlength=size) / np.maximum(count, 1)

"""A photo of writing on paper, made into ink on white: the page found, its light evened out,
its own lines set aside.

Only an image that looks like a photo takes this path (``looks_like_photo``): grey or colour with
no alpha channel, at least PHOTO_SIDE pixels on its longer side and not a thin strip. Drawings from
the page (RGBA PNGs), scans and photos of a few hundred pixels, MNIST digits and printed digits
are read as before, at no cost. A large digital drawing on an opaque background that does take it
loses nothing: its light is even, its noise nil, and it has no sheet's edges or page's lines.

``clean`` finds the sheet (sheet.py) and reads only INSET inside its edges; estimates the paper's
light (illumination.py) and takes each pixel's darkness relative to it; finds the ruled and grid
lines and margins (rules.py) and divides their darkness out (marks lighter than their ground are no
writing on paper: that image goes back to the usual analysis). It keeps as ink the connected marks
that are darker than the paper by HIGH times its noise somewhere and by LOW times it throughout
(hysteresis: a faint stroke is kept whole where it joins a clear one; HIGH is of the noise where
the mark is, as a shadow or a desk's grain is noisier than lit paper), that do not reach the edge
of what is read, that are not specks nor what is left of the page's lines, and that are not far
fainter than the darkest mark (what the light's estimate left behind). Each stroke is brought to
full strength across its middle, so a thin or blurred one is not lost beside a bold one. What it
returns is that ink, dark on white, at the size it was given, so the analysis that follows
(normalise.py, segment.py) reads it as it reads a scan. When nothing on a sheet found by one edge
across the frame reads as a digit, segment.py asks for what lies beyond that edge (``beyond``): a
hard shadow's edge steps as sharply as a sheet's.

Every constant here and in sheet.py, illumination.py and rules.py is a guess tuned on the photo
bench's tune split (``python -m bench.photos --split tune``), never on its report split.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from digits.vision import illumination, rules, sheet
from digits.vision.components import label_components
from digits.vision.windows import square_max

# Marks are light on dark (chalk, white on black: not paper) when what lies more than MARK beyond
# the ground's level weighs LIGHTER times as much on the light side as on the dark side.
MARK = 0.15
LIGHTER = 2.0
# A photo: at least PHOTO_SIDE pixels on its longer side (phones take 12-megapixel photos and
# messaging apps shrink them to about 1600; drawings and scans sent here are smaller), and its
# shorter side at least PHOTO_SHAPE of that (a strip of a few pixels is no photo of a page).
PHOTO_SIDE = 800
PHOTO_SHAPE = 0.25
# Ink is read only INSET of the shorter side inside the sheet's edges: the edges are found to a
# pixel or two of a reduced copy (about half a percent of a photo's side), and a sliver of desk
# must not pass for a stroke.
INSET = 0.006
# Marks that reach that edge, or come within EDGE_BAND of the shorter side of the frame's edge,
# are the sheet's edge, the desk or the rim of a shadow or a vignette, not writing.
EDGE_BAND = 0.01
# Hysteresis thresholds on darkness, in units of the paper's noise, and never below LOW_FLOOR
# and HIGH_FLOOR: the light is estimated to within a few percent where a shadow's edge is sharp,
# however clean the photo.
HIGH = 5.0
LOW = 2.5
HIGH_FLOOR = 0.12
LOW_FLOOR = 0.05
# Writing dropped for reaching the sheet's edge (with no more than CUT_KEPT of it within CROSSING
# pixels of the edge: not the edge's own rim) is read again as if the paper filled the frame;
# that reading stands if it keeps more than CUT_KEPT of it and crosses the sheet's rim only
# within CROSSING pixels of it (the edge was a hard shadow's, not a desk's).
CUT_KEPT = 0.5
CROSSING = 5
# A mark of fewer pixels than SPECK of the image's is a speck, not writing.
SPECK = 2e-5
# A mark that lies wholly within REMNANT_REACH pixels of the page's lines is what dividing their
# darkness out left of them (where they cross, fade or bend), not writing: a stroke is wider, or
# leaves the line. Closer than a line is to the next: on finely squared paper, a digit lies
# within a few pixels of some line everywhere.
REMNANT_REACH = 2.0
# A mark is ink only if its darkness level (the LEVEL_QUANTILE of its pixels' darkness, which a
# few noisy pixels do not raise) is at least LEVEL_SHARE of the darkest mark's. A fine pen's
# straight stroke (a 1) can reach only half the level of its curves and crossings.
LEVEL_QUANTILE = 0.9
LEVEL_SHARE = 0.4
# A stroke's middle is the darkest pixel within STROKE_REACH pixels of it; strokes are brought to
# full strength, but none counts as a stroke that is fainter than FAINTEST of the pen's level.
STROKE_REACH = 3
FAINTEST = 0.3


def looks_like_photo(image: Image.Image) -> bool:
    """Tell whether an L, RGB or RGBA image looks like a photo (see the module's doc)."""
    long, short = max(image.size), min(image.size)
    return image.mode in ("L", "RGB") and long >= PHOTO_SIDE and short >= PHOTO_SHAPE * long


def clean(
    image: Image.Image, corners: np.ndarray | None, beyond: bool = False
) -> Image.Image | None:
    """Return the ink of a photo of paper as an L image of the same size, dark on white.

    ``corners``: the sheet's (``sheet.find_sheet``), None when the paper fills the frame. With
    ``beyond``, only what lies beyond the sheet's edges is kept: the whole frame is read as paper
    (the edge found may be a hard shadow's, with the writing wholly in the shadow), and marks that
    come within CROSSING pixels of the sheet are dropped (they were read, or are its edge's own).
    None when the marks are lighter than what they are on (chalk on a board, white on black): that
    is no paper, and the usual analysis, which takes either polarity, reads it.
    """
    rgb = image.convert("RGB")
    luminance = np.asarray(rgb, dtype=np.float32) @ np.float32([0.299, 0.587, 0.114]) / 255
    inside = sheet.sheet_mask(corners, rgb.size, INSET * min(rgb.size))
    if beyond:
        whole = _read(luminance, np.ones_like(inside))
        return None if whole is None else _ink_image(_apart(whole[0], inside))
    read = _read(luminance, inside)
    if read is None:
        return None
    ink, cut = read
    if cut.any():
        # Writing reached the sheet's edge: either it was cut by the sheet, or the edge is a
        # hard shadow's, which steps as sharply. Read as if the paper filled the frame: when the
        # writing is then kept, and little else is added (a desk's edges and marks would be),
        # the paper went on past that edge.
        whole = _read(luminance, np.ones_like(inside))
        if whole is not None and _continues(whole[0] > 0, cut, inside):
            ink = whole[0]
    return _ink_image(ink)


def _ink_image(ink: np.ndarray) -> Image.Image:
    """Return ink strengths in [0, 1] as an L image, dark on white."""
    return Image.fromarray(np.rint(255 * (1 - np.clip(ink, 0, 1))).astype(np.uint8), "L")


def _apart(ink: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Keep the marks of ``ink`` that come no nearer than CROSSING pixels to the sheet
    (``inside``): what lies along its edge is the edge's own (its rim, a desk's shadow)."""
    labels = label_components(ink > 0)
    if labels.max() < 0:
        return ink
    near = np.zeros(int(labels.max()) + 1, dtype=bool)
    near[labels[square_max(inside, CROSSING) & (labels >= 0)]] = True
    return np.where((labels >= 0) & ~near[labels], ink, 0)


def _continues(whole: np.ndarray, cut: np.ndarray, inside: np.ndarray) -> bool:
    """Tell whether the ink of the whole frame keeps more than CUT_KEPT of the ``cut`` writing,
    and crosses the rim of the sheet (``inside``) only where that writing reaches it: a desk's
    own edge, which would run along the rim, is not ink there."""
    if np.count_nonzero(whole & cut) <= CUT_KEPT * np.count_nonzero(cut):
        return False
    rim = ~inside & square_max(inside, 1)
    return not (whole & rim & ~square_max(cut, CROSSING)).any()


def _read(luminance: np.ndarray, inside: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Return the ink where ``inside`` (the sheet) is true, and where marks that would be writing
    were dropped for reaching its edge; None if the marks are lighter than their ground."""
    height, width = luminance.shape
    # The edge of what is read: just outside the sheet, or within EDGE_BAND of the frame's edge.
    outside = ~inside
    outside[1:] |= ~inside[:-1]
    outside[:-1] |= ~inside[1:]
    outside[:, 1:] |= ~inside[:, :-1]
    outside[:, :-1] |= ~inside[:, 1:]
    frame = np.zeros_like(inside)
    band = max(1, round(EDGE_BAND * min(width, height)))
    frame[:band] = frame[-band:] = True
    frame[:, :band] = frame[:, -band:] = True
    light = illumination.paper_light(luminance, inside)
    dark, noise = illumination.darkness(luminance, light, inside)
    if _lighter(dark, inside):
        return None
    lines = rules.find_lines(dark, noise, inside)
    dark = rules.remove_lines(dark, lines)
    on_lines = rules.along_lines(dark.shape, lines, REMNANT_REACH)
    local = np.maximum(illumination.local_noise(dark, inside), noise)
    return _marks(dark, inside, frame, outside & ~frame, (noise, local), on_lines)


def analysis_factor(clean_image: Image.Image, factor: int, detail: int) -> int:
    """Return the reduction at which to look for the ink of a cleaned photo: ``factor``, or less
    if the ink would then span fewer than ``detail`` pixels (small writing in a large photo)."""
    ink = np.asarray(clean_image) < 255
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return factor
    span = max(int(rows[-1] - rows[0]), int(columns[-1] - columns[0])) + 1
    return max(1, min(factor, span // detail))


def _lighter(dark: np.ndarray, inside: np.ndarray) -> bool:
    """Tell whether the marks are lighter than their ground: what lies more than MARK beyond the
    paper's level weighs LIGHTER times as much on the light side as on the dark."""
    sample = dark[inside] if inside.any() else dark.ravel()
    sample = sample[:: max(1, sample.size // illumination.SAMPLES)]
    darker = float(np.clip(sample - MARK, 0, None).sum())
    lighter = float(np.clip(-sample - MARK, 0, None).sum())
    return lighter > LIGHTER * darker


def _marks(
    dark: np.ndarray,
    inside: np.ndarray,
    frame: np.ndarray,
    sheet_edge: np.ndarray,
    noise: tuple[float, np.ndarray],
    on_lines: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Keep the darkness of the marks inside the sheet that are ink (see the module's doc); also
    return the pixels of the marks that would be ink but reach the sheet's edge (not the frame's).

    ``noise``: the paper's, and the noise where each pixel is (at least the paper's). A mark must
    stand out of the noise where it is somewhere (a desk's grain or a shadow's noise does not);
    it is followed as far as it stands out of the paper's (a faint, thin stroke in a noisy shadow
    is kept whole).
    """
    paper_noise, local_noise = noise
    weak = inside & (dark >= max(LOW * paper_noise, LOW_FLOOR))
    labels = label_components(weak)
    if labels.max() < 0:
        return np.zeros_like(dark), np.zeros(dark.shape, dtype=bool)
    keep = np.zeros(int(labels.max()) + 1, dtype=bool)
    keep[labels[weak & (dark >= np.maximum(HIGH * local_noise, HIGH_FLOOR))]] = True
    # Specks: the noise's, the paper's, the dust's.
    sizes = np.bincount(labels[weak], minlength=keep.size)
    keep &= sizes >= SPECK * dark.size
    # What is left of the page's lines where their darkness was divided out: marks that lie
    # wholly along them. Writing crosses them, or leaves them.
    keep &= np.bincount(labels[weak & on_lines], minlength=keep.size) < sizes
    # Marks that reach the edge of what is read: the desk, the sheet's or a shadow's rim.
    at_frame = np.zeros_like(keep)
    at_frame[labels[frame & weak]] = True
    at_sheet = np.zeros_like(keep)
    at_sheet[labels[sheet_edge & weak]] = True
    cut = keep & at_sheet & ~at_frame
    if cut.any():
        # A mark lying mostly along the sheet's edge is the edge's own (its rim, a shadow at its
        # border), not writing that crosses it.
        near = weak & square_max(sheet_edge, CROSSING)
        along = np.bincount(labels[near], minlength=keep.size)
        cut &= along <= CUT_KEPT * np.bincount(labels[weak], minlength=keep.size)
    keep &= ~at_frame & ~at_sheet
    # Marks far fainter than the darkest are what the light's estimate left: one pen wrote all.
    level = _levels(labels[weak], dark[weak], keep.size)
    pen = float(level[keep].max(initial=0.0))
    dark_enough = level >= LEVEL_SHARE * pen
    keep &= dark_enough
    cut &= dark_enough
    chosen = np.zeros(dark.shape, dtype=bool)
    chosen[weak] = keep[labels[weak]]
    dropped = np.zeros(dark.shape, dtype=bool)
    dropped[weak] = cut[labels[weak]]
    return _even_strokes(np.where(chosen, dark, 0), pen), dropped


def _even_strokes(ink: np.ndarray, pen: float) -> np.ndarray:
    """Bring every stroke's middle to full strength, keeping its profile across it.

    A thin or blurred stroke, or one in a shadow's noise, is fainter than the rest of the same
    pen's writing; the analysis that follows measures strokes against the writing's darkest, and
    would lose it. Each pixel is divided by the darkest pixel within STROKE_REACH of it (a stroke's
    middle, for its edges), or by FAINTEST of the pen's level if that is darker.
    """
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return ink
    top, bottom = max(0, rows[0] - STROKE_REACH), rows[-1] + STROKE_REACH + 1
    left, right = max(0, columns[0] - STROKE_REACH), columns[-1] + STROKE_REACH + 1
    part = ink[top:bottom, left:right]
    near = square_max(part, STROKE_REACH)
    even = ink.copy()
    even[top:bottom, left:right] = np.clip(part / np.maximum(near, FAINTEST * pen), 0, 1)
    return even


def _levels(labels: np.ndarray, values: np.ndarray, count: int) -> np.ndarray:
    """Return, for each label, the LEVEL_QUANTILE of its ``values``."""
    order = np.lexsort((values, labels))
    sizes = np.bincount(labels, minlength=count)
    starts = np.cumsum(sizes) - sizes
    ranks = starts + (np.maximum(sizes - 1, 0) * LEVEL_QUANTILE).astype(np.int64)
    return np.where(sizes > 0, values[order][np.minimum(ranks, values.size - 1)], 0.0)

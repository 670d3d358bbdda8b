"""Redo MNIST's own normalisation on any drawing, scan or photo (Pillow + NumPy only).

Ink is separated from the background whatever its polarity, cropped, brought to MNIST's stroke
width, fitted into 20x20 keeping the aspect ratio, and centred by centre of mass in 28x28.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops

from digits.box import Box
from digits.errors import NothingDrawn
from digits.imaging.decoding import WORK_SIDE
from digits.vision import photo, sheet
from digits.vision.components import label_components
from digits.vision.ink import digit_ink
from digits.vision.windows import square_max

SIZE = 28
BOX = 20
# The digit is looked for on a copy at most ANALYSIS_SIDE pixels per side. If it spans fewer than
# DETAIL pixels there while the image was reduced (a small digit in a large photo), its
# neighbourhood, MARGIN of its size on every side, is analysed again from the full-size image.
ANALYSIS_SIDE = 160
DETAIL = 48
MARGIN = 0.25
# MNIST strokes are about a tenth of the digit's longer side: the 2A/P width of MNIST training
# digits redrawn at STROKE_SIDE has median 0.096, 5th percentile 0.065, 95th 0.158 of that side.
# Strokes outside that range are thickened or thinned to the median before the reduction to 20x20.
STROKE_RATIO = 0.096
THIN_RATIO = 0.065
THICK_RATIO = 0.16
STROKE_SIDE = 80
# Ink at least STROKE_INK of the digit's full strength is stroke; fainter ink, down to FAINT_INK,
# is stroke too where it joins a stroke (hysteresis), so that a stroke which fades (a light touch
# of the pen, a thin stroke of a low-resolution digit enlarged) is not cut out of the digit.
STROKE_INK = 0.5
FAINT_INK = 0.2


@dataclass(frozen=True)
class Analysis:
    """An image's ink found on a reduced copy, and how its pixels map back to the image's."""

    work: Image.Image  # the image brought to at most WORK_SIDE per side
    work_factor: int  # image pixels per work pixel
    factor: int  # work pixels per pixel of ``ink``
    ink: np.ndarray  # ink strength in [0, 1], specks dropped
    photo: bool = False  # the ink of a photo of paper (photo.clean), not of a drawing or a scan
    # A photo read inside a sheet found in the frame: how many of the sheet's sides lie within it.
    sheet_sides: int = 0


def to_mnist(image: Image.Image) -> np.ndarray:
    """Return the uint8 (28, 28) white-on-black MNIST-style image of the digit in ``image``.

    The digit is found on a copy reduced to ANALYSIS_SIDE; only a digit too small there for its
    shape to survive is analysed again, from its own neighbourhood in the full-size image.
    """
    return digit_of(analyse(image))[0]


def analyse(image: Image.Image, beyond_sheet: bool = False) -> Analysis:
    """Find the ink of ``image`` on a copy at most ANALYSIS_SIDE pixels per side.

    A photo is read inside the sheet of paper found in it or, with ``beyond_sheet``, only beyond
    that sheet's edges (photo.clean); NothingDrawn then if there is no such sheet and paper.
    """
    eight_bit = _eight_bit(image)
    work_factor = _reduction(eight_bit, WORK_SIDE)
    image = _reduce(eight_bit, WORK_SIDE)
    factor = _reduction(image, ANALYSIS_SIDE)
    corners, cleaned = None, None
    if photo.looks_like_photo(eight_bit):
        corners = sheet.find_sheet(image)
        if beyond_sheet and corners is None:
            raise NothingDrawn("no sheet found within the photo")
        cleaned = photo.clean(image, corners, beyond=beyond_sheet)
    if beyond_sheet and cleaned is None:
        raise NothingDrawn("no paper beyond a sheet found in the photo")
    if cleaned is not None:
        # The ink of a photo of paper, dark on white: the page's edges, light and lines gone;
        # small writing is looked for at a finer scale, where its strokes do not fade away.
        image = cleaned
        factor = photo.analysis_factor(image, factor, DETAIL)
    try:
        ink = digit_ink(reduce_by(image, factor))
    except NothingDrawn:
        if factor == 1:
            raise
        # Reduction can fade a digit of a few thin strokes into specks: look at every pixel.
        factor = 1
        ink = digit_ink(image)
    sides = sheet.sides_within(corners, image.size) if cleaned is not None else 0
    return Analysis(
        work=image,
        work_factor=work_factor,
        factor=factor,
        ink=ink,
        photo=cleaned is not None,
        sheet_sides=sides,
    )


def digit_of(analysis: Analysis) -> tuple[np.ndarray, Box]:
    """Return the MNIST-style image of all the ink of ``analysis`` and its box in work pixels."""
    image, factor, ink = analysis.work, analysis.factor, analysis.ink
    bounds = ink_bounds(ink)
    box = bounds.scaled(factor, factor)
    side = max(bounds.width, bounds.height)
    if factor > 1 and side < DETAIL:
        margin = MARGIN * side + 1
        near = Box.from_edges(
            max(0, int((bounds.x - margin) * factor)),
            max(0, int((bounds.y - margin) * factor)),
            min(image.width, int((bounds.right + margin) * factor) + 1),
            min(image.height, int((bounds.bottom + margin) * factor) + 1),
        )
        neighbourhood = image.crop((near.x, near.y, near.right, near.bottom))
        detail = _reduction(neighbourhood, ANALYSIS_SIDE)
        ink = digit_ink(_reduce(neighbourhood, ANALYSIS_SIDE))
        bounds = ink_bounds(ink)
        box = bounds.scaled(detail, detail).offset(near.x, near.y)
    return crop_to_mnist(ink[bounds.y : bounds.bottom, bounds.x : bounds.right]), box


def crop_to_mnist(crop: np.ndarray) -> np.ndarray:
    """Return the uint8 (28, 28) MNIST-style image of a digit's ink cropped to its bounds."""
    if max(crop.shape) == BOX:
        # Already MNIST-sized (an MNIST digit, or a 28x28 export): keep its own antialiasing.
        return _centre(crop / max(float(crop.max()), 1e-6))
    shape = _normalise_stroke(_shape(crop))
    if not shape.any():
        raise NothingDrawn("no digit found: only specks")
    return _centre(_fit_box(shape))


def reduce_by(image: Image.Image, factor: int) -> Image.Image:
    """Reduce an L, RGB, RGBA or La image by a whole ``factor`` (RGBA comes back as La or L).

    A reduced RGBA image is its grey premultiplied by its alpha, and its alpha: averaging
    premultiplied pixels keeps fully transparent ones, whatever colour they store, from tinting
    the edges of the strokes. Ink is read from grey alone (ink.luminance, with the same weights as
    Pillow's L), so one channel is premultiplied instead of three, and each is reduced before the
    two are merged: the full-size copies take 3 bytes a pixel beside the image's 4. An RGBA image
    that is opaque throughout (the page's own canvas export) comes back as L: premultiplying by
    an alpha of 255 changes nothing, and ink.luminance reads the two alike.
    """
    if factor == 1:
        return image
    if image.mode != "RGBA":
        return image.reduce(factor)
    alpha = image.getchannel("A")
    if alpha.getextrema() == (255, 255):
        return image.convert("L").reduce(factor)
    grey = ImageChops.multiply(image.convert("L"), alpha)
    return Image.merge("La", (grey.reduce(factor), alpha.reduce(factor)))


def preview_png(image28: np.ndarray) -> bytes:
    """Return PNG bytes of a uint8 (28, 28) image."""
    buffer = io.BytesIO()
    # zlib's fastest level: 784 pixels gain next to nothing from more effort.
    image = Image.fromarray(np.asarray(image28, dtype=np.uint8), mode="L")
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def ink_bounds(ink: np.ndarray) -> Box:
    """Return the box of the nonzero part of ``ink``, in its own pixels."""
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    return Box.from_edges(int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)


def _eight_bit(image: Image.Image) -> Image.Image:
    """Bring any mode to L, RGB or RGBA at 8 bits."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I") and values.max() > 255 else 255.0
        if image.mode == "F":
            top = max(float(values.max()), 1.0)
        image = Image.fromarray(np.clip(values / top * 255 + 0.5, 0, 255).astype(np.uint8))
    elif image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif image.mode in ("LA", "PA", "La", "RGBa"):
        image = image.convert("RGBA")
    elif image.mode == "1":
        image = image.convert("L")
    elif image.mode not in ("L", "RGB", "RGBA"):
        image = image.convert("RGB")
    return image


def _reduce(image: Image.Image, side: int) -> Image.Image:
    """Reduce an L, RGB, RGBA or La image by a whole factor to at most ``side`` pixels per side.

    A reduced RGBA image comes back as La, its grey premultiplied, or as L if it is opaque (see
    reduce_by).
    """
    return reduce_by(image, _reduction(image, side))


def _reduction(image: Image.Image, side: int) -> int:
    """Return the whole factor by which _reduce brings ``image`` to at most ``side`` per side."""
    return -(-max(image.size) // side)


def _stroke_width(solid: np.ndarray) -> float:
    """Estimate the stroke width of a binary shape as 2 * area / perimeter."""
    area = np.count_nonzero(solid)
    # Changes between neighbours, the outside counting as background: ink on the border is edge.
    inner = np.count_nonzero(solid[1:] != solid[:-1]) + np.count_nonzero(
        solid[:, 1:] != solid[:, :-1]
    )
    edges = (solid[0], solid[-1], solid[:, 0], solid[:, -1])
    border = sum(np.count_nonzero(edge) for edge in edges)
    return 2 * int(area) / max(int(inner + border), 1)


def _shape(crop: np.ndarray) -> np.ndarray:
    """Return the digit as a bilevel shape, STROKE_SIDE pixels on its longer side.

    NIST's digits were bilevel scans that MNIST reduced with antialiasing; redoing that from a
    clean high-resolution shape gives MNIST's solid strokes and soft edges whatever the source.
    """
    side = max(crop.shape)
    scale = STROKE_SIDE / side
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    if side <= STROKE_SIDE:
        # Small or low-resolution digits: interpolate smoothly, then take the strokes from that.
        return _solid(_resize(crop, size, Image.Resampling.BICUBIC))
    solid = _solid(crop)
    width = _stroke_width(solid) * scale
    coverage = _resize(solid.astype(np.float32), size, Image.Resampling.BOX)
    # A stroke thinner than one output pixel still covers the pixels it crosses.
    return coverage > 0.05 if width < 1.5 else coverage >= 0.5


def _solid(ink: np.ndarray) -> np.ndarray:
    """Return the stroke pixels of ``ink``: STROKE_INK and over, and the FAINT_INK and over that
    join them (8-connected)."""
    stroke, faint = ink >= STROKE_INK, ink >= FAINT_INK
    if not (faint & ~square_max(stroke, 1)).any():
        # Most often faint ink is only the strokes' antialiased edge, touching them: all joins.
        return faint
    labels = label_components(faint)
    # Label -1 (background) indexes slot 0, which stays False.
    joined = np.zeros(int(labels.max()) + 2, dtype=bool)
    joined[labels[stroke] + 1] = True
    return joined[labels + 1]


def _normalise_stroke(shape: np.ndarray) -> np.ndarray:
    """Bring strokes far thinner or thicker than MNIST's to about MNIST's width for their size."""
    side = max(shape.shape)
    target = STROKE_RATIO * side
    width = _stroke_width(shape)
    if width < THIN_RATIO * side:
        shape = np.pad(shape, STROKE_SIDE // 8)
        for step in range(STROKE_SIDE // 8):
            if width >= target:
                break
            shape = _morph(shape, grow=True, square=step % 2 == 1)
            width = _stroke_width(shape)
        return shape
    if width > THICK_RATIO * side:
        area = int(shape.sum())
        for step in range(STROKE_SIDE // 8):
            thinner = _morph(shape, grow=False, square=step % 2 == 1)
            # Never erode a stroke away: stop before most of the ink is gone.
            if width <= target or thinner.sum() < area / 3:
                break
            shape = thinner
            width = _stroke_width(shape)
    return shape


def _morph(shape: np.ndarray, *, grow: bool, square: bool) -> np.ndarray:
    """Dilate (grow) or erode a binary shape by one pixel; alternating 3x3 square and cross
    elements grows an octagon, a fair stand-in for a round pen."""
    padded = np.pad(shape, 1)
    height, width = shape.shape
    out = shape.copy()
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if (dy or dx) and (square or not (dy and dx)):
                shifted = padded[1 + dy : 1 + dy + height, 1 + dx : 1 + dx + width]
                if grow:
                    out |= shifted
                else:
                    out &= shifted
    return out


def _resize(values: np.ndarray, size: tuple[int, int], method: Image.Resampling) -> np.ndarray:
    image = Image.fromarray(np.ascontiguousarray(values, dtype=np.float32), mode="F")
    return np.asarray(image.resize(size, method), dtype=np.float32)


def _fit_box(shape: np.ndarray) -> np.ndarray:
    """Reduce the shape so its longer side is 20 pixels, keeping the aspect ratio (antialiased)."""
    bounds = ink_bounds(shape)
    shape = shape[bounds.y : bounds.bottom, bounds.x : bounds.right]
    height, width = shape.shape
    scale = BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.clip(_resize(shape, size, Image.Resampling.BOX), 0, 1)


def _centre(digit: np.ndarray) -> np.ndarray:
    """Place the digit in 28x28 so that its centre of mass lands on the centre pixel."""
    height, width = digit.shape
    total = float(digit.sum())
    row_mass = float((digit.sum(axis=1) * np.arange(height)).sum()) / total
    col_mass = float((digit.sum(axis=0) * np.arange(width)).sum()) / total
    top = min(max(round(SIZE / 2 - row_mass), 0), SIZE - height)
    left = min(max(round(SIZE / 2 - col_mass), 0), SIZE - width)
    out = np.zeros((SIZE, SIZE), dtype=np.float32)
    out[top : top + height, left : left + width] = digit
    return np.clip(np.rint(out * 255), 0, 255).astype(np.uint8)

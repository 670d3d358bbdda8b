"""Phone photos of a handwritten digit or number on paper, with known truth, for the photo bench.

Each sample is a JPEG as a phone sends it, the number it shows, the factors drawn for it, and where
the sheet's corners and the writing are in the upright image. Factors switch on one by one or all
together (``Factors``); named sets (``SETS``) choose them. The handwriting is MNIST *test* digits
of one ``bench.heldout`` split, redrawn with a pen (bench/photo_writing.py), on paper
(bench/photo_paper.py), seen through a phone (bench/photo_geometry.py, bench/photo_camera.py).

A set is deterministic for (split, n, set): sample ``i`` draws each factor from its own stream,
seeded by the split's seed, ``i`` and the factor: sets of one kind of content (single digits, or
numbers) show the same MNIST digits, and two sets differ only by the factors that differ between
them, which makes their figures a paired comparison.
``python -m bench.photos`` runs the bench (bench/photo_runner.py).
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from bench import heldout, photo_camera, photo_paper, photo_writing
from bench.photo_geometry import (
    Pose,
    bounding_box,
    inside,
    pillow_coefficients,
    project,
    rectangle,
)
from model import mnist

BULK_FRAME = (1600, 1200)
FULL_FRAME = (4032, 3024)
# Digit height as a share of the frame's height: as usually written, small, and all together.
PLAIN_HEIGHTS = (0.15, 0.30)
SMALL_HEIGHTS = (0.05, 0.12)
ALL_HEIGHTS = (0.12, 0.35)
# The sheet's share of the frame when the desk shows around it.
SHEET_SHARE = (0.5, 0.85)
# A sheet that fills the frame is drawn this much larger than the frame, and larger still if a
# tilt would show its edge.
FILL_OVERSIZE = 1.3
# Physical height of the writing when the sheet fills the frame, in millimetres: it sets how far
# apart the rules and squares appear.
WRITING_MM = (10.0, 40.0)
MAX_ROTATION = 5.0
MAX_TILT = 10.0
# Writing stays this share of the frame away from its edges.
EDGE = 0.04


@dataclass(frozen=True)
class Factors:
    """What varies in a set; a factor switched off leaves the photo as plain as a phone makes it."""

    papers: tuple[str, ...] = ("plain",)
    paper_tone: bool = False
    pen: bool = False
    shadow: bool = False
    vignette: bool = False
    colour_cast: bool = False
    tilt: bool = False
    rotation: bool = False
    blur: bool = False
    noise: bool = False
    jpeg: bool = False
    exif: bool = False
    desk: bool = False
    heights: tuple[float, float] = PLAIN_HEIGHTS
    digits: tuple[int, int] = (1, 1)
    full_size: bool = False
    # False: the sheet is photographed blank, its writing placed (so the rest of the photo is the
    # written set's) but not written; what the function should answer is nothing.
    written: bool = True


PLAIN = Factors()
ALL = Factors(
    papers=photo_paper.PAPERS,
    paper_tone=True,
    pen=True,
    shadow=True,
    vignette=True,
    colour_cast=True,
    tilt=True,
    rotation=True,
    blur=True,
    noise=True,
    jpeg=True,
    exif=True,
    heights=ALL_HEIGHTS,
)
# A photo as one is taken at a desk: pen on ruled paper lying on the desk, in a shadow, turned and
# tilted a little, with sensor noise, as a JPEG. Not a set of the bench; the tests' photos.
RULED_ON_DESK = Factors(
    papers=("ruled",),
    shadow=True,
    tilt=True,
    rotation=True,
    desk=True,
    jpeg=True,
    noise=True,
    heights=(0.2, 0.3),
)
SETS: dict[str, Factors] = {
    "plain": PLAIN,
    "paper": replace(PLAIN, papers=photo_paper.PAPERS, paper_tone=True),
    "ruled": replace(PLAIN, papers=("ruled",)),
    "grid": replace(PLAIN, papers=("grid",)),
    "sticky": replace(PLAIN, papers=("sticky",)),
    "pen": replace(PLAIN, pen=True),
    "shadow": replace(PLAIN, shadow=True),
    "vignette": replace(PLAIN, vignette=True),
    "colour_cast": replace(PLAIN, colour_cast=True),
    "tilt": replace(PLAIN, tilt=True),
    "rotation": replace(PLAIN, rotation=True),
    "blur": replace(PLAIN, blur=True),
    "noise": replace(PLAIN, noise=True),
    "jpeg": replace(PLAIN, jpeg=True),
    "exif": replace(PLAIN, exif=True),
    "small": replace(PLAIN, heights=SMALL_HEIGHTS),
    "desk": replace(PLAIN, desk=True),
    "all_fills": ALL,
    "all_desk": replace(ALL, desk=True),
    "all_small": replace(ALL, heights=SMALL_HEIGHTS),
    "numbers_fills": replace(ALL, digits=(2, 6)),
    "numbers_desk": replace(ALL, digits=(2, 6), desk=True),
    "full_size": replace(ALL, full_size=True),
    "blank_fills": replace(ALL, written=False),
    "blank_desk": replace(ALL, desk=True, written=False),
}
# MNIST's test images and labels, or a stand-in of the same shape (tests use a synthetic one).
Source = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class PhotoSample:
    """One photo: the JPEG as sent, the number it shows, and what was drawn to make it."""

    data: bytes
    number: str
    factors: dict
    # Upright image pixels (as EXIF turns it), clockwise from the sheet's top left; outside the
    # frame when the sheet fills it.
    sheet_corners: tuple[tuple[float, float], ...] = ()
    writing_box: tuple[int, int, int, int] = (0, 0, 0, 0)  # x, y, width, height, upright pixels
    mnist_rows: tuple[int, ...] = ()


def generate(split: str, n: int, name: str, source: Source | None = None) -> list[PhotoSample]:
    """Return the first ``n`` photos of set ``name`` drawn from the MNIST rows of ``split``."""
    factors = SETS[name]
    side = heldout.split(split)
    source = source if source is not None else mnist_test()
    return [photo(side, index, factors, source) for index in range(n)]


@functools.cache
def mnist_test() -> Source:
    """Return MNIST's test images and labels (from MNIST_DIR), read once."""
    data = mnist.load()
    return data.test_images, data.test_labels


def _streams(side: heldout.Split, index: int, factors: Factors):
    content = factors.digits[1]

    def stream(purpose: str) -> np.random.Generator:
        return np.random.default_rng([side.seed, content, index, zlib.crc32(purpose.encode())])

    return stream


def photo(side: heldout.Split, index: int, factors: Factors, source: Source) -> PhotoSample:
    """Return sample ``index`` of a set with ``factors``, from ``side``'s rows of ``source``."""
    stream = _streams(side, index, factors)
    number, rows = _content(side, factors, source, stream("content"))
    frame, orientation = _frame(factors, stream("frame"))
    pose = _angles(factors, stream("pose"))
    paper = photo_paper.choose_paper(factors.papers, factors.paper_tone, stream("paper"))
    pen, width, opacity = _pen(factors, stream("pen"))
    drawn: dict = {"frame": list(frame), "orientation": orientation, "paper": paper.kind}
    drawn |= {"paper_colour": paper.colour_name, "pen": pen, "pen_width": round(width, 4)}
    drawn |= {"rotation": round(pose.rotation, 2), "tilt": round(pose.tilt, 2)}

    place = stream("place")
    if factors.desk:
        sheet_size, px_per_mm, room = _sheet_on_desk(paper, frame, pose, place)
    else:
        sheet_size = (int(FILL_OVERSIZE * frame[0]), int(FILL_OVERSIZE * frame[1]))
        px_per_mm, room = 0.0, (0.85 * frame[0], 0.7 * frame[1])
    height = place.uniform(*factors.heights) * frame[1]
    glyphs = [
        photo_writing.pen_glyph(source[0][row], _glyph_height(height, len(rows), place), width)
        for row in rows
    ]
    line, gap = photo_writing.written_line(glyphs, place)
    line = _fit(line, room)
    drawn |= {"digit_height": round(line.shape[0] / frame[1], 4), "gap": round(gap, 3)}
    if factors.desk:
        pose, top_left = _on_desk(pose, sheet_size, line, frame, place)
    else:
        px_per_mm = line.shape[0] / place.uniform(*WRITING_MM)
        pose, top_left, sheet_size = _filling(pose, sheet_size, line, frame, place)

    sheet = photo_paper.draw_sheet(paper, sheet_size, px_per_mm, stream("sheet"))
    if factors.written:
        photo_writing.write_on(sheet, line, top_left, photo_writing.PENS[pen], opacity)
    else:
        number = ""
    corners = project(rectangle(*sheet_size), pose, frame)
    coefficients = pillow_coefficients(rectangle(*sheet_size), corners)
    image = sheet.transform(
        frame, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BILINEAR
    )
    del sheet
    if factors.desk:
        desk, drawn["desk"] = photo_paper.draw_desk(frame, stream("desk"))
        mask = Image.new("L", sheet_size, 255).transform(
            frame, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BILINEAR
        )
        image = Image.composite(image, desk, mask)
        drawn["sheet_share"] = round(_area(corners) / (frame[0] * frame[1]), 3)
    image, drawn = _camera(image, factors, stream, drawn)
    quality = int(stream("codec").integers(*photo_camera.JPEG_QUALITY, endpoint=True))
    quality = quality if factors.jpeg else photo_camera.PLAIN_QUALITY
    drawn["jpeg_quality"] = quality
    writing = project(rectangle(line.shape[1], line.shape[0], *top_left), pose, frame)
    return PhotoSample(
        data=photo_camera.encode(image, quality, orientation),
        number=number,
        factors=drawn,
        sheet_corners=tuple((round(float(x), 1), round(float(y), 1)) for x, y in corners),
        writing_box=bounding_box(writing),
        mnist_rows=tuple(rows),
    )


def _content(
    side: heldout.Split, factors: Factors, source: Source, rng: np.random.Generator
) -> tuple[str, list[int]]:
    """Draw the number and, for each of its digits, a row of the split with that label."""
    rows = np.arange(len(source[1]))[side.mnist_rows]
    labels = source[1][rows]
    count = int(rng.integers(factors.digits[0], factors.digits[1], endpoint=True))
    number = "".join(str(int(d)) for d in rng.integers(0, 10, count))
    return number, [int(rng.choice(rows[labels == int(c)])) for c in number]


def _frame(factors: Factors, rng: np.random.Generator) -> tuple[tuple[int, int], int]:
    """Draw the upright frame's size and the EXIF orientation its pixels are stored with."""
    long, short = FULL_FRAME if factors.full_size else BULK_FRAME
    orientation = int(rng.choice(list(photo_camera.STORED_AS))) if factors.exif else 1
    # A phone held upright stores its landscape sensor's pixels turned a quarter (6 or 8).
    portrait = orientation in (6, 8) if factors.exif else rng.random() < 0.5
    return ((short, long) if portrait else (long, short)), orientation


def _angles(factors: Factors, rng: np.random.Generator) -> Pose:
    # All three are drawn whichever are used: a set with both keeps each set's one angle.
    rotation, tilt, direction = rng.uniform([-MAX_ROTATION, 0, 0], [MAX_ROTATION, MAX_TILT, 360])
    rotation = rotation if factors.rotation else 0.0
    tilt = tilt if factors.tilt else 0.0
    return Pose((0, 0), (0, 0), float(rotation), float(tilt), float(direction))


def _pen(factors: Factors, rng: np.random.Generator) -> tuple[str, float, float]:
    if not factors.pen:
        return photo_writing.PLAIN_PEN, photo_writing.PLAIN_WIDTH, 1.0
    name = list(photo_writing.PENS)[int(rng.integers(len(photo_writing.PENS)))]
    width = float(np.exp(rng.uniform(*np.log(photo_writing.WIDTH_RANGE))))
    return name, width, float(rng.uniform(0.8, 1.0))


def _glyph_height(height: float, count: int, rng: np.random.Generator) -> int:
    # A number's digits differ a little in size.
    return max(8, round(height * (rng.uniform(0.9, 1.05) if count > 1 else 1.0)))


def _fit(line: np.ndarray, room: tuple[float, float]) -> np.ndarray:
    """Shrink the written line, if need be, to fit in ``room`` (width, height) pixels."""
    scale = min(1.0, room[0] / line.shape[1], room[1] / line.shape[0])
    if scale >= 1:
        return line
    size = (max(1, round(line.shape[1] * scale)), max(1, round(line.shape[0] * scale)))
    return np.asarray(Image.fromarray(line.astype(np.float32)).resize(size, Image.Resampling.BOX))


def _sheet_on_desk(
    paper: photo_paper.Paper, frame: tuple[int, int], pose: Pose, rng: np.random.Generator
) -> tuple[tuple[int, int], float, tuple[float, float]]:
    """Size a whole sheet to cover a drawn share of the frame; return it, its scale and room."""
    width_mm, height_mm = paper.size_mm
    # Mostly the sheet lies the way the phone is held.
    if (frame[0] > frame[1]) == (rng.random() < 0.8):
        width_mm, height_mm = height_mm, width_mm
    share = rng.uniform(*SHEET_SHARE)
    px_per_mm = float(np.sqrt(share * frame[0] * frame[1] / (width_mm * height_mm)))
    while True:
        size = (round(width_mm * px_per_mm), round(height_mm * px_per_mm))
        centred = replace(pose, anchor_sheet=(size[0] / 2, size[1] / 2))
        centred = replace(centred, anchor_frame=(frame[0] / 2, frame[1] / 2))
        corners = project(rectangle(*size), centred, frame)
        margin = EDGE * min(frame)
        if corners.min() >= margin and (corners <= np.array(frame) - margin).all():
            return size, px_per_mm, (0.8 * size[0], 0.6 * size[1])
        px_per_mm *= 0.95


def _on_desk(
    pose: Pose,
    sheet_size: tuple[int, int],
    line: np.ndarray,
    frame: tuple[int, int],
    rng: np.random.Generator,
) -> tuple[Pose, tuple[int, int]]:
    """Place the sheet in the frame and the writing on the sheet."""
    centre = np.array(frame) / 2
    pose = replace(pose, anchor_sheet=(sheet_size[0] / 2, sheet_size[1] / 2))
    corners = project(rectangle(*sheet_size), replace(pose, anchor_frame=tuple(centre)), frame)
    margin = EDGE * min(frame)
    slack = np.maximum(0, np.minimum(corners.min(axis=0), frame - corners.max(axis=0)) - margin)
    anchor = centre + rng.uniform(-1, 1, 2) * slack * 0.9
    pose = replace(pose, anchor_frame=(float(anchor[0]), float(anchor[1])))
    free = np.array(sheet_size) - np.array(line.shape[::-1])
    top_left = (rng.uniform(0.1, 0.9, 2) * free).round().astype(int)
    return pose, (int(top_left[0]), int(top_left[1]))


def _filling(
    pose: Pose,
    sheet_size: tuple[int, int],
    line: np.ndarray,
    frame: tuple[int, int],
    rng: np.random.Generator,
) -> tuple[Pose, tuple[int, int], tuple[int, int]]:
    """Place the writing in the frame, on a sheet that covers all of it."""
    half = np.array(line.shape[::-1]) / 2
    centre = np.array(frame) / 2
    writing = rectangle(*(2 * half), *-half)
    seen = project(writing, replace(pose, anchor_frame=tuple(centre)), frame) - centre
    reach = np.abs(seen).max(axis=0) + EDGE * np.array(frame)
    slack = np.maximum(0, centre - reach)
    anchor = centre + rng.uniform(-1, 1, 2) * slack
    while True:
        anchor_sheet = np.array(sheet_size) / 2 + (anchor - centre)
        placed = replace(
            pose,
            anchor_sheet=(float(anchor_sheet[0]), float(anchor_sheet[1])),
            anchor_frame=(float(anchor[0]), float(anchor[1])),
        )
        corners = project(rectangle(*sheet_size), placed, frame)
        if inside(rectangle(*frame), corners).all():
            top_left = (anchor_sheet - half).round().astype(int)
            return placed, (int(top_left[0]), int(top_left[1])), sheet_size
        sheet_size = (int(sheet_size[0] * 1.2), int(sheet_size[1] * 1.2))


def _camera(image: Image.Image, factors: Factors, stream, drawn: dict) -> tuple[Image.Image, dict]:
    """Light the scene and take the photo: shadow, vignette, white balance, blur and noise."""
    field, shaped = photo_camera.light_field(
        image.size, stream("light"), factors.shadow, factors.vignette
    )
    gains = np.ones(3, dtype=np.float32)
    if factors.colour_cast:
        gains, cast = photo_camera.white_balance(stream("cast"))
        shaped |= cast
    if field is not None or factors.colour_cast:
        target = shaped.get("exposure", photo_camera.AUTO_EXPOSURE)
        gains = gains * photo_camera.exposure_gain(image, field, gains, target)
        image = photo_camera.light(image, field, gains)
    if factors.blur:
        image, blurred = photo_camera.blur(image, stream("blur"))
        shaped |= blurred
    if factors.noise:
        image, noise = photo_camera.add_noise(image, stream("noise"))
        shaped |= noise
    return image, drawn | shaped


def _area(corners: np.ndarray) -> float:
    """Return the area of a polygon (shoelace formula)."""
    x, y = corners[:, 0], corners[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


if __name__ == "__main__":
    from bench import photo_runner

    photo_runner.main()

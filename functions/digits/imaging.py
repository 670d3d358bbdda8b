"""Turn uploaded image bytes into the 28x28 MNIST-style image the model sees (Pillow + NumPy only).

``decode_image`` identifies the format from the bytes, refuses oversized images from their header
before any pixel is decoded, and returns the first frame upright. ``to_mnist`` redoes MNIST's own
normalisation on any drawing, scan or photo: ink separated from the background whatever its
polarity, cropped, fitted into 20x20 keeping the aspect ratio, centred by centre of mass in 28x28.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from digits.errors import InvalidImage, NothingDrawn, PayloadTooLarge, UnsupportedMediaType

SIZE = 28
BOX = 20
# Analysis runs on at most this many pixels per side: phone photos are reduced first, which keeps
# time and memory bounded while a digit filling a fair part of the frame keeps plenty of detail.
WORK_SIDE = 1024
# The digit is looked for on a copy at most ANALYSIS_SIDE pixels per side. If it spans fewer than
# DETAIL pixels there while the image was reduced (a small digit in a large photo), its
# neighbourhood, MARGIN of its size on every side, is analysed again from the full-size image.
ANALYSIS_SIDE = 160
DETAIL = 48
MARGIN = 0.25
# Connected components are labelled on a copy reduced to this side (specks only need to be found).
COMPONENT_SIDE = 64
# The smooth background is fitted to block means on a grid at most this many cells per side.
BACKGROUND_CELLS = 24
# MNIST strokes are about a tenth of the digit's longer side: the 2A/P width of MNIST training
# digits redrawn at STROKE_SIDE has median 0.096, 5th percentile 0.065, 95th 0.158 of that side.
# Strokes outside that range are thickened or thinned to the median before the reduction to 20x20.
STROKE_RATIO = 0.096
THIN_RATIO = 0.065
THICK_RATIO = 0.16
STROKE_SIDE = 80
# Pillow's errors for malformed files of the formats accepted here (its plugins raise these,
# wrapped or not, on bad headers, truncated data and corrupt chunks).
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    TypeError,
    KeyError,
    ZeroDivisionError,
    Image.DecompressionBombError,
)


@dataclass(frozen=True)
class ImageType:
    """An accepted image format: Pillow's name, MIME type and the extension used in storage keys."""

    format: str
    content_type: str
    extension: str


PNG = ImageType("PNG", "image/png", "png")
JPEG = ImageType("JPEG", "image/jpeg", "jpg")
WEBP = ImageType("WEBP", "image/webp", "webp")
GIF = ImageType("GIF", "image/gif", "gif")
BMP = ImageType("BMP", "image/bmp", "bmp")
ACCEPTED = (PNG, JPEG, WEBP, GIF, BMP)
ACCEPTED_CONTENT_TYPES = tuple(t.content_type for t in ACCEPTED)

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
    (b"BM", BMP),
)
# Recognised only to say plainly what was sent instead of an image we accept.
_OTHER_SIGNATURES = (
    (b"%PDF", "PDF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"8BPS", "PSD"),
)
_ACCEPTED_NAMES = "PNG, JPEG, WebP, GIF or BMP"


def image_type(data: bytes) -> ImageType:
    """Identify the image format from its leading bytes; raise UnsupportedMediaType otherwise."""
    if not data:
        raise InvalidImage("the image is empty")
    for signature, kind in _SIGNATURES:
        # "BM" alone is too weak a signature (text can start with it): the DIB header size
        # that follows must be one of the known ones.
        if data.startswith(signature) and (kind is not BMP or _bmp_header_known(data)):
            return kind
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    # A body cut short inside the signature is a truncated image, not some other format.
    if len(data) < 12 and any(s.startswith(data) for s, _ in _SIGNATURES if len(data) < len(s)):
        raise InvalidImage("the image is truncated")
    if len(data) < 12 and (b"RIFF".startswith(data[:4]) and b"WEBP".startswith(data[8:12])):
        raise InvalidImage("the image is truncated")
    raise UnsupportedMediaType(f"{_describe(data)} is not supported; send {_ACCEPTED_NAMES}")


def _bmp_header_known(data: bytes) -> bool:
    return len(data) < 18 or int.from_bytes(data[14:18], "little") in (12, 40, 52, 56, 64, 108, 124)


def _describe(data: bytes) -> str:
    for signature, name in _OTHER_SIGNATURES:
        if data.startswith(signature):
            return name
    head = data[:512].lstrip().lower()
    if b"<svg" in head or (head.startswith(b"<?xml") and b"svg" in head):
        return "SVG"
    if head.startswith((b"<!doctype html", b"<html")):
        return "HTML"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif"):
        return "HEIF/AVIF"
    try:
        data[:512].decode("utf-8")
    except UnicodeDecodeError:
        return "this file type"
    return "text"


def decode_image(data: bytes, *, max_pixels: int) -> Image.Image:
    """Decode PNG, JPEG, WebP, GIF or BMP bytes into an upright first frame.

    The pixel count is read from the header before anything is decoded, so a small file that
    declares a huge canvas is refused at once with PayloadTooLarge. JPEGs over twice WORK_SIDE are
    decoded at a reduced scale that keeps at least WORK_SIDE pixels on the longer side.
    """
    kind = image_type(data)
    # Pillow warns above MAX_IMAGE_PIXELS and refuses twice that; staying under its threshold keeps
    # its DecompressionBombWarning from ever being raised for an image this function accepts.
    limit = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
    width, height = _header_size(kind, data)
    _check_pixels(width, height, limit)
    # Pillow reports malformed EXIF (common in camera JPEGs) as UserWarning while it opens the
    # file; the pixels are fine, so those are silenced here rather than logged per request.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        image = _open(data, kind, limit)
        try:
            upright = ImageOps.exif_transpose(image)
        except _DECODE_ERRORS:
            # Unreadable EXIF does not make the pixels unusable; keep them as stored.
            upright = image
    return upright if upright is not None else image


def _open(data: bytes, kind: ImageType, limit: int) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data), formats=[kind.format])
        # A GIF frame may extend the declared screen; Pillow grows the canvas when it opens it.
        _check_pixels(*image.size, limit)
        if kind is JPEG and max(image.size) > 2 * WORK_SIDE:
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale: to_mnist would reduce the photo to
            # WORK_SIDE anyway, and this saves most of the time and memory for camera images.
            scale = WORK_SIDE / max(image.size)
            image.draft(image.mode, (round(image.width * scale), round(image.height * scale)))
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise PayloadTooLarge(f"the image has more than {limit} pixels") from error
    except _DECODE_ERRORS as error:
        raise InvalidImage(f"the {kind.format} image is corrupt or truncated") from error
    return image


def _check_pixels(width: int, height: int, limit: int) -> None:
    if width <= 0 or height <= 0:
        raise InvalidImage("the image has no pixels")
    if width * height > limit:
        raise PayloadTooLarge(
            f"the image is {width}x{height} pixels; at most {limit} pixels are accepted"
        )


def _header_size(kind: ImageType, data: bytes) -> tuple[int, int]:
    """Return (width, height) as declared by the file header, without decoding pixels."""
    try:
        if kind is PNG:
            if data[12:16] != b"IHDR":
                raise InvalidImage("the PNG image has no header chunk")
            return struct.unpack(">II", data[16:24])
        if kind is GIF:
            return _gif_size(data)
        if kind is BMP:
            (header_size,) = struct.unpack("<I", data[14:18])
            if header_size == 12:
                return struct.unpack("<HH", data[18:22])
            width, height = struct.unpack("<ii", data[18:26])
            return abs(width), abs(height)
        if kind is WEBP:
            return _webp_size(data)
        return _jpeg_size(data)
    except (struct.error, IndexError) as error:
        raise InvalidImage(f"the {kind.format} image is truncated") from error


def _gif_size(data: bytes) -> tuple[int, int]:
    width, height, flags = struct.unpack("<HHB", data[6:11])
    # Pillow grows the canvas to the first frame's extent, so that extent counts too.
    at = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    while at < len(data):
        block = data[at]
        if block == 0x2C:
            left, top, frame_width, frame_height = struct.unpack("<HHHH", data[at + 1 : at + 9])
            return max(width, left + frame_width), max(height, top + frame_height)
        if block != 0x21:
            break
        at += 2
        while at < len(data) and data[at]:
            at += data[at] + 1
        at += 1
    return width, height


def _webp_size(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8 ":
        if data[23:26] != b"\x9d\x01\x2a":
            raise InvalidImage("the WEBP image has a corrupt header")
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        if data[20] != 0x2F:
            raise InvalidImage("the WEBP image has a corrupt header")
        (bits,) = struct.unpack("<I", data[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        if len(data) < 30:
            raise IndexError
        return width, height
    raise InvalidImage("the WEBP image has no image chunk")


def _jpeg_size(data: bytes) -> tuple[int, int]:
    at = 2
    while at < len(data):
        if data[at] != 0xFF:
            raise InvalidImage("the JPEG image is corrupt")
        while at < len(data) and data[at] == 0xFF:
            at += 1
        marker = data[at]
        at += 1
        if marker in (0x01, *range(0xD0, 0xD8)):
            continue
        if marker in (0xD9, 0xDA):
            break
        (length,) = struct.unpack(">H", data[at : at + 2])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[at + 3 : at + 7])
            return width, height
        at += length
    raise InvalidImage("the JPEG image has no frame header")


def to_mnist(image: Image.Image) -> np.ndarray:
    """Return the uint8 (28, 28) white-on-black MNIST-style image of the digit in ``image``.

    The digit is found on a copy reduced to ANALYSIS_SIDE; only a digit too small there for its
    shape to survive is analysed again, from its own neighbourhood in the full-size image.
    """
    image = _reduce(_eight_bit(image), WORK_SIDE)
    factor = _reduction(image, ANALYSIS_SIDE)
    try:
        ink = _digit_ink(_reduce(image, ANALYSIS_SIDE))
    except NothingDrawn:
        if factor == 1:
            raise
        # Reduction can fade a digit of a few thin strokes into specks: look at every pixel.
        factor = 1
        ink = _digit_ink(image)
    top, bottom, left, right = _bounds(ink)
    side = max(bottom - top, right - left)
    if factor > 1 and side < DETAIL:
        margin = MARGIN * side + 1
        box = (
            max(0, int((left - margin) * factor)),
            max(0, int((top - margin) * factor)),
            min(image.width, int((right + margin) * factor) + 1),
            min(image.height, int((bottom + margin) * factor) + 1),
        )
        ink = _digit_ink(_reduce(image.crop(box), ANALYSIS_SIDE))
        top, bottom, left, right = _bounds(ink)
    crop = ink[top:bottom, left:right]
    if max(crop.shape) == BOX:
        # Already MNIST-sized (an MNIST digit, or a 28x28 export): keep its own antialiasing.
        return _centre(crop / max(float(crop.max()), 1e-6))
    shape = _normalise_stroke(_shape(crop))
    if not shape.any():
        raise NothingDrawn("no digit found: only specks")
    return _centre(_fit_box(shape))


def preview_png(image28: np.ndarray) -> bytes:
    """Return PNG bytes of a uint8 (28, 28) image."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image28, dtype=np.uint8), mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


def _digit_ink(image: Image.Image) -> np.ndarray:
    """Return the digit's ink strength in [0, 1], specks removed."""
    return _drop_specks(_ink(_luminance(image)))


def _bounds(ink: np.ndarray) -> tuple[int, int, int, int]:
    """Return (top, bottom, left, right), ends exclusive, of the nonzero part of ``ink``."""
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


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
    """Reduce an L, RGB or RGBA image by a whole factor to at most ``side`` pixels per side.

    A reduced RGBA image comes back premultiplied (RGBa): averaging premultiplied pixels keeps
    fully transparent ones, whatever colour they store, from tinting the edges of the strokes.
    """
    factor = _reduction(image, side)
    if factor > 1:
        image = image.convert("RGBa") if image.mode == "RGBA" else image
        image = image.reduce(factor)
    return image


def _reduction(image: Image.Image, side: int) -> int:
    """Return the whole factor by which _reduce brings ``image`` to at most ``side`` per side."""
    return -(-max(image.size) // side)


def _luminance(image: Image.Image) -> np.ndarray:
    """Return luminance in [0, 1]; transparent areas take a colour contrasting with the strokes."""
    pixels = np.asarray(image, dtype=np.float32) / 255
    if image.mode == "L":
        return pixels
    if image.mode == "RGB":
        return pixels @ np.float32([0.299, 0.587, 0.114])
    grey, alpha = pixels[..., :3] @ np.float32([0.299, 0.587, 0.114]), pixels[..., 3]
    if image.mode == "RGBA":
        grey *= alpha  # premultiply, as an RGBa image from _reduce already is
    opacity = float(alpha.sum())
    if opacity < 1:
        raise NothingDrawn("the image is fully transparent")
    # Canvas exports store strokes as opaque pixels on a transparent background whose stored
    # colour is often black; compositing onto a colour opposite to the strokes keeps them visible.
    stroke_tone = float(grey.sum()) / opacity
    backdrop = 1.0 if stroke_tone < 0.5 else 0.0
    return grey + backdrop * (1 - alpha)


def _ink(luminance: np.ndarray) -> np.ndarray:
    """Return ink strength in [0, 1]: deviation from a fitted background, on the ink's side."""
    background = _background(luminance)
    residual = luminance - background
    # Noise is measured on the image's frame, which is background even when a bold digit
    # cropped tightly covers most of the image.
    frame = _frame(residual)
    spread = _quantile(np.abs(frame - _quantile(frame, 0.5)), 0.5) * 1.4826
    noise = max(spread, 1 / 255)
    darker = np.clip(-residual - 3 * noise, 0, None)
    lighter = np.clip(residual - 3 * noise, 0, None)
    signal = -residual if darker.sum() > lighter.sum() else residual
    candidates = signal[signal > max(5 * noise, 0.05)]
    if candidates.size < 4:
        raise NothingDrawn("no digit found: the image is blank")
    level = _quantile(candidates, 0.9)
    if level < max(8 * noise, 0.08):
        raise NothingDrawn("no digit found: the image has too little contrast")
    floor = min(max(4 * noise, 0.05 * level), 0.5 * level)
    return np.clip((signal - floor) / (level - floor), 0, 1).astype(np.float32)


def _background(luminance: np.ndarray) -> np.ndarray:
    """Fit a smooth quadratic surface to the background, ignoring ink as outliers."""
    height, width = luminance.shape
    grid = luminance
    # Block means on a grid of at most BACKGROUND_CELLS cells per side (six coefficients need no
    # more); each axis has its own step so that a long thin image still keeps a cell across.
    step_y, step_x = -(-height // BACKGROUND_CELLS), -(-width // BACKGROUND_CELLS)
    if step_y > 1 or step_x > 1:
        grid = luminance[: height - height % step_y, : width - width % step_x]
        grid = grid.reshape(height // step_y, step_y, width // step_x, step_x).mean(axis=(1, 3))
    gy, gx = np.mgrid[: grid.shape[0], : grid.shape[1]]
    ys = (gy.ravel() + 0.5) * step_y / height - 0.5
    xs = (gx.ravel() + 0.5) * step_x / width - 0.5
    design = np.stack([np.ones_like(xs), xs, ys, xs * xs, xs * ys, ys * ys], axis=1)
    values = grid.ravel().astype(np.float64)
    # Start from the level of the frame, not of the whole image, so that ink covering most of
    # a tight crop cannot pass for the background.
    frame = _frame(grid)
    start = _quantile(frame, 0.5)
    if float(frame.min()) == float(frame.max()):
        # A frame without the least variation is a digital drawing's plain background.
        return np.full(luminance.shape, start, dtype=np.float32)
    spread = 1.4826 * _quantile(np.abs(frame - start), 0.5)
    keep = np.abs(values - start) <= max(2.5 * spread, 1 / 255)
    coefficients = np.zeros(6)
    coefficients[0] = start
    for _ in range(4):
        if keep.sum() < 12:
            break
        kept = design[keep]
        # Normal equations: a 6x6 solve, far cheaper than a general least-squares call.
        coefficients = np.linalg.solve(kept.T @ kept + 1e-9 * np.eye(6), kept.T @ values[keep])
        residual = values - design @ coefficients
        spread = 1.4826 * _quantile(np.abs(residual[keep]), 0.5)
        keep = np.abs(residual) <= max(3 * spread, 2 / 255)
    y = (np.arange(height) + 0.5) / height - 0.5
    x = (np.arange(width) + 0.5) / width - 0.5
    c = coefficients
    surface = (
        c[0]
        + c[1] * x[None, :]
        + c[2] * y[:, None]
        + c[3] * (x * x)[None, :]
        + c[4] * (y[:, None] * x[None, :])
        + c[5] * (y * y)[:, None]
    )
    return surface.astype(np.float32)


def _quantile(values: np.ndarray, q: float) -> float:
    """Return the ``q`` quantile of ``values``, interpolated linearly as np.quantile does.

    np.median and np.percentile import numpy.ma on first use, 15 ms of a cold start, and cost
    several times this one partition per call.
    """
    flat = values.ravel()
    position = q * (flat.size - 1)
    low = int(position)
    high = min(low + 1, flat.size - 1)
    parts = np.partition(flat, (low, high))
    return float(parts[low]) + (float(parts[high]) - float(parts[low])) * (position - low)


def _frame(values: np.ndarray) -> np.ndarray:
    """Return the values in the outer band of an image (about 3% of each side, at least 1 px)."""
    height, width = values.shape
    band_y, band_x = max(1, height // 32), max(1, width // 32)
    band = np.ones(values.shape, dtype=bool)
    band[band_y : height - band_y, band_x : width - band_x] = False
    return values[band]


def _drop_specks(ink: np.ndarray) -> np.ndarray:
    """Zero ink outside the digit: components much smaller than the largest are noise."""
    height, width = ink.shape
    step = max(1, -(-max(height, width) // COMPONENT_SIDE))
    mask = ink > 0
    if step > 1:
        padded = np.zeros((-(-height // step) * step, -(-width // step) * step), dtype=bool)
        padded[:height, :width] = mask
        mask = padded.reshape(padded.shape[0] // step, step, padded.shape[1] // step, step)
        mask = mask.any(axis=(1, 3))
    labels = _label(mask)
    if labels.max() < 0:
        raise NothingDrawn("no digit found: the image is blank")
    # A single component is the digit: nothing to drop.
    cleaned = ink if labels.max() == 0 else _keep_heavy(ink, labels, step)
    if float(cleaned.max()) < 0.5 or int(np.count_nonzero(cleaned > 0.5)) < 3:
        raise NothingDrawn("no digit found: only specks")
    return cleaned


def _keep_heavy(ink: np.ndarray, labels: np.ndarray, step: int) -> np.ndarray:
    """Zero the ink of components with under 5% of the heaviest one's mass."""
    height, width = ink.shape
    small = ink
    if step > 1:
        padded = np.zeros((labels.shape[0] * step, labels.shape[1] * step), dtype=np.float32)
        padded[:height, :width] = ink
        small = padded.reshape(labels.shape[0], step, labels.shape[1], step).sum(axis=(1, 3))
    found = labels >= 0
    mass = np.bincount(labels[found], weights=small[found])
    kept = mass >= 0.05 * mass.max()
    keep = np.zeros(labels.shape, dtype=bool)
    keep[found] = kept[labels[found]]
    if step > 1:
        keep = np.repeat(np.repeat(keep, step, axis=0), step, axis=1)[:height, :width]
    return np.where(keep, ink, 0)


def _label(mask: np.ndarray) -> np.ndarray:
    """Label 8-connected components of ``mask``: compact labels, -1 for background."""
    height, width = mask.shape
    index = np.arange(height * width).reshape(height, width)
    pairs = []
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        a = (slice(0, height - dy), slice(max(0, -dx), width - max(0, dx)))
        b = (slice(dy, height), slice(max(0, dx), width - max(0, -dx) if dx < 0 else width))
        both = mask[a] & mask[b]
        pairs.append((index[a][both], index[b][both]))
    first = np.concatenate([p[0] for p in pairs])
    second = np.concatenate([p[1] for p in pairs])
    parent = index.ravel().copy()
    # Vectorised union-find: hook the larger root under the smaller, then jump pointers.
    while True:
        root_a, root_b = parent[first], parent[second]
        differ = root_a != root_b
        if not differ.any():
            break
        low = np.minimum(root_a[differ], root_b[differ])
        high = np.maximum(root_a[differ], root_b[differ])
        np.minimum.at(parent, high, low)
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
    roots = parent.reshape(height, width)
    labels = np.full((height, width), -1, dtype=np.int64)
    _, compact = np.unique(roots[mask], return_inverse=True)
    labels[mask] = compact
    return labels


def _stroke_width(solid: np.ndarray) -> float:
    """Estimate the stroke width of a binary shape as 2 * area / perimeter."""
    mask = np.pad(solid, 1)
    area = int(mask.sum())
    perimeter = int(np.count_nonzero(np.diff(mask, axis=0))) + int(
        np.count_nonzero(np.diff(mask, axis=1))
    )
    return 2 * area / max(perimeter, 1)


def _shape(crop: np.ndarray) -> np.ndarray:
    """Return the digit as a bilevel shape, STROKE_SIDE pixels on its longer side.

    NIST's digits were bilevel scans that MNIST reduced with antialiasing; redoing that from a
    clean high-resolution shape gives MNIST's solid strokes and soft edges whatever the source.
    """
    side = max(crop.shape)
    scale = STROKE_SIDE / side
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    solid = crop >= 0.5
    if side <= STROKE_SIDE:
        # Small or low-resolution digits: interpolate smoothly, then take the stroke's middle.
        return _resize(crop, size, Image.Resampling.BICUBIC) >= 0.5
    width = _stroke_width(solid) * scale
    coverage = _resize(solid.astype(np.float32), size, Image.Resampling.BOX)
    # A stroke thinner than one output pixel still covers the pixels it crosses.
    return coverage > 0.05 if width < 1.5 else coverage >= 0.5


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
    image = Image.fromarray(values.astype(np.float32), mode="F")
    return np.asarray(image.resize(size, method), dtype=np.float32)


def _fit_box(shape: np.ndarray) -> np.ndarray:
    """Reduce the shape so its longer side is 20 pixels, keeping the aspect ratio (antialiased)."""
    top, bottom, left, right = _bounds(shape)
    shape = shape[top:bottom, left:right]
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
    top = int(np.clip(round(SIZE / 2 - row_mass), 0, SIZE - height))
    left = int(np.clip(round(SIZE / 2 - col_mass), 0, SIZE - width))
    out = np.zeros((SIZE, SIZE), dtype=np.float32)
    out[top : top + height, left : left + width] = digit
    return np.clip(np.rint(out * 255), 0, 255).astype(np.uint8)

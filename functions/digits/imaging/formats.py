"""The one table of accepted image formats, and telling a format from a file's first bytes.

Decoding, the Content-Type check, error messages and the OpenAPI document all read ``ACCEPTED``.
"""

from __future__ import annotations

from dataclasses import dataclass

from digits.errors import InvalidImage, UnsupportedMediaType


@dataclass(frozen=True)
class ImageType:
    """An accepted format: Pillow's name, its MIME types, storage extension and signatures."""

    format: str
    name: str
    content_type: str
    extension: str
    signatures: tuple[bytes, ...]
    # Other MIME types seen in the wild for the same format (browsers, old tools).
    aliases: tuple[str, ...] = ()

    @property
    def content_types(self) -> tuple[str, ...]:
        """Return every MIME type that names this format, the canonical one first."""
        return (self.content_type, *self.aliases)


PNG = ImageType("PNG", "PNG", "image/png", "png", (b"\x89PNG\r\n\x1a\n",))
JPEG = ImageType("JPEG", "JPEG", "image/jpeg", "jpg", (b"\xff\xd8\xff",), ("image/jpg",))
# WebP's signature is RIFF....WEBP: checked apart, as its bytes 4-7 are the file size.
WEBP = ImageType("WEBP", "WebP", "image/webp", "webp", ())
GIF = ImageType("GIF", "GIF", "image/gif", "gif", (b"GIF87a", b"GIF89a"))
BMP = ImageType("BMP", "BMP", "image/bmp", "bmp", (b"BM",), ("image/x-ms-bmp",))
# HEIC (the iPhone's photos) and AVIF are ISO base media files: a box "ftyp" at byte 4 whose brands
# say which, checked apart (``_isobmff``).
HEIF = ImageType("HEIF", "HEIC", "image/heic", "heic", (), ("image/heif",))
AVIF = ImageType("AVIF", "AVIF", "image/avif", "avif", ())
ACCEPTED = (PNG, JPEG, WEBP, HEIF, AVIF, GIF, BMP)
ACCEPTED_CONTENT_TYPES = frozenset(t for kind in ACCEPTED for t in kind.content_types)
ACCEPTED_NAMES = ", ".join(kind.name for kind in ACCEPTED[:-1]) + f" or {ACCEPTED[-1].name}"

# The brands of a HEIF file whose images are HEVC (HEIC), and of an AVIF file (AV1).
HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"})
AVIF_BRANDS = frozenset({b"avif", b"avis"})
# Brands of any HEIF file, whatever its images' coding: libheif decides what it can read.
HEIF_BRANDS = HEIC_BRANDS | {b"mif1", b"msf1"}

# Recognised only to say plainly what was sent instead of an image we accept.
_OTHER_SIGNATURES = (
    (b"\xff\x0a", "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL"),
    (b"%PDF", "PDF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"8BPS", "PSD"),
)
# The DIB header sizes a BMP can have: "BM" alone is too weak a signature (text can start so).
_BMP_HEADER_SIZES = (12, 40, 52, 56, 64, 108, 124)


def image_type(data: bytes) -> ImageType:
    """Identify the image format from its leading bytes; raise UnsupportedMediaType otherwise."""
    if not data:
        raise InvalidImage("the image is empty")
    for kind in ACCEPTED:
        if any(data.startswith(s) for s in kind.signatures) and (
            kind is not BMP or _bmp_header_known(data)
        ):
            return kind
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if len(data) >= 12 and data[4:8] == b"ftyp" and (kind := _isobmff(data)):
        return kind
    # A body cut short inside the signature is a truncated image, not some other format.
    if len(data) < 12 and any(
        s.startswith(data) for kind in ACCEPTED for s in kind.signatures if len(data) < len(s)
    ):
        raise InvalidImage("the image is truncated")
    if len(data) < 12 and (b"RIFF".startswith(data[:4]) and b"WEBP".startswith(data[8:12])):
        raise InvalidImage("the image is truncated")
    if 4 < len(data) < 12 and b"ftyp".startswith(data[4:8]):
        raise InvalidImage("the image is truncated")
    raise UnsupportedMediaType(f"{_describe(data)} is not supported; send {ACCEPTED_NAMES}")


def _isobmff(data: bytes) -> ImageType | None:
    """Return AVIF or HEIF by the brands of an ISO base media file's ftyp box, else None."""
    size = int.from_bytes(data[:4], "big")
    end = min(len(data), size if size >= 16 else 16)
    brands = {data[8:12]} | {data[at : at + 4] for at in range(16, end - 3, 4)}
    if brands & AVIF_BRANDS:
        return AVIF
    return HEIF if brands & HEIF_BRANDS else None


def _bmp_header_known(data: bytes) -> bool:
    return len(data) < 18 or int.from_bytes(data[14:18], "little") in _BMP_HEADER_SIZES


def _describe(data: bytes) -> str:
    for signature, name in _OTHER_SIGNATURES:
        if data.startswith(signature):
            return name
    head = data[:512].lstrip().lower()
    if b"<svg" in head or (head.startswith(b"<?xml") and b"svg" in head):
        return "SVG"
    if head.startswith((b"<!doctype html", b"<html")):
        return "HTML"
    if data[4:8] == b"ftyp":
        return "this ISO media file (a video?)"
    try:
        data[:512].decode("utf-8")
    except UnicodeDecodeError:
        return "this file type"
    return "text"

"""Strip what could identify a person or a place from an image before it is stored; keep its pixels.

Removed: EXIF (GPS position, camera make, model and serial numbers, dates, thumbnails), XMP, IPTC,
ICC-less application data, comments and text chunks. Kept: everything that decides what the pixels
look like (palettes, transparency, colour profiles and gamma, animation control), byte for byte, so
PNG, GIF, BMP and WebP stay pixel-identical and JPEG is not re-encoded at all. An EXIF orientation
other than upright is kept as the only EXIF tag, so the stored image still shows upright.

Each format is rewritten at the level of its own container (PNG chunks, JPEG segments, GIF blocks,
RIFF chunks) because Pillow can only drop metadata by decoding and re-encoding, which would change a
JPEG's pixels. The bytes were already decoded by Pillow when this runs, so a container that does not
parse here is refused as corrupt rather than stored with its metadata.
"""

from __future__ import annotations

import zlib

from PIL import Image

from digits.errors import InvalidImage
from digits.imaging.formats import BMP, GIF, JPEG, PNG, WEBP, ImageType

ORIENTATION_TAG = 0x0112
# PNG chunks that decide how the pixels look; anything else (tEXt, zTXt, iTXt, eXIf, tIME, private
# chunks) is dropped.
PNG_KEPT = frozenset(
    {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT"}
    | {b"bKGD", b"pHYs", b"acTL", b"fcTL", b"fdAT", b"cICP", b"mDCV", b"cLLI"}
)
# WebP chunks likewise: image data, alpha, animation and the colour profile.
WEBP_KEPT = frozenset({b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP"})
WEBP_EXIF_FLAG, WEBP_XMP_FLAG = 0x08, 0x04
# GIF application extensions that only loop an animation.
GIF_KEPT_APPLICATIONS = (b"NETSCAPE2.0", b"ANIMEXTS1.0")


def strip_metadata(data: bytes, kind: ImageType, orientation: int = 1) -> bytes:
    """Return ``data`` without identifying metadata, its pixels unchanged.

    ``orientation``, the EXIF or XMP orientation decoding found (``Decoded.orientation``), is
    kept as the only EXIF tag when it is not upright.
    """
    orientation = orientation if 2 <= orientation <= 8 else 1
    try:
        if kind is PNG:
            return _png(data, orientation)
        if kind is JPEG:
            return _jpeg(data, orientation)
        if kind is WEBP:
            return _webp(data, orientation)
        if kind is GIF:
            return _gif(data)
    except (IndexError, ValueError) as error:
        raise InvalidImage(f"the {kind.format} image's structure is corrupt") from error
    if kind is BMP:
        return data  # BMP has no metadata fields; its optional colour profile is kept
    raise ValueError(f"no metadata rules for {kind.format}")


def _orientation_exif(orientation: int) -> bytes:
    """Return an EXIF block ("Exif\\0\\0" + TIFF) holding nothing but ``orientation``."""
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = orientation
    return exif.tobytes()


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload)
    return len(payload).to_bytes(4, "big") + kind + payload + crc.to_bytes(4, "big")


def _png(data: bytes, orientation: int) -> bytes:
    out, at = [data[:8]], 8
    while at < len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        kind, end = data[at + 4 : at + 8], at + 12 + length
        if end > len(data):
            raise ValueError("PNG chunk runs past the end")
        if kind in PNG_KEPT:
            out.append(data[at:end])
        if kind == b"IHDR" and orientation != 1:
            out.append(_png_chunk(b"eXIf", _orientation_exif(orientation)[6:]))
        at = end
        if kind == b"IEND":
            break  # whatever trails the image is not the image
    return b"".join(out)


def _jpeg(data: bytes, orientation: int) -> bytes:
    out, at = [data[:2]], 2
    while at < len(data):
        if data[at] != 0xFF:
            raise ValueError("JPEG segment does not start with a marker")
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker == 0xD9:  # end of image: anything after it is not this image
            out.append(data[at : at + 2])
            break
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            out.append(data[at : at + 2])
            at += 2
            continue
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        end = at + 2 + length
        if length < 2 or end > len(data):
            raise ValueError("JPEG segment runs past the end")
        segment = data[at:end]
        if marker == 0xDA:  # start of scan: header, then entropy-coded data up to the next marker
            end = _scan_end(data, end)
            out.append(data[at:end])
        elif kept := _jpeg_segment_kept(marker, segment):
            out.append(kept)
        at = end
    if orientation != 1:
        exif = _orientation_exif(orientation)
        # Right after the JFIF header if there is one, else right after the start of the image.
        where = 2 if len(out) > 1 and out[1].startswith(b"\xff\xe0") else 1
        out.insert(where, b"\xff\xe1" + (len(exif) + 2).to_bytes(2, "big") + exif)
    return b"".join(out)


def _jpeg_segment_kept(marker: int, segment: bytes) -> bytes:
    """Return the segment as it is stored, or b"" to drop it."""
    payload = segment[4:]
    if marker == 0xE0 and payload.startswith(b"JFIF\x00") and len(payload) >= 14:
        # Density kept; an embedded thumbnail (which may show what the pixels no longer do) not.
        kept = payload[:12] + b"\x00\x00"
        return b"\xff\xe0" + (len(kept) + 2).to_bytes(2, "big") + kept
    if marker == 0xE2 and payload.startswith(b"ICC_PROFILE\x00"):
        return segment  # the colour profile decides how the pixels look
    if marker == 0xEE and payload.startswith(b"Adobe"):
        return segment  # the colour transform of CMYK/YCCK images
    if 0xE0 <= marker <= 0xEF or marker == 0xFE:
        return b""  # EXIF, XMP, IPTC, MPF, JFXX thumbnails, comments, maker data
    return segment  # tables, frame headers, restart intervals


def _scan_end(data: bytes, at: int) -> int:
    """Return where the entropy-coded data that starts at ``at`` ends (at the next marker)."""
    while True:
        at = data.index(b"\xff", at)
        following = data[at + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            at += 1 if following == 0xFF else 2  # stuffed byte, restart marker, fill
            continue
        return at


def _webp(data: bytes, orientation: int) -> bytes:
    chunks, at = [], 12
    while at + 8 <= len(data):
        kind = data[at : at + 4]
        size = int.from_bytes(data[at + 4 : at + 8], "little")
        end = at + 8 + size + (size & 1)
        if at + 8 + size > len(data):
            raise ValueError("WebP chunk runs past the end")
        if kind == b"VP8X":
            flags = data[at + 8] & ~(WEBP_EXIF_FLAG | WEBP_XMP_FLAG)
            if orientation != 1:
                flags |= WEBP_EXIF_FLAG
            chunks.append(data[at : at + 8] + bytes([flags]) + data[at + 9 : end])
        elif kind in WEBP_KEPT:
            chunks.append(data[at:end])
        at = end
    if orientation != 1:
        if not chunks or chunks[0][:4] != b"VP8X":
            raise ValueError("an oriented WebP without an extended header")
        tiff = _orientation_exif(orientation)[6:]
        chunks.append(b"EXIF" + len(tiff).to_bytes(4, "little") + tiff + b"\x00" * (len(tiff) & 1))
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + len(body).to_bytes(4, "little") + body


def _gif(data: bytes) -> bytes:
    flags = data[10]
    at = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    out = [data[:at]]
    while at < len(data):
        block = data[at]
        if block == 0x3B:  # trailer
            out.append(b"\x3b")
            break
        if block == 0x2C:  # image: descriptor, local colour table, LZW code size, data
            local = data[at + 9]
            start = at
            at += 10 + (3 << ((local & 7) + 1) if local & 0x80 else 0) + 1
            at = _sub_blocks_end(data, at)
            out.append(data[start:at])
            continue
        if block != 0x21:
            raise ValueError("unknown GIF block")
        label, start = data[at + 1], at
        end = _sub_blocks_end(data, at + 2)
        application = data[at + 3 : at + 14] if label == 0xFF else b""
        # Graphic control (0xF9) and plain text (0x01) decide what is shown; loops are kept too.
        if label in (0xF9, 0x01) or application in GIF_KEPT_APPLICATIONS:
            out.append(data[start:end])
        at = end
    return b"".join(out)


def _sub_blocks_end(data: bytes, at: int) -> int:
    """Return where a chain of GIF data sub-blocks starting at ``at`` ends (after its 0 block)."""
    while data[at]:
        at += data[at] + 1
    return at + 1

"""Strip what could identify a person or a place from an image before it is stored; keep its pixels.

Removed: EXIF (GPS position, camera make, model and serial numbers, dates, thumbnails), XMP, IPTC,
ICC-less application data, comments, text chunks, a BMP's linked colour-profile path, and anything
after the image's end. Kept: everything that decides what the pixels look like (palettes,
transparency, colour profiles and gamma, animation control), byte for byte, so PNG, GIF, BMP,
WebP, HEIC and AVIF stay pixel-identical and JPEG is not re-encoded at all. An EXIF (or XMP)
orientation other than upright is kept as the only EXIF tag, so the stored image still shows
upright (a HEIC's or AVIF's is a property of its image, kept with it).

Each format is rewritten at the level of its own container (PNG chunks, JPEG segments, GIF blocks,
RIFF chunks, BMP headers, and a HEIF or AVIF file's items: digits.imaging.isobmff) because Pillow
can only drop metadata by decoding and re-encoding, which would change a JPEG's pixels. Decoding
reads the stripped bytes (digits.imaging.decoding), so what is predicted is what is stored, and
Pillow never parses a sender's EXIF; a container that does not parse here is refused as corrupt
rather than stored with its metadata.
"""

from __future__ import annotations

import re
import struct
import zlib

from PIL import Image

from digits.errors import InvalidImage
from digits.imaging import isobmff
from digits.imaging.formats import AVIF, BMP, GIF, HEIF, JPEG, PNG, WEBP, ImageType

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
# Where an orientation may be said besides EXIF: XMP's tiff:Orientation, in these containers.
PNG_XMP_KEYWORD = b"XML:com.adobe.xmp\x00"
JPEG_XMP_NAMESPACE = b"http://ns.adobe.com/xap/1.0/\x00"
# GIF application extensions that only loop an animation.
GIF_KEPT_APPLICATIONS = (b"NETSCAPE2.0", b"ANIMEXTS1.0")


def strip_metadata(data: bytes, kind: ImageType, orientation: int | None = None) -> bytes:
    """Return ``data`` without identifying metadata, its pixels unchanged.

    The orientation ``data`` declares (its EXIF's, else its XMP's), or ``orientation`` when given,
    is kept as the only EXIF tag when it is not upright.
    """
    try:
        if kind is PNG:
            return _png(data, orientation)
        if kind is JPEG:
            return _jpeg(data, orientation)
        if kind is WEBP:
            return _webp(data, orientation)
        if kind is GIF:
            return _gif(data)
        if kind is BMP:
            return _bmp(data)
        if kind in (HEIF, AVIF):
            # How the photo is turned upright is a property of its image, kept as it is.
            return isobmff.strip(data)
    except (IndexError, ValueError, struct.error) as error:
        raise InvalidImage(f"the {kind.format} image's structure is corrupt") from error
    raise ValueError(f"no metadata rules for {kind.format}")


SHORT = 3
XMP_ORIENTATION = re.compile(rb'tiff:Orientation(?:="|>)([0-9])')


def orientation_of(exif: bytes | None, xmp: bytes | None = None) -> int:
    """Return the orientation (1 to 8) EXIF gives, or else XMP; 1 when neither says.

    Only the Orientation entry of EXIF's first directory is read, never the rest: a sender's
    EXIF is not parsed any further, and an unreadable one leaves the pixels as stored.
    """
    value = _exif_orientation(exif) if exif else None
    if value is None and xmp:
        match = XMP_ORIENTATION.search(xmp)
        value = int(match[1]) if match else None
    return value if value is not None and 1 <= value <= 8 else 1


def _exif_orientation(exif: bytes) -> int | None:
    """Return the Orientation of a TIFF-structured EXIF block ("Exif\\0\\0" or not), if any."""
    tiff = exif[6:] if exif.startswith(b"Exif\x00\x00") else exif
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None or len(tiff) < 8:
        return None
    (first,) = struct.unpack_from(f"{order}I", tiff, 4)
    if first + 2 > len(tiff):
        return None
    (count,) = struct.unpack_from(f"{order}H", tiff, first)
    for at in range(first + 2, min(first + 2 + 12 * count, len(tiff) - 11), 12):
        tag, kind, number, value = struct.unpack_from(f"{order}HHI2s", tiff, at)
        if tag == ORIENTATION_TAG:
            return struct.unpack(f"{order}H", value)[0] if (kind, number) == (SHORT, 1) else None
    return None


def _orientation_exif(orientation: int) -> bytes:
    """Return an EXIF block ("Exif\\0\\0" + TIFF) holding nothing but ``orientation``."""
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = orientation
    return exif.tobytes()


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload)
    return len(payload).to_bytes(4, "big") + kind + payload + crc.to_bytes(4, "big")


def _png(data: bytes, orientation: int | None) -> bytes:
    out, at, exif, xmp, header = [data[:8]], 8, None, None, 0
    while at < len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        kind, end = data[at + 4 : at + 8], at + 12 + length
        if end > len(data):
            raise ValueError("PNG chunk runs past the end")
        if kind in PNG_KEPT:
            out.append(data[at:end])
        elif kind == b"eXIf":
            exif = exif or data[at + 8 : end - 4]
        elif kind == b"iTXt" and data[at + 8 : end - 4].startswith(PNG_XMP_KEYWORD):
            xmp = xmp or data[at + 8 : end - 4]
        if kind == b"IHDR":
            header = len(out)
        at = end
        if kind == b"IEND":
            break  # whatever trails the image is not the image
    orientation = orientation_of(exif, xmp) if orientation is None else orientation
    if 2 <= orientation <= 8:
        out.insert(header, _png_chunk(b"eXIf", _orientation_exif(orientation)[6:]))
    return b"".join(out)


def _jpeg(data: bytes, orientation: int | None) -> bytes:
    out, at, exif, xmp = [data[:2]], 2, None, None
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
        elif marker == 0xE1 and segment[4:].startswith(b"Exif\x00\x00"):
            exif = exif or segment[4:]
        elif marker == 0xE1 and segment[4:].startswith(JPEG_XMP_NAMESPACE):
            xmp = xmp or segment[4:]
        at = end
    orientation = orientation_of(exif, xmp) if orientation is None else orientation
    if 2 <= orientation <= 8:
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


def _webp(data: bytes, orientation: int | None) -> bytes:
    chunks, at, exif, xmp = [], 12, None, None
    while at + 8 <= len(data):
        kind = data[at : at + 4]
        size = int.from_bytes(data[at + 4 : at + 8], "little")
        end = at + 8 + size + (size & 1)
        if at + 8 + size > len(data):
            raise ValueError("WebP chunk runs past the end")
        if kind in WEBP_KEPT:
            chunks.append(data[at:end])
        elif kind == b"EXIF":
            exif = exif or data[at + 8 : at + 8 + size]
        elif kind == b"XMP ":
            xmp = xmp or data[at + 8 : at + 8 + size]
        at = end
    orientation = orientation_of(exif, xmp) if orientation is None else orientation
    if chunks and chunks[0][:4] == b"VP8X":
        flags = chunks[0][8] & ~(WEBP_EXIF_FLAG | WEBP_XMP_FLAG)
        if 2 <= orientation <= 8:
            flags |= WEBP_EXIF_FLAG
        chunks[0] = chunks[0][:8] + bytes([flags]) + chunks[0][9:]
    if 2 <= orientation <= 8:
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


# BMP: the file header says where the pixels start; the DIB header (whose size names its version)
# says how many bytes they take. Version 4 and 5 headers name a colour space, and version 5 may
# link a colour profile by a file path on the sender's machine (LCS "LINK"), or embed one ("MBED").
BMP_FILE_HEADER = 14
BMP_CORE_HEADER = 12
BMP_RLE8, BMP_RLE4 = 1, 2
BMP_V4_HEADER, BMP_V5_HEADER = 108, 124
LCS_SRGB, PROFILE_LINKED, PROFILE_EMBEDDED = b"BGRs", b"KNIL", b"DEBM"  # as stored, little-endian
BMP_CS_TYPE, BMP_PROFILE_DATA, BMP_PROFILE_SIZE = 56, 112, 116  # offsets in the DIB header


def _bmp(data: bytes) -> bytes:
    """Return the BMP up to the end of its pixels (and embedded profile), no linked profile path.

    A file shorter than its headers say is returned cut nowhere: decoding judges truncation.
    """
    (offset,) = struct.unpack_from("<I", data, 10)
    (header,) = struct.unpack_from("<I", data, BMP_FILE_HEADER)
    dib = BMP_FILE_HEADER
    if header == BMP_CORE_HEADER:
        width, height, _, bits = struct.unpack_from("<HHHH", data, dib + 4)
        compression = 0
    else:
        width, height, _, bits, compression = struct.unpack_from("<iiHHI", data, dib + 4)
    rows = abs(height)
    if compression in (BMP_RLE8, BMP_RLE4):
        end = _rle_end(data, offset, rows, four_bit=compression == BMP_RLE4)
    else:
        end = offset + (width * bits + 31) // 32 * 4 * rows
    out = bytearray(data[: min(end, len(data))])
    if header >= BMP_V4_HEADER:
        profile = dib + BMP_CS_TYPE
        if header >= BMP_V5_HEADER:
            at, length = struct.unpack_from("<II", data, dib + BMP_PROFILE_DATA)
            kind = data[profile : profile + 4]
            if kind == PROFILE_EMBEDDED:
                end = max(end, dib + at + length)  # the profile decides how the pixels look
                out = bytearray(data[: min(end, len(data))])
            elif kind == PROFILE_LINKED:
                # A path such as C:\Users\<name>\... : blanked where it lies, and sRGB said.
                out[dib + at : dib + at + length] = bytes(len(out[dib + at : dib + at + length]))
                out[profile : profile + 4] = LCS_SRGB
                struct.pack_into("<II", out, dib + BMP_PROFILE_DATA, 0, 0)
    struct.pack_into("<I", out, 2, len(out))
    return bytes(out)


def _rle_end(data: bytes, at: int, rows: int, *, four_bit: bool) -> int:
    """Return where RLE-compressed pixels starting at ``at`` end: end of bitmap, or every row."""
    row = 0
    while at + 1 < len(data) and row < rows:
        count, value = data[at], data[at + 1]
        at += 2
        if count or value == 0:  # a run, or the end of a row
            row += not count
        elif value == 1:  # end of the bitmap
            return at
        elif value == 2:  # a jump right and down
            row += data[at + 1] if at + 1 < len(data) else 0
            at += 2
        else:  # ``value`` pixels as they are, padded to a whole 16-bit word
            stored = (value + 1) // 2 if four_bit else value
            at += stored + (stored & 1)
    return at + 2 if data[at : at + 2] == b"\x00\x01" else at

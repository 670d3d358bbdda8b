"""Stripping identifying metadata: every format, what goes, what stays, pixels unchanged."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from digits.errors import InvalidImage
from digits.imaging.formats import BMP, GIF, JPEG, PNG, WEBP, image_type
from digits.imaging.metadata import strip_metadata
from tests.images import encode

ORIENTATION, MAKE, MODEL, SERIAL, DATE = 0x0112, 0x010F, 0x0110, 0xA431, 0x0132
GPS_IFD = 0x8825
SECRETS = (b"Canon", b"EOS 5D", b"SERIAL-1234", b"2026:11:30", b"Home Street", b"secret place")


def picture(mode: str = "RGB") -> Image.Image:
    rng = np.random.default_rng(7)
    return Image.fromarray((rng.random((48, 36, 3)) * 255).astype(np.uint8)).convert(mode)


def camera_exif(orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[MAKE], exif[MODEL], exif[SERIAL], exif[DATE] = (
        "Canon",
        "EOS 5D",
        "SERIAL-1234",
        ("2026:11:30 10:00:00"),
    )
    if orientation != 1:
        exif[ORIENTATION] = orientation
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2], gps[3], gps[4] = "N", (52.0, 30.0, 12.5), "E", (13.0, 24.0, 5.0)
    return exif.tobytes()


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def png_text() -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "drawn at 12 Home Street")
    info.add_itxt("Location", "12 Home Street", zip=True)
    info.add_text("Where", "secret place", zip=True)
    return info


CASES = {
    "jpeg": (
        JPEG,
        lambda: encode(picture(), "JPEG", quality=90, exif=camera_exif(), comment=b"secret place"),
    ),
    "png": (PNG, lambda: encode(picture(), "PNG", exif=camera_exif(), pnginfo=png_text())),
    "png-palette": (PNG, lambda: encode(picture("P"), "PNG", pnginfo=png_text(), transparency=3)),
    "webp-lossless": (
        WEBP,
        lambda: encode(
            picture(),
            "WEBP",
            lossless=True,
            exif=camera_exif(),
            xmp=b"<x:xmpmeta>secret place</x:xmpmeta>",
        ),
    ),
    "webp-lossy": (WEBP, lambda: encode(picture(), "WEBP", quality=80, exif=camera_exif())),
    "gif": (GIF, lambda: encode(picture("P"), "GIF", comment=b"drawn at 12 Home Street")),
}


@pytest.mark.parametrize("name", CASES)
def test_identifying_metadata_goes_and_pixels_stay(name):
    kind, make = CASES[name]
    data = make()
    assert any(secret in data for secret in SECRETS)
    stripped = strip_metadata(data, kind)
    assert not [secret for secret in SECRETS if secret in stripped]
    opened = Image.open(io.BytesIO(stripped))
    assert dict(opened.getexif()) == {}
    assert opened.getexif().get_ifd(GPS_IFD) == {}
    assert not {"comment", "Comment", "Location", "Where", "xmp", "exif"} & set(opened.info)
    assert np.array_equal(pixels(stripped), pixels(data))
    assert image_type(stripped) is kind


def test_a_jpeg_is_not_re_encoded():
    data = CASES["jpeg"][1]()
    stripped = strip_metadata(data, JPEG)
    # The same compressed scan, byte for byte, after the kept headers.
    scan = data.index(b"\xff\xda")
    assert stripped.endswith(data[scan:])


@pytest.mark.parametrize(
    ("fmt", "options"), [("JPEG", {}), ("PNG", {}), ("WEBP", {"lossless": True})]
)
def test_orientation_is_kept_as_the_only_tag(fmt, options):
    data = encode(picture(), fmt, exif=camera_exif(orientation=6), **options)
    stripped = strip_metadata(data, image_type(data), orientation=6)
    assert not [secret for secret in SECRETS if secret in stripped]
    assert dict(Image.open(io.BytesIO(stripped)).getexif()) == {ORIENTATION: 6}


def test_a_plain_bmp_is_stored_as_sent():
    data = encode(picture(), "BMP")
    assert strip_metadata(data, BMP) == data


def bmp_v5(colour_space: bytes, profile: bytes = b"", after: bytes = b"") -> bytes:
    """A 24-bit BMP with a version 5 header: colour space, profile after the pixels, then more."""
    plain = encode(picture(), "BMP")
    offset = int.from_bytes(plain[10:14], "little")
    pixels = plain[offset:]
    header = bytearray(124)
    header[:40] = plain[14:54]
    header[0:4] = (124).to_bytes(4, "little")
    header[56:60] = colour_space
    # Where the profile is, counted from the start of this header, and its size.
    header[112:116] = (124 + len(pixels)).to_bytes(4, "little")
    header[116:120] = len(profile).to_bytes(4, "little")
    body = bytes(header) + pixels + profile + after
    return (
        b"BM"
        + (14 + len(body)).to_bytes(4, "little")
        + bytes(4)
        + (138).to_bytes(4, "little")
        + body
    )


def test_a_bmp_keeps_nothing_after_its_pixels():
    data = encode(picture(), "BMP")
    stripped = strip_metadata(data + b"appended: secret place", BMP)
    assert stripped == data


def test_a_bmp_drops_a_linked_colour_profile_path_and_keeps_its_pixels():
    path = b"C:\\Users\\alice\\secret place\\colour.icm\x00"
    data = bmp_v5(b"KNIL", path, after=b"and trailing bytes")
    stripped = strip_metadata(data, BMP)
    assert b"alice" not in stripped
    assert b"secret place" not in stripped
    assert b"trailing" not in stripped
    assert stripped[14 + 56 : 14 + 60] == b"BGRs"  # sRGB, as the file no longer links a profile
    assert int.from_bytes(stripped[2:6], "little") == len(stripped)
    assert np.array_equal(pixels(stripped), pixels(data))
    assert image_type(stripped) is BMP


def test_a_bmp_keeps_its_embedded_colour_profile():
    profile = b"an embedded ICC profile, kept: it decides how the pixels look"
    data = bmp_v5(b"DEBM", profile, after=b"secret place")
    stripped = strip_metadata(data, BMP)
    assert stripped.endswith(profile)
    assert b"secret place" not in stripped
    assert np.array_equal(pixels(stripped), pixels(data))


def test_a_run_length_bmp_ends_with_its_runs():
    # 4 x 2 pixels, 8-bit RLE: two rows of runs, end of bitmap; then bytes that are not the image.
    palette = bytes([0, 0, 0, 0, 255, 255, 255, 0])
    runs = bytes([4, 1, 0, 0, 2, 0, 2, 1, 0, 0, 0, 1])
    header = (
        (40).to_bytes(4, "little")
        + (4).to_bytes(4, "little")
        + (2).to_bytes(4, "little")
        + (1).to_bytes(2, "little")
        + (8).to_bytes(2, "little")
        + (1).to_bytes(4, "little")  # BI_RLE8
        + len(runs).to_bytes(4, "little")
        + bytes(8)
        + (2).to_bytes(4, "little")
        + bytes(4)
    )
    offset = 14 + len(header) + len(palette)
    image = header + palette + runs
    data = b"BM" + (14 + len(image)).to_bytes(4, "little") + bytes(4) + offset.to_bytes(4, "little")
    stripped = strip_metadata(data + image + b"secret place", BMP)
    assert stripped == data + image
    assert np.array_equal(pixels(stripped), pixels(data + image))


def test_data_after_the_end_of_a_png_is_dropped():
    data = encode(picture(), "PNG")
    assert strip_metadata(data + b"appended: secret place", PNG) == data


@pytest.mark.parametrize("kind", [PNG, JPEG, WEBP, GIF])
def test_a_container_that_does_not_parse_is_refused_not_stored(kind):
    good = {PNG: "PNG", JPEG: "JPEG", WEBP: "WEBP", GIF: "GIF"}[kind]
    data = encode(picture("P" if kind is GIF else "RGB"), good)
    broken = data[: len(data) // 3] if kind is not JPEG else data[:2] + b"\x00" + data[3:40]
    with pytest.raises(InvalidImage):
        strip_metadata(broken, kind)

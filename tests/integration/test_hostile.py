"""Hostile input gets a 4xx JSON error or a prediction, never a 500, with memory bounded.

Table-driven (bombs, huge base64, wrong content types, nested or enormous JSON, odd image modes),
through the Flask test client from ``create_app``; a few of them again over real HTTP. Random
input, property-based: test_hostile_properties.py. Memory is the process's peak RSS growth
during one request (VmHWM, reset through clear_refs).
"""

from __future__ import annotations

import base64
import http.client
import json
import struct
import urllib.parse
import zlib

import numpy as np
import pytest
from PIL import Image, ImageFile

from digits.errors import PayloadTooLarge
from tests.images import encode
from tests.integration.hostile import (
    DEFAULTS,
    MB,
    SMALL_GROWTH,
    calls_to,
    peak_growth,
    post,
)

# --- table-driven -------------------------------------------------------------------------------


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(side: int = 20_000, rows: int | None = None) -> bytes:
    """A valid 1-bit PNG of side x side zeros (or only its first ``rows`` rows of data)."""
    row = b"\x00" * (1 + (side + 7) // 8)
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(rows or side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", pixels)
        + png_chunk(b"IEND", b"")
    )


def gif_bomb() -> bytes:
    """A GIF whose screen is 1x1 but whose first frame declares 30000x30000."""
    screen = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0, 0, 0)
    frame = b"\x2c" + struct.pack("<HHHHB", 0, 0, 30_000, 30_000, 0)
    return screen + frame + b"\x02\x02\x44\x01\x00\x3b"


def jpeg_bomb(seven: Image.Image) -> bytes:
    """A real JPEG whose frame header is rewritten to claim 65000x65000."""
    data = bytearray(encode(seven.convert("L"), "JPEG"))
    at = data.index(b"\xff\xc0")
    data[at + 5 : at + 9] = struct.pack(">HH", 65_000, 65_000)
    return bytes(data)


def webp_bomb() -> bytes:
    """An extended WebP header declaring 16384x16384."""
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00"
    vp8x += (16383).to_bytes(3, "little") + (16383).to_bytes(3, "little")
    body = b"WEBP" + vp8x
    return b"RIFF" + struct.pack("<I", len(body)) + body


def bmp_bomb() -> bytes:
    header = struct.pack("<IiiHHIIiiII", 40, 30_000, 30_000, 1, 24, 0, 0, 0, 0, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + len(header), 0, 0, 54) + header


@pytest.fixture(scope="module")
def bombs(seven) -> dict[str, bytes]:
    """Small files that declare huge images, in every accepted format."""
    return {
        "png_20000_full": png_bomb(),
        "png_20000_few_kb": png_bomb(rows=2_000),
        "gif_frame_30000": gif_bomb(),
        "jpeg_sof_65000": jpeg_bomb(seven),
        "webp_16384": webp_bomb(),
        "bmp_30000": bmp_bomb(),
    }


@pytest.mark.parametrize(
    "name",
    [
        "png_20000_full",
        "png_20000_few_kb",
        "gif_frame_30000",
        "jpeg_sof_65000",
        "webp_16384",
        "bmp_30000",
    ],
)
@pytest.mark.parametrize("how", ["raw", "canvas", "upload"])
def test_decompression_bombs_are_413_from_the_header_and_cheap(hostile_app, bombs, name, how):
    data = bombs[name]
    assert len(data) < 64 * 1024
    body, content_type = wrap(data, how)
    # Refused from the header alone: not one pixel is decoded (how long that takes is the bench's).
    with calls_to(ImageFile.ImageFile.load) as decoded:
        response, growth = peak_growth(lambda: post(hostile_app, "/predict", body, content_type))
    assert decoded == []
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == PayloadTooLarge.code
    assert growth < SMALL_GROWTH


def test_the_decoding_watch_sees_an_image_decoded(hostile_app, seven):
    # The bombs' "not one pixel decoded" is only as good as the watch: it sees a real decode.
    with calls_to(ImageFile.ImageFile.load) as decoded:
        response = post(hostile_app, "/predict", encode(seven, "PNG"), "image/png")
    assert response.status_code == 200
    assert "PNG" in decoded


def wrap(data: bytes, how: str) -> tuple[bytes, str | None]:
    """Return the body and content type that send ``data`` raw, as canvas JSON or as an upload."""
    if how == "canvas":
        document = {"image": "data:image/png;base64," + base64.b64encode(data).decode()}
        return json.dumps(document).encode(), "application/json"
    if how == "upload":
        head = (
            b'--b\r\nContent-Disposition: form-data; name="file"; filename="d"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n"
        )
        return head + data + b"\r\n--b--\r\n", "multipart/form-data; boundary=b"
    return data, "application/octet-stream"


def huge_base64(size: int) -> bytes:
    noise = np.random.default_rng(0).integers(0, 256, size, dtype=np.uint8).tobytes()
    return json.dumps({"image": base64.b64encode(noise).decode()}).encode()


# Under the default 4 MiB body limit, but millions of bytes of keys to parse.
ENORMOUS_JSON = json.dumps({f"k{i}": "v" * 40 for i in range(70_000)}).encode()
REQUEST_TABLE = [
    # name, path, body, content type, expected status
    ("base64_over_body_limit", "/predict", huge_base64(7 * MB), "application/json", 413),
    ("base64_under_limit_not_an_image", "/predict", huge_base64(2 * MB), "application/json", 415),
    ("base64_garbage", "/predict", b'{"image": "%%%%"}', "application/json", 400),
    (
        "data_url_without_comma",
        "/predict",
        b'{"image": "data:image/png;base64"}',
        "application/json",
        400,
    ),
    ("nested_arrays", "/predict", b"[" * 100_000 + b"]" * 100_000, "application/json", 400),
    (
        "nested_objects",
        "/predict",
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        "application/json",
        400,
    ),
    ("nested_feedback", "/feedback", b"[" * 100_000, "application/json", 400),
    ("huge_integer", "/predict", b'{"image": 1' + b"0" * 5000 + b"}", "application/json", 400),
    (
        "huge_integer_feedback",
        "/feedback",
        b'{"key": "k", "label": 1' + b"0" * 5000 + b"}",
        "application/json",
        400,
    ),
    ("enormous_json_object", "/predict", ENORMOUS_JSON, "application/json", 400),
    ("json_not_object", "/predict", b'"image"', "application/json", 400),
    ("json_in_latin1", "/predict", '{"image": "é"}'.encode("latin-1"), "application/json", 400),
    ("json_as_png", "/predict", b'{"image": "x"}', "image/png", 415),
    ("text_plain", "/predict", b"seven", "text/plain", 415),
    ("svg", "/predict", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml", 415),
    ("svg_sniffed", "/predict", b'<svg xmlns="http://www.w3.org/2000/svg"/>', None, 415),
    ("multipart_no_boundary", "/predict", b"--x\r\n", "multipart/form-data", 400),
    ("multipart_no_file", "/predict", b"--b--\r\n", "multipart/form-data; boundary=b", 400),
    ("empty_body", "/predict", b"", None, 400),
    ("feedback_as_text", "/feedback", b'{"key": "k", "label": 1}', "text/plain", 415),
]


@pytest.mark.parametrize(
    ("path", "body", "content_type", "status"),
    [row[1:] for row in REQUEST_TABLE],
    ids=[row[0] for row in REQUEST_TABLE],
)
def test_hostile_requests_get_the_right_json_error(hostile_app, path, body, content_type, status):
    response, growth = peak_growth(lambda: post(hostile_app, path, body, content_type))
    assert response.status_code == status
    # A body is at most MAX_BODY_BYTES; parsing it may cost a few times that, never more.
    assert growth < 8 * DEFAULTS.max_body_bytes


def animated_gif(seven: Image.Image) -> bytes:
    blank = Image.new("L", seven.size, 255)
    return encode(seven, "GIF", save_all=True, append_images=[blank, seven], duration=50, loop=0)


def sixteen_bit_png(seven: Image.Image) -> bytes:
    return encode(Image.fromarray(np.asarray(seven, dtype=np.uint16) * 257), "PNG")


def exif_rotated_jpeg(seven: Image.Image) -> bytes:
    # Stored rotated; orientation 6 says "rotate 90 degrees clockwise to view".
    exif = Image.Exif()
    exif[0x0112] = 6
    return encode(seven.rotate(90, expand=True).convert("RGB"), "JPEG", exif=exif)


def palette_png(seven: Image.Image) -> bytes:
    return encode(seven.convert("RGB").quantize(colors=16), "PNG", transparency=15)


def transparent_canvas(seven: Image.Image) -> bytes:
    canvas = Image.new("RGBA", seven.size, (0, 0, 0, 0))
    canvas.putalpha(Image.eval(seven, lambda v: 255 - v))
    return encode(canvas, "PNG")


IMAGE_TABLE = {
    "animated_gif": animated_gif,
    "sixteen_bit_png": sixteen_bit_png,
    "cmyk_jpeg": lambda seven: encode(seven.convert("CMYK"), "JPEG"),
    "palette_png_with_transparency": palette_png,
    "exif_rotated_jpeg": exif_rotated_jpeg,
    "grey_alpha_png": lambda seven: encode(seven.convert("LA"), "PNG"),
    "one_bit_png": lambda seven: encode(
        seven.point(lambda v: 255 if v > 128 else 0).convert("1"), "PNG"
    ),
    "transparent_canvas_png": transparent_canvas,
    "bmp": lambda seven: encode(seven, "BMP"),
    "lossless_webp": lambda seven: encode(seven, "WEBP", lossless=True),
    "progressive_jpeg": lambda seven: encode(seven, "JPEG", progressive=True, quality=60),
}


@pytest.mark.parametrize("name", IMAGE_TABLE)
@pytest.mark.parametrize("how", ["raw", "canvas", "upload"])
def test_odd_but_valid_images_are_recognised(hostile_app, seven, name, how):
    body, content_type = wrap(IMAGE_TABLE[name](seven), how)
    response, growth = peak_growth(lambda: post(hostile_app, "/predict", body, content_type))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["digit"] == 7
    assert growth < SMALL_GROWTH


@pytest.mark.parametrize(
    ("name", "image"),
    [
        ("blank_white", Image.new("L", (64, 64), 255)),
        ("fully_transparent", Image.new("RGBA", (64, 64), (0, 0, 0, 0))),
        ("one_pixel", Image.new("L", (1, 1), 0)),
    ],
)
def test_blank_images_are_422_or_a_prediction(hostile_app, name, image):
    response = post(hostile_app, "/predict", encode(image, "PNG"), "image/png")
    assert response.status_code in {200, 422}
    if name != "one_pixel":
        assert response.status_code == 422


# --- over real HTTP -----------------------------------------------------------------------------


def http_post(stack, path: str, body: bytes, content_type: str | None):
    url = urllib.parse.urlsplit(stack.function_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        headers = {} if content_type is None else {"Content-Type": content_type}
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        connection.close()


def test_hostile_input_over_real_http(local_stack, seven):
    cases = [
        ("/predict", png_bomb(rows=2_000), "image/png", 413),
        ("/predict", gif_bomb(), None, 413),
        ("/predict", b"[" * 100_000, "application/json", 400),
        ("/predict", encode(seven, "JPEG")[:300], "image/jpeg", 400),
        ("/predict", bytes(range(256)) * 16, "application/octet-stream", 415),
        ("/predict", huge_base64(7 * MB), "application/json", 413),
        (
            "/feedback",
            b'{"key": "images/../../etc", "label": 3, "receipt": "r"}',
            "application/json",
            404,
        ),
        ("/predict", animated_gif(seven), "image/gif", 200),
    ]
    for path, body, content_type, status in cases:
        got, mimetype, data = http_post(local_stack, path, body, content_type)
        assert (got, mimetype) == (status, "application/json"), data[:200]
        document = json.loads(data)
        assert ("error" in document) == (status >= 400)
    # Still healthy after all of it.
    got, _, _ = http_post(local_stack, "/predict", encode(seven, "PNG"), "image/png")
    assert got == 200


def test_an_oversized_chunked_body_is_refused_over_real_http(local_stack):
    # No Content-Length to refuse up front: the read itself must stop at the limit.
    url = urllib.parse.urlsplit(local_stack.function_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    chunk = b"\x89PNG" + bytes(MB - 4)
    try:
        connection.request(
            "POST",
            "/predict",
            body=iter([chunk] * 12),
            headers={"Content-Type": "image/png"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        status, data = response.status, response.read()
    finally:
        connection.close()
    assert status == 413
    assert json.loads(data)["error"]["code"] == PayloadTooLarge.code

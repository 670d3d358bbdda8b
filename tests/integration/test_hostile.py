"""Hostile input gets a 4xx JSON error or a prediction, never a 500, with memory bounded.

Property-based (hypothesis: random bytes, corrupted and truncated images of every format, random
JSON) and table-driven (bombs, huge base64, wrong content types, nested or enormous JSON, odd image
modes), through the Flask test client from ``create_app``; a few of them again over real HTTP.
Memory is the process's peak RSS growth during one request (VmHWM, reset through clear_refs).
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import io
import json
import struct
import sys
import urllib.parse
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import functions_framework
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws
from PIL import Image, ImageFile

from digits.config import Settings
from digits.errors import PayloadTooLarge
from infra.servers import REGION

MAIN = Path(__file__).resolve().parents[2] / "functions" / "main.py"

BUCKET = "digits-hostile"
OK_STATUSES = {200, 400, 413, 415, 422}
MB = 1024 * 1024
# Inputs that are refused from their first bytes must not cost memory.
SMALL_GROWTH = 32 * MB
# Any accepted image may be decoded whole: the bound is the configured pixel limit at 4 bytes per
# pixel (RGBA), plus working space.
DEFAULTS = Settings.from_env({})
IMAGE_GROWTH = DEFAULTS.max_pixels * 4 + 64 * MB
HYPOTHESIS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,  # the same examples on every CI run; widen locally with a seed if needed
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def app(module_aws_credentials):
    """The functions-framework test client over a moto bucket, shared by the module."""
    module_aws_credentials.setenv("IMAGES_BUCKET", BUCKET)
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        yield functions_framework.create_app("predict", str(MAIN)).test_client()


@pytest.fixture(scope="module")
def seven(mnist_test) -> Image.Image:
    """MNIST's first test digit (a 7), dark ink on light paper at 112x112."""
    images, _ = mnist_test
    digit = images[0]
    return Image.fromarray(255 - digit).resize((112, 112), Image.Resampling.BILINEAR)


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _vm(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


@contextlib.contextmanager
def calls_to(function: Callable) -> Iterator[list[str]]:
    """Yield a list of the image formats ``function`` (a method) is called on in this thread.

    It watches through sys.setprofile, as a profiler does: ``function`` itself is not replaced.
    """
    code = function.__code__
    called: list[str] = []

    def watch(frame, event, _arg):
        if event == "call" and frame.f_code is code:
            called.append(str(getattr(frame.f_locals.get("self"), "format", None)))

    previous = sys.getprofile()
    sys.setprofile(watch)
    try:
        yield called
    finally:
        sys.setprofile(previous)


def peak_growth(action):
    """Run ``action``; return its result and how far the peak RSS rose above the RSS before it."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # resets VmHWM to the current RSS
    before = _vm("VmRSS:")
    result = action()
    return result, _vm("VmHWM:") - before


def post(app, path: str, body: bytes, content_type: str | None):
    """POST ``body``; return the response after checking it is never a 500 and errors are JSON."""
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = app.post(path, data=body, headers=headers)
    assert response.status_code < 500, response.get_data()[:300]
    assert response.mimetype == "application/json"
    document = response.get_json()
    if response.status_code >= 400:
        assert set(document) == {"error"}
        assert isinstance(document["error"]["code"], str)
        assert isinstance(document["error"]["message"], str)
        assert "Traceback" not in response.get_data(as_text=True)
    return response


def check_prediction_or_error(response) -> None:
    assert response.status_code in OK_STATUSES
    if response.status_code == 200:
        document = response.get_json()
        assert document["digit"] in range(10)
        assert abs(sum(document["probabilities"]) - 1) < 1e-6


# --- property-based -----------------------------------------------------------------------------

CONTENT_TYPES = st.sampled_from(
    [
        None,
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/octet-stream",
        "application/json",
        "multipart/form-data; boundary=x",
        "text/plain",
        "image/svg+xml",
    ]
)
FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP")


@HYPOTHESIS
@given(body=st.binary(max_size=4096), content_type=CONTENT_TYPES)
def test_random_bytes_never_500(app, body, content_type):
    response, growth = peak_growth(lambda: post(app, "/predict", body, content_type))
    check_prediction_or_error(response)
    assert growth < IMAGE_GROWTH


@pytest.fixture(scope="module")
def valid_images(seven) -> dict[str, bytes]:
    return {fmt: encode(seven.convert("RGB") if fmt == "JPEG" else seven, fmt) for fmt in FORMATS}


@HYPOTHESIS
@given(
    fmt=st.sampled_from(FORMATS),
    cut=st.floats(min_value=0, max_value=1),
    flips=st.lists(st.tuples(st.floats(min_value=0, max_value=1), st.integers(0, 255)), max_size=8),
    content_type=st.sampled_from([None, "image/png", "application/octet-stream"]),
)
def test_truncated_and_corrupted_images_never_500(app, valid_images, fmt, cut, flips, content_type):
    data = bytearray(valid_images[fmt])
    for where, value in flips:
        data[int(where * (len(data) - 1))] = value
    data = bytes(data[: max(1, round(cut * len(data)))])
    response, growth = peak_growth(lambda: post(app, "/predict", data, content_type))
    check_prediction_or_error(response)
    assert growth < IMAGE_GROWTH


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)


@HYPOTHESIS
@given(
    document=st.dictionaries(
        st.sampled_from(["image", "key", "label", "x"]), JSON_VALUES, max_size=3
    )
    | JSON_VALUES,
    path=st.sampled_from(["/predict", "/feedback"]),
)
def test_random_json_never_500(app, document, path):
    body = json.dumps(document).encode()
    response = post(app, path, body, "application/json")
    assert response.status_code in {*OK_STATUSES, 404}


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
def test_decompression_bombs_are_413_from_the_header_and_cheap(app, bombs, name, how):
    data = bombs[name]
    assert len(data) < 64 * 1024
    body, content_type = wrap(data, how)
    # Refused from the header alone: not one pixel is decoded (how long that takes is the bench's).
    with calls_to(ImageFile.ImageFile.load) as decoded:
        response, growth = peak_growth(lambda: post(app, "/predict", body, content_type))
    assert decoded == []
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == PayloadTooLarge.code
    assert growth < SMALL_GROWTH


def test_the_decoding_watch_sees_an_image_decoded(app, seven):
    # The bombs' "not one pixel decoded" is only as good as the watch: it sees a real decode.
    with calls_to(ImageFile.ImageFile.load) as decoded:
        response = post(app, "/predict", encode(seven, "PNG"), "image/png")
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
def test_hostile_requests_get_the_right_json_error(app, path, body, content_type, status):
    response, growth = peak_growth(lambda: post(app, path, body, content_type))
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
def test_odd_but_valid_images_are_recognised(app, seven, name, how):
    body, content_type = wrap(IMAGE_TABLE[name](seven), how)
    response, growth = peak_growth(lambda: post(app, "/predict", body, content_type))
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
def test_blank_images_are_422_or_a_prediction(app, name, image):
    response = post(app, "/predict", encode(image, "PNG"), "image/png")
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

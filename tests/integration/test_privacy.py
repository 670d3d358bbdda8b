"""Private by default, over real HTTP (functions-framework) with moto's S3 server.

What is stored says nothing of who or where the sender is; one visitor can neither list nor label
another's images; receipts prove who sent what.
"""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from infra.collected import labels_by_key
from tests.images import encode

GPS_IFD = 0x8825
SECRETS = (b"Canon", b"EOS 5D", b"SERIAL-1234", b"Home Street")


@pytest.fixture(scope="module")
def photo_of_a_seven(mnist_test) -> Image.Image:
    images, labels = mnist_test
    digit = images[0]  # a 7
    assert int(labels[0]) == 7
    grey = Image.fromarray(255 - digit).resize((224, 224), Image.Resampling.BICUBIC)
    return grey.convert("RGB")


def call(stack, method: str, path: str, body: bytes | None = None, content_type: str = ""):
    """Send one request; return (status, JSON document)."""
    headers = {"Content-Type": content_type} if content_type else {}
    request = urllib.request.Request(
        stack.function_url + path, data=body, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def predict(stack, data: bytes, content_type: str) -> dict:
    status, answer = call(stack, "POST", "/predict", data, content_type)
    assert status == 200, answer
    assert answer["saved"] is True
    return answer


def label(stack, key: str, digit: int, receipt: str) -> tuple[int, dict]:
    document = json.dumps({"key": key, "label": digit, "receipt": receipt}).encode()
    return call(stack, "POST", "/feedback", document, "application/json")


def stored(stack, key: str) -> bytes:
    return stack.s3_client().get_object(Bucket=stack.bucket, Key=key)["Body"].read()


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.int16)


def test_a_phone_jpeg_is_stored_without_gps_camera_or_dates(local_stack, photo_of_a_seven):
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0xA431] = "Canon", "EOS 5D", "SERIAL-1234"
    exif[0x0132] = "2026:11:30 10:00:00"
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2], gps[3], gps[4] = "N", (52.0, 30.0, 12.5), "E", (13.0, 24.0, 5.0)
    sent = encode(photo_of_a_seven, "JPEG", quality=92, exif=exif.tobytes())
    answer = predict(local_stack, sent, "image/jpeg")
    assert answer["digit"] == 7
    kept = stored(local_stack, answer["image"]["key"])
    assert not [secret for secret in SECRETS if secret in kept]
    opened = Image.open(io.BytesIO(kept))
    assert dict(opened.getexif()) == {}
    assert opened.getexif().get_ifd(GPS_IFD) == {}
    # Not re-encoded: the same pixels (a tolerance of 1 would allow a re-encode at 100%).
    assert np.abs(pixels(kept) - pixels(sent)).max() <= 1


def test_a_png_text_chunk_is_gone_and_the_pixels_are_exact(local_stack, photo_of_a_seven):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "drawn at 12 Home Street")
    info.add_itxt("Description", "12 Home Street", zip=True)
    sent = encode(photo_of_a_seven, "PNG", pnginfo=info)
    answer = predict(local_stack, sent, "image/png")
    kept = stored(local_stack, answer["image"]["key"])
    assert b"Home Street" not in kept
    assert Image.open(io.BytesIO(kept)).text == {}
    assert np.array_equal(pixels(kept), pixels(sent))


def test_a_second_visitor_can_neither_list_nor_label_the_first_ones_images(
    local_stack, photo_of_a_seven
):
    sent = encode(photo_of_a_seven, "PNG")
    first = predict(local_stack, sent, "image/png")
    key = first["image"]["key"]
    # Nothing lists images: not the old route, not with a limit.
    for path in ("/images", "/images?limit=100"):
        status, answer = call(local_stack, "GET", path)
        assert (status, answer["error"]["code"]) == (404, "not_found")
    # The second visitor has a receipt of their own, for their own image, and guesses.
    second = predict(local_stack, sent, "image/png")
    for receipt in (second["receipt"], "forged", first["receipt"][:-2] + "AA"):
        status, answer = label(local_stack, key, 1, receipt)
        assert (status, answer["error"]["code"]) == (403, "forbidden")
    status, answer = label(local_stack, key, 1, "")
    assert (status, answer["error"]["code"]) == (400, "bad_request")
    assert key not in labels_by_key(local_stack.s3_client(), local_stack.bucket)
    # The sender can, and each label is kept.
    assert label(local_stack, key, 1, first["receipt"])[0] == 200
    assert label(local_stack, key, 7, first["receipt"])[0] == 200
    labels = labels_by_key(local_stack.s3_client(), local_stack.bucket)[key]
    assert [entry.label for entry in labels] == [1, 7]

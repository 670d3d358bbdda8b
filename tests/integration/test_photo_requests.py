"""Phone photos through POST /predict: full size, turned by EXIF or by XMP, HEIC and AVIF.

The photos are the photo bench's (bench/photos.py: an MNIST test digit written in pen on ruled
paper lying on a desk, in a shadow, turned and tilted a little), so where the writing is, upright,
is known. Each answer must read the digit and box it there, in the pixels of the photo as the
person sees it; what is stored must say nothing of who or where.
"""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pillow_heif
import pytest
from PIL import Image, ImageOps

from bench import heldout, photos
from digits.imaging import decoding
from tests.errors import error_of
from tests.images import encode
from tests.phone_metadata import SECRETS, phone_exif, phone_xmp

FACTORS = photos.RULED_ON_DESK
# Samples of the tune split these factors draw, a single digit each.
ONE = 1
FULL = 0
# How a camera stores the pixels of a photo it tags with each orientation.
STORED_AS = {
    3: Image.Transpose.ROTATE_180,
    6: Image.Transpose.ROTATE_90,
    8: Image.Transpose.ROTATE_270,
}


@pytest.fixture(scope="module")
def sample(mnist_test) -> photos.PhotoSample:
    return photos.photo(heldout.split("tune"), ONE, FACTORS, mnist_test)


@pytest.fixture(scope="module")
def upright(sample) -> Image.Image:
    with Image.open(io.BytesIO(sample.data)) as sent:
        return ImageOps.exif_transpose(sent).convert("RGB")


def _stored_pixels(upright: Image.Image, orientation: int) -> Image.Image:
    return upright.transpose(STORED_AS[orientation]) if orientation in STORED_AS else upright


def _jpeg(image: Image.Image, **tags) -> bytes:
    return encode(image, "JPEG", quality=90, **tags)


def _read(client, data: bytes, content_type: str) -> dict:
    response = client.post("/predict", data=data, content_type=content_type)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _boxed_where_written(body: dict, sample: photos.PhotoSample, frame: tuple[int, int]) -> None:
    """The digit is read, and its box lies on the writing, in the upright photo's pixels."""
    assert body["number"] == sample.number
    (found,) = body["digits"]
    box = found["box"]
    x, y, width, height = sample.writing_box
    slack = 0.02 * max(frame)
    assert x - slack <= box["x"]
    assert box["x"] + box["width"] <= x + width + slack
    assert y - slack <= box["y"]
    assert box["y"] + box["height"] <= y + height + slack
    # The box is the digit's, not a sliver of it.
    assert box["height"] >= 0.6 * height


def test_a_12_megapixel_photo_of_a_sheet_on_a_desk_is_read(client, s3, bucket, mnist_test):
    sample = photos.photo(heldout.split("tune"), FULL, replace(FACTORS, full_size=True), mnist_test)
    with Image.open(io.BytesIO(sample.data)) as sent:
        frame = sent.size
    assert sorted(frame) == sorted(photos.FULL_FRAME)
    body = _read(client, sample.data, "image/jpeg")
    _boxed_where_written(body, sample, frame)
    stored = s3.get_object(Bucket=bucket, Key=body["image"]["key"])["Body"].read()
    assert stored.startswith(b"\xff\xd8")


@pytest.mark.parametrize("orientation", [3, 6, 8])
@pytest.mark.parametrize("carrier", ["exif", "xmp"])
def test_a_photo_turned_by_exif_or_xmp_is_read_and_boxed_upright(
    client, s3, bucket, sample, upright, orientation, carrier
):
    stored_pixels = _stored_pixels(upright, orientation)
    if carrier == "exif":
        sent = _jpeg(stored_pixels, exif=phone_exif(orientation), xmp=phone_xmp())
    else:
        sent = _jpeg(stored_pixels, xmp=phone_xmp(orientation))
    body = _read(client, sent, "image/jpeg")
    _boxed_where_written(body, sample, upright.size)
    stored = s3.get_object(Bucket=bucket, Key=body["image"]["key"])["Body"].read()
    assert not any(secret in stored for secret in SECRETS)
    # The stored photo still shows upright: its orientation is kept as its only EXIF tag.
    with Image.open(io.BytesIO(stored)) as kept:
        assert ImageOps.exif_transpose(kept).size == upright.size


def _heic(image: Image.Image, orientation: int) -> bytes:
    buffer = io.BytesIO()
    heif = pillow_heif.from_pillow(_stored_pixels(image, orientation))
    heif.save(buffer, quality=85, exif=phone_exif(orientation).tobytes(), xmp=phone_xmp())
    return buffer.getvalue()


def _avif(image: Image.Image, orientation: int) -> bytes:
    return encode(
        _stored_pixels(image, orientation),
        "AVIF",
        quality=85,
        exif=phone_exif(orientation),
        xmp=phone_xmp(),
    )


@pytest.mark.parametrize(
    ("encode", "content_type", "extension"),
    [(_heic, "image/heic", ".heic"), (_avif, "image/avif", ".avif")],
    ids=["heic", "avif"],
)
def test_heic_and_avif_photos_are_read_and_stored_without_metadata(
    client, s3, bucket, sample, upright, encode, content_type, extension
):
    sent = encode(upright, 6)
    assert all(secret in sent for secret in SECRETS)
    body = _read(client, sent, content_type)
    _boxed_where_written(body, sample, upright.size)
    key = body["image"]["key"]
    assert key.endswith(extension)
    stored = s3.get_object(Bucket=bucket, Key=key)
    assert stored["ContentType"] == content_type
    data = stored["Body"].read()
    assert not any(secret in data for secret in SECRETS)
    # What is stored decodes to exactly what was read, upright.
    sent_pixels = decoding.decode_image(sent, max_pixels=50_000_000).image
    stored_pixels = decoding.decode_image(data, max_pixels=50_000_000).image
    assert stored_pixels.size == upright.size
    assert np.array_equal(np.asarray(sent_pixels), np.asarray(stored_pixels))
    # Its sender labels it as any other image.
    label = {"key": key, "label": int(sample.number), "receipt": body["receipt"]}
    assert client.post("/feedback", json=label).status_code == 200


def test_a_heic_sent_as_a_multipart_upload_is_read(client, sample, upright):
    # The form is encoded here: Werkzeug's test client would spool a part this large to a
    # temporary file it never closes.
    boundary = "photo-boundary"
    form = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="IMG_0001.HEIC"'
            "\r\nContent-Type: image/heic\r\n\r\n"
        ).encode()
        + _heic(upright, 1)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(
        "/predict", data=form, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["number"] == sample.number


# Blank sheets of the photo bench's tune split that were once read as digits: the remnants of a
# squared page's line at the frame's edge (blank_fills 2), of ruled and squared lines where their
# darkness was divided out (3, 9), a desk's grain beside a sheet (blank_desk 3), and a strip of desk
# above a sheet whose top edge a motion blur softened (blank_desk 122); and dashes far smaller than
# writing (segment.SMALLEST_IN_PHOTO): squared lines' ends near the frame's edge (blank_fills 15,
# 114), a rule's remnant (186), a sheet's edge left on a desk (blank_desk 154).
@pytest.mark.parametrize(
    ("name", "index"),
    [
        ("blank_fills", 2),
        ("blank_fills", 3),
        ("blank_fills", 9),
        ("blank_fills", 15),
        ("blank_fills", 114),
        ("blank_fills", 186),
        ("blank_desk", 3),
        ("blank_desk", 122),
        ("blank_desk", 154),
    ],
)
def test_a_photo_of_a_blank_sheet_is_answered_with_nothing_found(
    client, s3, bucket, mnist_test, name, index
):
    sample = photos.photo(heldout.split("tune"), index, photos.SETS[name], mnist_test)
    assert sample.number == ""
    response = client.post("/predict", data=sample.data, content_type="image/jpeg")
    assert error_of(response) in {(422, "nothing_drawn"), (422, "not_a_digit")}
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0

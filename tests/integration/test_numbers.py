"""POST /predict reads numbers: number, digits with boxes and previews, the 12-digit limit."""

import base64
import io

import numpy as np
import pytest
from PIL import Image

from tests.images import encode


def strip(mnist_test, number: str, gap: int = 8) -> np.ndarray:
    """MNIST test digits of ``number`` side by side, white on black, ``gap`` pixels apart.

    Each is the third of its digit in MNIST test: these tests are about numbers, and the first 5,
    open-looped, is one of the digits the model misreads (as a 6).
    """
    images, labels = mnist_test
    out = np.zeros((28, len(number) * (28 + gap)), dtype=np.uint8)
    for i, c in enumerate(number):
        out[:, i * (28 + gap) : i * (28 + gap) + 28] = images[np.flatnonzero(labels == int(c))[2]]
    return out


def page_png(white_on_black: np.ndarray, scale: int = 10) -> bytes:
    """The digits as dark ink on white paper, ``scale`` times larger, as PNG."""
    height, width = white_on_black.shape
    image = Image.fromarray(255 - white_on_black).resize((width * scale, height * scale))
    return encode(image, "PNG")


def decoded_preview(url: str) -> Image.Image:
    assert url.startswith("data:image/png;base64,")
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))


def test_a_number_is_read_left_to_right_with_boxes(client, s3, bucket, mnist_test, model):
    sent = page_png(strip(mnist_test, "42"))
    response = client.post("/predict", data=sent, content_type="image/png")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["number"] == "42"
    for field in ("digit", "confidence", "probabilities", "preview"):
        assert body[field] is None
    assert [d["digit"] for d in body["digits"]] == [4, 2]
    confidences = [d["confidence"] for d in body["digits"]]
    assert body["number_confidence"] == pytest.approx(np.prod(confidences))
    for entry, frame in zip(body["digits"], (0, 360), strict=True):
        assert set(entry) == {"digit", "confidence", "probabilities", "box", "preview"}
        assert entry["confidence"] == max(entry["probabilities"])
        assert 0.5 < sum(entry["probabilities"]) <= 1 + 1e-6
        box = entry["box"]
        # Each digit in its own 280-pixel frame of the 720x280 image sent.
        assert frame <= box["x"]
        assert box["x"] + box["width"] <= frame + 280
        assert box["y"] >= 0
        assert box["y"] + box["height"] <= 280
        assert decoded_preview(entry["preview"]).size == (28, 28)
    stored = s3.head_object(Bucket=bucket, Key=body["image"]["key"])["Metadata"]
    assert stored["prediction"] == "42"
    assert stored["confidence"] == f"{body['number_confidence']:.6f}"
    assert body["saved"] is True
    assert body["model"] == {"version": model.version}


def test_one_digit_keeps_todays_fields_and_adds_number_and_digits(client, mnist_test):
    sent = page_png(strip(mnist_test, "7", gap=0))
    body = client.post("/predict", data=sent, content_type="image/png").get_json()
    assert (body["digit"], body["number"]) == (7, "7")
    (entry,) = body["digits"]
    assert entry["digit"] == body["digit"]
    assert entry["confidence"] == body["confidence"] == body["number_confidence"]
    assert entry["probabilities"] == body["probabilities"]
    assert entry["preview"] == body["preview"]
    assert entry["box"]["width"] <= 280


def test_boxes_are_in_the_pixels_of_a_large_jpeg_sent(client, mnist_test):
    # Decoded at a reduced scale (over twice the work side), answered in the pixels sent.
    image = Image.fromarray(255 - strip(mnist_test, "35")).resize((72 * 40, 28 * 40))
    sent = encode(image, "JPEG", quality=90)
    body = client.post("/predict", data=sent, content_type="image/jpeg").get_json()
    assert body["number"] == "35"
    second = body["digits"][1]["box"]
    assert 36 * 40 <= second["x"] < 48 * 40
    assert 20 * 40 <= second["height"] <= 28 * 40


def test_twelve_digits_are_read_and_thirteen_are_too_many(client, mnist_test):
    twelve = "012345678901"
    body = client.post(
        "/predict", data=page_png(strip(mnist_test, twelve), 4), content_type="image/png"
    ).get_json()
    assert body["number"] == twelve
    assert len(body["digits"]) == 12
    response = client.post(
        "/predict", data=page_png(strip(mnist_test, twelve + "2"), 4), content_type="image/png"
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "too_many_digits"
    assert "at most 12" in error["message"]


def test_a_batch_reads_numbers_too(client, mnist_test):
    files = [
        (io.BytesIO(page_png(strip(mnist_test, number))), f"{number}.png")
        for number in ("945", "8")
    ]
    response = client.post("/predict/batch", data={"file": files})
    assert response.status_code == 200
    assert [r["number"] for r in response.get_json()["results"]] == ["945", "8"]

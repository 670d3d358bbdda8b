"""Predictions through every input way, and every bad prediction request a JSON error, through
functions-framework's app (Flask test client), S3 in moto; routes and CORS: test_routes.py,
feedback: test_feedback.py."""

import base64
import io
import json
import logging
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from digits import recognise
from digits.config import DEFAULT_SITE_PORT
from digits.storage import keys
from digits.storage.receipts import receipt_digest
from infra.local_stack import free_port
from tests.errors import error_of
from tests.images import encode
from tests.integration.sent import canvas_png, data_url, paper_png, png

ALLOWED = f"http://127.0.0.1:{DEFAULT_SITE_PORT}"
# MNIST test digits the checks below send; index -> label is read from the data, not assumed.
DIGIT_INDICES = (0, 1, 2)


@pytest.fixture(scope="module")
def digits(mnist_test):
    images, labels = mnist_test
    return [(images[i], int(labels[i])) for i in DIGIT_INDICES]


def huge_png_header(side: int = 100_000) -> bytes:
    """A valid PNG signature and IHDR claiming side x side pixels: a decompression bomb's shape."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


BLANK_WHITE = png(Image.new("L", (200, 200), 255))
BLANK_TRANSPARENT = png(Image.new("RGBA", (200, 200), (0, 0, 0, 0)))
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28"><text>7</text></svg>'
TEXT = b"seven, I promise"


def truncated_png() -> bytes:
    whole = png(Image.new("L", (64, 64), 128))
    return whole[: len(whole) // 2]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --- predictions ----------------------------------------------------------------------------


def check_prediction(response, label: int, s3, bucket, sent: bytes, source: str, model) -> dict:
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {
        "digit",
        "confidence",
        "probabilities",
        "image",
        "receipt",
        "saved",
        "model",
        "preview",
        "number",
        "number_confidence",
        "digits",
    }
    assert body["digit"] == label
    assert body["number"] == str(label)
    assert body["number_confidence"] == body["confidence"]
    (one,) = body["digits"]
    assert {k: one[k] for k in ("digit", "confidence", "probabilities", "preview")} == {
        k: body[k] for k in ("digit", "confidence", "probabilities", "preview")
    }
    assert set(one["box"]) == {"x", "y", "width", "height"}
    assert len(body["probabilities"]) == 10
    # The ten digits' probabilities; what they leave of 1 is the belief that this is no digit.
    assert 0.5 < sum(body["probabilities"]) <= 1 + 1e-6
    assert body["confidence"] == max(body["probabilities"])
    assert body["model"] == {"version": model.version}
    assert body["saved"] is True
    key = body["image"]["key"]
    assert keys.KEY_PATTERN.fullmatch(key)
    assert key in body["image"]["url"]
    # The link to the stored image lasts minutes (config.py), not hours.
    assert "X-Amz-Expires=600&" in body["image"]["url"]
    assert len(bytes.fromhex(body["receipt"])) >= 16  # at least 128 bits
    preview = Image.open(io.BytesIO(base64.b64decode(body["preview"].split(",", 1)[1])))
    assert body["preview"].startswith("data:image/png;base64,")
    assert (preview.format, preview.size) == ("PNG", (28, 28))
    stored = s3.get_object(Bucket=bucket, Key=key)
    assert stored["Body"].read() == sent
    assert stored["ContentType"] == "image/png"
    assert stored["Metadata"] == {
        "prediction": str(label),
        "confidence": f"{body['confidence']:.6f}",
        "source": source,
        "model-version": model.version,
        "receipt-sha256": receipt_digest(body["receipt"]),
    }
    return body


@pytest.mark.parametrize("path", ["/predict", "/"])
def test_canvas_json_data_url_is_recognised_and_stored(client, s3, bucket, model, digits, path):
    for digit, label in digits:
        sent = canvas_png(digit)
        response = client.post(path, json={"image": data_url(sent)})
        check_prediction(response, label, s3, bucket, sent, "canvas", model)


def test_bare_base64_is_accepted(client, s3, bucket, model, digits):
    digit, label = digits[0]
    sent = canvas_png(digit)
    response = client.post("/predict", json={"image": b64(sent)})
    check_prediction(response, label, s3, bucket, sent, "canvas", model)


def test_multipart_upload_is_recognised_and_stored(client, s3, bucket, model, digits):
    for digit, label in digits:
        sent = paper_png(digit)
        response = client.post("/predict", data={"file": (io.BytesIO(sent), "digit.png")})
        check_prediction(response, label, s3, bucket, sent, "upload", model)


@pytest.mark.parametrize("content_type", ["image/png", "application/octet-stream"])
def test_raw_png_body_is_recognised_and_stored(client, s3, bucket, model, digits, content_type):
    for digit, label in digits:
        sent = paper_png(digit)
        response = client.post("/predict", data=sent, content_type=content_type)
        check_prediction(response, label, s3, bucket, sent, "raw", model)


def test_raw_jpeg_is_stored_as_jpeg(client, s3, bucket, digits):
    digit, label = digits[0]
    sent = encode(Image.fromarray(255 - digit).resize((112, 112)), "JPEG", quality=92)
    response = client.post("/predict", data=sent, content_type="image/jpeg")
    assert response.status_code == 200
    assert response.get_json()["digit"] == label
    key = response.get_json()["image"]["key"]
    assert key.endswith(".jpg")
    stored = s3.get_object(Bucket=bucket, Key=key)
    assert (stored["ContentType"], stored["Body"].read()) == ("image/jpeg", sent)


STORAGE_FAILURES = {
    "missing bucket": {"IMAGES_BUCKET": "bucket-that-does-not-exist"},
    "unreachable endpoint": {
        "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{free_port()}",
        "S3_MAX_ATTEMPTS": "2",
        "S3_CONNECT_TIMEOUT": "0.5",
    },
    "malformed endpoint": {"AWS_ENDPOINT_URL_S3": "not a URL"},
}


@pytest.mark.parametrize("env", STORAGE_FAILURES.values(), ids=STORAGE_FAILURES.keys())
def test_storage_failure_still_answers_with_saved_false_and_logs_it(
    make_client, digits, caplog, env
):
    client = make_client(env)
    digit, label = digits[0]
    with caplog.at_level(logging.ERROR, logger="digits.recognise"):
        response = client.post("/predict", json={"image": data_url(canvas_png(digit))})
    assert response.status_code == 200
    body = response.get_json()
    assert body["digit"] == label
    assert body["saved"] is False
    assert body["image"] == {"key": None, "url": None}
    assert body["receipt"] is None
    assert "not be saved" in body["warning"]
    assert any("could not save" in r.getMessage() for r in caplog.records)


# --- bad inputs -------------------------------------------------------------------------------


JSON, BAD, INVALID = "application/json", "bad_request", "invalid_image"
UNSUPPORTED = "unsupported_media_type"


def as_json(image: str) -> bytes:
    return json.dumps({"image": image}).encode()


PREDICT_ERRORS = [
    # (what, content type, body, status, code)
    ("bad JSON", JSON, b'{"image": ', 400, BAD),
    ("JSON not an object", JSON, b'["data:image/png;base64,AAAA"]', 400, BAD),
    ("JSON nested absurdly deep", JSON, b"[" * 200_000 + b"]" * 200_000, 400, BAD),
    ("missing field", JSON, b'{"img": "AAAA"}', 400, BAD),
    ("field not a string", JSON, b'{"image": 7}', 400, BAD),
    ("empty field", JSON, b'{"image": ""}', 400, BAD),
    ("bad base64", JSON, b'{"image": "iVBOR*w0K!!"}', 400, BAD),
    ("base64 not ascii", JSON, '{"image": "iVBORé"}'.encode(), 400, BAD),
    ("data URL not base64", JSON, b'{"image": "data:image/png,%89PNG"}', 400, BAD),
    ("data URL without comma", JSON, b'{"image": "data:image/png;base64"}', 400, BAD),
    ("base64 of text", JSON, as_json(b64(TEXT)), 415, UNSUPPORTED),
    ("base64 of SVG", JSON, as_json("data:image/svg+xml;base64," + b64(SVG)), 415, UNSUPPORTED),
    ("base64 of truncated PNG", JSON, as_json(b64(truncated_png())), 400, INVALID),
    ("base64 of blank canvas", JSON, as_json(data_url(BLANK_TRANSPARENT)), 422, "nothing_drawn"),
    ("empty body", "image/png", b"", 400, BAD),
    ("empty JSON body", JSON, b"", 400, BAD),
    ("wrong content type", "text/plain", b"7", 415, UNSUPPORTED),
    ("PNG sent as text", "text/plain", BLANK_WHITE, 415, UNSUPPORTED),
    ("XML", "application/xml", b"<seven/>", 415, UNSUPPORTED),
    ("SVG", "image/svg+xml", SVG, 415, UNSUPPORTED),
    ("text as octet-stream", "application/octet-stream", TEXT, 415, UNSUPPORTED),
    ("text labelled PNG", "image/png", TEXT, 415, UNSUPPORTED),
    ("corrupt PNG", "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 20, 400, INVALID),
    ("truncated PNG", "image/png", truncated_png(), 400, INVALID),
    ("decompression bomb", "image/png", huge_png_header(), 413, "too_large"),
    ("blank white image", "image/png", BLANK_WHITE, 422, "nothing_drawn"),
    ("blank transparent image", "image/png", BLANK_TRANSPARENT, 422, "nothing_drawn"),
    ("multipart without boundary", "multipart/form-data", b"--x\r\n\r\n", 400, BAD),
]


@pytest.mark.parametrize(
    ("content_type", "body", "status", "code"),
    [case[1:] for case in PREDICT_ERRORS],
    ids=[case[0] for case in PREDICT_ERRORS],
)
def test_bad_prediction_requests_get_json_errors(
    client, s3, bucket, content_type, body, status, code
):
    response = client.post("/predict", data=body, content_type=content_type)
    assert error_of(response) == (status, code)
    assert "Traceback" not in response.get_data(as_text=True)
    # Nothing refused is stored.
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0


MULTIPART_ERRORS = [
    ("no file field", {"other": (io.BytesIO(b"x"), "a.png")}, 400, "bad_request"),
    ("file sent as text", {"file": "iVBORw0KGgo="}, 400, "bad_request"),
    ("empty file", {"file": (io.BytesIO(b""), "empty.png")}, 400, "bad_request"),
    ("SVG file", {"file": (io.BytesIO(SVG), "seven.svg")}, 415, "unsupported_media_type"),
    ("text file", {"file": (io.BytesIO(TEXT), "seven.png")}, 415, "unsupported_media_type"),
    ("blank file", {"file": (io.BytesIO(BLANK_WHITE), "blank.png")}, 422, "nothing_drawn"),
]


@pytest.mark.parametrize(
    ("form", "status", "code"),
    [case[1:] for case in MULTIPART_ERRORS],
    ids=[case[0] for case in MULTIPART_ERRORS],
)
def test_bad_uploads_get_json_errors(client, form, status, code):
    response = client.post("/predict", data=form, content_type="multipart/form-data")
    assert error_of(response) == (status, code)


@pytest.mark.parametrize("kind", ["raw", "json", "multipart"])
def test_a_body_over_the_limit_is_refused_with_413(make_client, s3, bucket, kind):
    client = make_client({"MAX_BODY_BYTES": "2000"})
    image = paper_png(np.full((28, 28), 0, np.uint8)) + b"\x00" * 3000
    if kind == "raw":
        response = client.post("/predict", data=image, content_type="image/png")
    elif kind == "json":
        response = client.post("/predict", json={"image": b64(image)})
    else:
        response = client.post("/predict", data={"file": (io.BytesIO(image), "big.png")})
    assert error_of(response) == (413, "too_large")
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0


def test_the_default_limit_refuses_a_nine_megabyte_body(client):
    response = client.post("/predict", data=b"\x00" * (9 * 1024 * 1024), content_type="image/png")
    assert error_of(response) == (413, "too_large")


def test_an_unexpected_failure_is_a_generic_json_500_and_logged(
    client, digits, monkeypatch, caplog
):
    # Fault injection: no real input makes the core fail unexpectedly, so make it fail.
    def broken(_image28):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(recognise.normalise, "preview_png", broken)
    with caplog.at_level(logging.ERROR, logger="digits.http.responses"):
        response = client.post("/predict", json={"image": data_url(canvas_png(digits[0][0]))})
    assert error_of(response) == (500, "internal")
    text = response.get_data(as_text=True)
    assert "secret internal detail" not in text
    assert "Traceback" not in text
    assert any(
        r.exc_info and "secret internal detail" in str(r.exc_info[1]) for r in caplog.records
    )

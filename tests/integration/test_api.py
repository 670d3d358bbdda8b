"""Every route and every error through functions-framework's app (Flask test client), S3 in moto."""

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
from digits.http import api
from digits.storage import keys
from digits.storage.receipts import receipt_digest
from infra.collected import labels_by_key, newest_images
from infra.local_stack import free_port
from tests.conftest import TEST_ORIGINS

ALLOWED = f"http://127.0.0.1:{DEFAULT_SITE_PORT}"
# MNIST test digits the checks below send; index -> label is read from the data, not assumed.
DIGIT_INDICES = (0, 1, 2)
KEY = "images/2026/11/24/20261124T061502123456Z-0123456789abcdef.png"


@pytest.fixture(scope="module")
def digits(mnist_test):
    images, labels = mnist_test
    return [(images[i], int(labels[i])) for i in DIGIT_INDICES]


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def canvas_png(digit: np.ndarray) -> bytes:
    """What the page's canvas exports: a large RGBA PNG, dark ink on a transparent background."""
    alpha = Image.fromarray(digit).resize((280, 280), Image.Resampling.BILINEAR)
    ink = Image.new("RGBA", alpha.size, (20, 20, 20, 0))
    ink.putalpha(alpha)
    return png(ink)


def paper_png(digit: np.ndarray) -> bytes:
    """A scan-like upload: dark ink on white paper, greyscale."""
    return png(Image.fromarray(255 - digit).resize((140, 140), Image.Resampling.BILINEAR))


def data_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


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


def error_of(response) -> tuple[int, str]:
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["message"]
    return response.status_code, body["error"]["code"]


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
    assert len(base64.urlsafe_b64decode(body["receipt"] + "==")) >= 16  # at least 128 bits
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
    buffer = io.BytesIO()
    Image.fromarray(255 - digit).resize((112, 112)).save(buffer, "JPEG", quality=92)
    response = client.post("/predict", data=buffer.getvalue(), content_type="image/jpeg")
    assert response.status_code == 200
    assert response.get_json()["digit"] == label
    key = response.get_json()["image"]["key"]
    assert key.endswith(".jpg")
    stored = s3.get_object(Bucket=bucket, Key=key)
    assert (stored["ContentType"], stored["Body"].read()) == ("image/jpeg", buffer.getvalue())


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


# --- routes and methods -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nope"),
        ("POST", "/predict/extra"),
        ("GET", "/predict/"),
        ("GET", "/favicon.ico"),
        ("GET", "/robots.txt"),
        ("DELETE", "/images/x"),
        ("GET", "/images"),
    ],
)
def test_unknown_routes_are_json_404(client, method, path):
    response = client.open(path, method=method)
    assert error_of(response) == (404, "not_found")
    assert response.mimetype == "application/json"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/predict", "POST, OPTIONS"),
        ("GET", "/", "POST, OPTIONS"),
        ("PUT", "/predict", "POST, OPTIONS"),
        ("POST", "/health", "GET, HEAD, OPTIONS"),
        ("GET", "/feedback", "POST, OPTIONS"),
        ("PATCH", "/openapi.json", "GET, HEAD, OPTIONS"),
    ],
)
def test_wrong_methods_are_json_405_with_allow(client, method, path, allow):
    response = client.open(path, method=method)
    assert error_of(response) == (405, "method_not_allowed")
    assert response.headers["Allow"] == allow


def test_health_reports_the_model(client, model):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["model"]["version"] == model.version
    assert body["model"]["load_seconds"] >= 0
    assert client.head("/health").status_code == 200


def test_openapi_document_describes_exactly_the_routes(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    routes = {}
    for rule in api.ROUTES.iter_rules():
        # HEAD comes with every GET; the document describes the GET.
        routes.setdefault(rule.rule, set()).update(m.lower() for m in rule.methods - {"HEAD"})
    assert {path: set(document["paths"][path]) for path in document["paths"]} == routes


# --- no listing; feedback with receipts ---------------------------------------------------------


def predicted(client, digit) -> dict:
    response = client.post("/predict", json={"image": data_url(canvas_png(digit))})
    assert response.status_code == 200
    return response.get_json()


def test_images_are_not_listed_by_the_public_function(client, digits):
    predicted(client, digits[0][0])
    assert error_of(client.get("/images")) == (404, "not_found")
    assert error_of(client.get("/images?limit=5")) == (404, "not_found")


def test_the_sender_labels_with_the_receipt_and_every_label_is_kept(client, s3, bucket, digits):
    answer = predicted(client, digits[1][0])
    key, receipt = answer["image"]["key"], answer["receipt"]
    for label in (4, 7):
        response = client.post("/feedback", json={"key": key, "label": label, "receipt": receipt})
        assert response.status_code == 200
        body = response.get_json()
        assert (body["key"], body["label"]) == (key, label)
        assert body["labelled_at"].endswith("Z")
    [row] = newest_images(s3, bucket)
    assert [label.label for label in row.labels] == [4, 7]


def test_a_number_is_labelled_whole(client, s3, bucket, digits):
    answer = predicted(client, digits[0][0])
    key, receipt = answer["image"]["key"], answer["receipt"]
    document = {"key": key, "label": "2026", "receipt": receipt}
    response = client.post("/feedback", json=document)
    assert response.status_code == 200
    assert response.get_json()["label"] == "2026"
    assert [label.label for label in labels_by_key(s3, bucket)[key]] == ["2026"]


def test_a_receipt_of_one_image_is_refused_on_another(client, s3, bucket, digits):
    mine, theirs = predicted(client, digits[0][0]), predicted(client, digits[1][0])
    document = {"key": theirs["image"]["key"], "label": 1, "receipt": mine["receipt"]}
    assert error_of(client.post("/feedback", json=document)) == (403, "forbidden")
    assert labels_by_key(s3, bucket) == {}


@pytest.mark.parametrize("receipt", ["forged", "A" * 43, "0" * 64])
def test_a_forged_receipt_is_refused(client, s3, bucket, digits, receipt):
    key = predicted(client, digits[0][0])["image"]["key"]
    document = {"key": key, "label": 1, "receipt": receipt}
    assert error_of(client.post("/feedback", json=document)) == (403, "forbidden")
    assert labels_by_key(s3, bucket) == {}


R = "a-receipt"
FEEDBACK_ERRORS = [
    ("unknown key", {"key": KEY, "label": 3, "receipt": R}, 404, "not_found"),
    ("key not ours", {"key": "../../etc/passwd", "label": 3, "receipt": R}, 404, "not_found"),
    ("label too big", {"key": KEY, "label": 10, "receipt": R}, 400, "bad_request"),
    ("label negative", {"key": KEY, "label": -1, "receipt": R}, 400, "bad_request"),
    ("label a list", {"key": KEY, "label": [3], "receipt": R}, 400, "bad_request"),
    ("label a float", {"key": KEY, "label": 3.0, "receipt": R}, 400, "bad_request"),
    ("label a boolean", {"key": KEY, "label": True, "receipt": R}, 400, "bad_request"),
    ("label missing", {"key": KEY, "receipt": R}, 400, "bad_request"),
    ("key missing", {"label": 3, "receipt": R}, 400, "bad_request"),
    ("key not a string", {"key": 12, "label": 3, "receipt": R}, 400, "bad_request"),
    (
        "label a number with a letter",
        {"key": KEY, "label": "12a", "receipt": R},
        400,
        "bad_request",
    ),
    ("label an empty string", {"key": KEY, "label": "", "receipt": R}, 400, "bad_request"),
    ("label of 13 digits", {"key": KEY, "label": "1" * 13, "receipt": R}, 400, "bad_request"),
    ("label a signed number", {"key": KEY, "label": "-12", "receipt": R}, 400, "bad_request"),
    ("receipt missing", {"key": KEY, "label": 3}, 400, "bad_request"),
    ("receipt empty", {"key": KEY, "label": 3, "receipt": ""}, 400, "bad_request"),
    ("receipt not a string", {"key": KEY, "label": 3, "receipt": 5}, 400, "bad_request"),
]


@pytest.mark.parametrize(
    ("document", "status", "code"),
    [case[1:] for case in FEEDBACK_ERRORS],
    ids=[case[0] for case in FEEDBACK_ERRORS],
)
def test_bad_feedback_gets_json_errors(client, document, status, code):
    assert error_of(client.post("/feedback", json=document)) == (status, code)


@pytest.mark.parametrize(
    ("content_type", "body", "status", "code"),
    [
        ("application/json", b"{", 400, "bad_request"),
        ("application/json", b"[]", 400, "bad_request"),
        ("text/plain", b'{"key": "k", "label": 1}', 415, "unsupported_media_type"),
    ],
)
def test_feedback_body_must_be_a_json_object(client, content_type, body, status, code):
    response = client.post("/feedback", data=body, content_type=content_type)
    assert error_of(response) == (status, code)


# --- CORS -------------------------------------------------------------------------------------


@pytest.mark.parametrize("origin", TEST_ORIGINS.split(","))
@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/health"), ("GET", "/nope"), ("POST", "/predict")]
)
def test_allowed_origins_get_exactly_one_allow_origin(client, origin, method, path):
    response = client.open(path, method=method, headers={"Origin": origin})
    assert response.headers.getlist("Access-Control-Allow-Origin") == [origin]
    assert "Origin" in response.headers["Vary"]


@pytest.mark.parametrize(
    "origin", ["http://evil.example", "http://127.0.0.1:9999", "null", f"{ALLOWED}.evil"]
)
def test_other_origins_get_no_allow_origin(client, origin):
    response = client.get("/health", headers={"Origin": origin})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.headers["Vary"]


def test_no_origin_no_allow_origin_but_vary(client):
    response = client.get("/health")
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.headers["Vary"]


def test_framework_404_carries_cors_too(client):
    response = client.get("/favicon.ico", headers={"Origin": ALLOWED})
    assert response.headers.getlist("Access-Control-Allow-Origin") == [ALLOWED]


@pytest.mark.parametrize(
    ("path", "methods"), [("/predict", "POST, OPTIONS"), ("/health", "GET, HEAD, OPTIONS")]
)
def test_preflight_for_an_allowed_origin(client, path, methods):
    response = client.options(
        path,
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": methods.split(",")[0],
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 204
    assert response.get_data() == b""
    assert response.headers.getlist("Access-Control-Allow-Origin") == [ALLOWED]
    assert response.headers["Access-Control-Allow-Methods"] == methods
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type"
    assert int(response.headers["Access-Control-Max-Age"]) > 0
    assert "Origin" in response.headers["Vary"]


def test_preflight_for_another_origin_allows_nothing(client):
    response = client.options(
        "/predict",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 204
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Methods" not in response.headers


def test_a_wildcard_origin_setting_echoes_the_origin(make_client):
    client = make_client({"ALLOWED_ORIGINS": "*"})
    response = client.get("/health", headers={"Origin": "https://anywhere.example"})
    assert response.headers.getlist("Access-Control-Allow-Origin") == ["https://anywhere.example"]

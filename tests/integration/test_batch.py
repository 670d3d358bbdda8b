"""POST /predict/batch in-process (S3 under moto): order, one bad image alone, limits."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from digits.config import MAX_BATCH_IMAGES
from digits.storage import keys
from digits.storage.receipts import receipt_digest
from tests.errors import error_of
from tests.images import encode
from tests.integration.sent import data_url, multipart


@pytest.fixture(scope="module")
def digits(mnist_test):
    images, labels = mnist_test
    return [(images[i], int(labels[i])) for i in range(6)]


def png(array: np.ndarray) -> bytes:
    return encode(Image.fromarray(255 - array).resize((112, 112)), "PNG")


def blank() -> bytes:
    return encode(Image.new("L", (64, 64), 255), "PNG")


@pytest.mark.parametrize("how", ["json", "multipart"])
def test_a_mixed_batch_keeps_order_and_fails_only_the_bad_images(client, s3, bucket, digits, how):
    good = [png(digit) for digit, _ in digits[:3]]
    sent = [good[0], b"\x89PNG\r\n\x1a\nnot really", good[1], blank(), good[2]]
    if how == "json":
        response = client.post("/predict/batch", json={"images": [data_url(d) for d in sent]})
    else:
        body, content_type = multipart(sent)
        response = client.post("/predict/batch", data=body, content_type=content_type)
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert len(results) == 5
    assert [r.get("digit") for r in results] == [
        digits[0][1],
        None,
        digits[1][1],
        None,
        digits[2][1],
    ]
    assert results[1]["error"]["code"] == "invalid_image"
    assert results[3]["error"]["code"] == "nothing_drawn"
    source = "canvas" if how == "json" else "upload"
    for result, data in zip([results[0], results[2], results[4]], good, strict=True):
        key = result["image"]["key"]
        assert keys.KEY_PATTERN.fullmatch(key)
        stored = s3.get_object(Bucket=bucket, Key=key)
        assert stored["Body"].read() == data
        assert stored["Metadata"]["source"] == source
        assert stored["Metadata"]["receipt-sha256"] == receipt_digest(result["receipt"])
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="images/")
    assert listed["KeyCount"] == 3  # the bad images were not stored
    assert len({r["receipt"] for r in (results[0], results[2], results[4])}) == 3


def test_each_result_is_what_predict_answers(client, digits):
    data = png(digits[0][0])
    single = client.post("/predict", json={"image": data_url(data)}).get_json()
    [batched] = client.post("/predict/batch", json={"images": [data_url(data)]}).get_json()[
        "results"
    ]
    assert set(batched) == set(single)
    for field in ("digit", "confidence", "probabilities", "preview", "saved", "model"):
        assert batched[field] == single[field]


def test_a_full_batch_is_accepted(client, digits):
    images = [data_url(png(digits[i % len(digits)][0])) for i in range(MAX_BATCH_IMAGES)]
    response = client.post("/predict/batch", json={"images": images})
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["digit"] for r in results] == [
        digits[i % len(digits)][1] for i in range(MAX_BATCH_IMAGES)
    ]


BAD_BATCHES = [
    ("empty list", {"images": []}, 400, "bad_request"),
    ("too many", {"images": ["AAAA"] * (MAX_BATCH_IMAGES + 1)}, 400, "bad_request"),
    ("not a list", {"images": "data:image/png;base64,AAAA"}, 400, "bad_request"),
    ("an item not a string", {"images": ["AAAA", 5]}, 400, "bad_request"),
    ("no field", {"image": "AAAA"}, 400, "bad_request"),
]


@pytest.mark.parametrize(
    ("document", "status", "code"),
    [case[1:] for case in BAD_BATCHES],
    ids=[case[0] for case in BAD_BATCHES],
)
def test_a_bad_batch_is_refused_whole(client, s3, bucket, document, status, code):
    assert error_of(client.post("/predict/batch", json=document)) == (status, code)
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0


def test_a_batch_over_the_body_limit_is_413(client, digits):
    body = json.dumps({"images": ["A" * (5 * 1024 * 1024)]}).encode()
    response = client.post("/predict/batch", data=body, content_type="application/json")
    assert error_of(response) == (413, "too_large")


def test_a_batch_of_another_type_is_415(client):
    response = client.post("/predict/batch", data=b"\x89PNG", content_type="image/png")
    assert error_of(response) == (415, "unsupported_media_type")


def test_an_empty_multipart_batch_is_400(client):
    body, content_type = b"--b--\r\n", "multipart/form-data; boundary=b"
    response = client.post("/predict/batch", data=body, content_type=content_type)
    assert error_of(response) == (400, "bad_request")

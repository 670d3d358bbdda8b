"""No listing of images through the public function; labels sent back with the answer's receipt,
and every bad /feedback request a JSON error (functions-framework's app, S3 in moto)."""

import pytest

from infra.collected import labels_by_key, newest_images
from tests.errors import error_of
from tests.integration.sent import canvas_png, data_url

# MNIST test digits the checks below send; index -> label is read from the data, not assumed.
DIGIT_INDICES = (0, 1, 2)
KEY = "images/2026/11/24/20261124T061502123456Z-0123456789abcdef.png"


@pytest.fixture(scope="module")
def digits(mnist_test):
    images, labels = mnist_test
    return [(images[i], int(labels[i])) for i in DIGIT_INDICES]


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

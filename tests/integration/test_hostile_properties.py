"""Random input gets a 4xx JSON error or a prediction, never a 500 (hypothesis: random bytes,
corrupted and truncated images of every format, random JSON), through the Flask test client."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.images import encode
from tests.integration.hostile import (
    HYPOTHESIS,
    IMAGE_GROWTH,
    OK_STATUSES,
    check_prediction_or_error,
    peak_growth,
    post,
)

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
def test_random_bytes_never_500(hostile_app, body, content_type):
    response, growth = peak_growth(lambda: post(hostile_app, "/predict", body, content_type))
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
def test_truncated_and_corrupted_images_never_500(
    hostile_app, valid_images, fmt, cut, flips, content_type
):
    data = bytearray(valid_images[fmt])
    for where, value in flips:
        data[int(where * (len(data) - 1))] = value
    data = bytes(data[: max(1, round(cut * len(data)))])
    response, growth = peak_growth(lambda: post(hostile_app, "/predict", data, content_type))
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
def test_random_json_never_500(hostile_app, document, path):
    body = json.dumps(document).encode()
    response = post(hostile_app, path, body, "application/json")
    assert response.status_code in {*OK_STATUSES, 404}

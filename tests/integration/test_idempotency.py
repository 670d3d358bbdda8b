"""Idempotency-Key: a repeat gets the first answer and stores nothing new (S3 under moto).

The function's own routing (``digits.http.api.handle``) over an instance built here, so that a
test can hold one request inside its S3 put (a botocore hook) while a repeat arrives, and give a
request a Lambda context whose time left the test moves: no sleeps.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from digits import instance
from digits.deadline import ANSWER_SECONDS
from digits.http import api
from digits.storage import idempotency, keys
from tests.images import encode
from tests.integration.sent import multipart

KEY = "Idempotency-Key"


def one(offset: int = 0) -> bytes:
    """Return a PNG of a drawn one, a little to the right by ``offset`` (another image)."""
    canvas = np.full((96, 96), 255, dtype=np.uint8)
    canvas[16:80, 44 + offset : 53 + offset] = 0
    return encode(Image.fromarray(canvas), "PNG")


class Context:
    """A Lambda context whose time left is what the test says."""

    def __init__(self, seconds: float = 30) -> None:
        self.left = seconds

    def get_remaining_time_in_millis(self) -> int:
        return int(self.left * 1000)


@pytest.fixture
def built(s3, model):
    return instance.build(model=model)


@pytest.fixture
def http(built):
    @Request.application
    def app(request: Request) -> Response:
        return api.handle(request, built)

    return Client(app)


def objects(s3, bucket: str, prefix: str) -> list[str]:
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


def predict(http, data: bytes, key: str | None = None, context: Context | None = None):
    headers = {KEY: key} if key else {}
    environ = {"apig_wsgi.context": context} if context else {}
    return http.post(
        "/predict",
        data=data,
        content_type="image/png",
        headers=headers,
        environ_overrides=environ,
    )


def test_a_repeat_gets_the_first_answer_and_stores_nothing_new(http, s3, bucket):
    first = predict(http, one(), "a3f1c7e2-request-1")
    again = predict(http, one(), "a3f1c7e2-request-1")
    assert first.status_code == again.status_code == 200
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    a, b = first.json, again.json
    assert a["saved"] is True
    assert b["image"]["key"] == a["image"]["key"]
    assert b["receipt"] == a["receipt"]
    assert b["image"]["url"]  # signed anew, not kept in the record
    assert {k: v for k, v in b.items() if k != "image"} == {
        k: v for k, v in a.items() if k != "image"
    }
    assert objects(s3, bucket, keys.PREFIX) == [a["image"]["key"]]
    assert len(objects(s3, bucket, idempotency.PREFIX)) == 1
    # A request without a key is a new request each time.
    predict(http, one())
    assert len(objects(s3, bucket, keys.PREFIX)) == 2


def test_a_different_body_under_the_same_key_is_refused(http, s3, bucket):
    assert predict(http, one(), "key-reused-1").status_code == 200
    refused = predict(http, one(offset=8), "key-reused-1")
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "idempotency_key_reused"
    assert len(objects(s3, bucket, keys.PREFIX)) == 1


def test_the_same_key_on_another_route_is_another_request(http, s3, bucket):
    predict(http, one(), "shared-key-1")
    body, content_type = multipart([one()])
    batch = http.post(
        "/predict/batch", data=body, content_type=content_type, headers={KEY: "shared-key-1"}
    )
    assert batch.status_code == 200
    assert len(objects(s3, bucket, keys.PREFIX)) == 2


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "naïve"])
def test_a_key_that_is_not_a_short_token_is_a_bad_request(http, s3, bucket, key):
    answer = predict(http, one(), key or " ")
    assert answer.status_code == 400
    assert KEY in answer.json["error"]["message"]
    assert objects(s3, bucket, keys.PREFIX) == []


def test_a_quoted_key_is_the_same_key(http, s3, bucket):
    first = predict(http, one(), "key-quoted-1")
    again = predict(http, one(), '"key-quoted-1"')
    assert again.json["image"]["key"] == first.json["image"]["key"]


def test_two_repeats_at_once_store_once(built, http, s3, bucket):
    inside, release = threading.Event(), threading.Event()

    def hold_the_image_put(params, **kwargs):
        if params["Key"].startswith(keys.PREFIX):
            inside.set()
            assert release.wait(30)

    built.store.client.meta.events.register(
        "before-parameter-build.s3.PutObject", hold_the_image_put
    )
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(predict, http, one(), "at-once-1")
        assert inside.wait(30)
        # The first holds the key and is storing its image: the repeat waits a moment, then
        # is told to ask again.
        meanwhile = predict(http, one(), "at-once-1")
        release.set()
        answered = first.result(30)
    assert meanwhile.status_code == 409
    assert meanwhile.json["error"]["code"] == "in_progress"
    assert int(meanwhile.headers["Retry-After"]) > 0
    assert answered.status_code == 200
    later = predict(http, one(), "at-once-1")
    assert later.json["image"]["key"] == answered.json["image"]["key"]
    assert objects(s3, bucket, keys.PREFIX) == [answered.json["image"]["key"]]


def test_a_batch_cut_short_by_time_stores_only_the_rest_on_a_repeat(built, http, s3, bucket):
    context = Context()
    shortest = built.store.shortest_call_seconds()
    stored = []

    def run_out_after_two(params, **kwargs):
        if params["Key"].startswith(keys.PREFIX):
            stored.append(params["Key"])
            if len(stored) == 2:
                # Time enough to record the request, not to start another image.
                context.left = ANSWER_SECONDS + shortest + 0.05

    built.store.client.meta.events.register(
        "before-parameter-build.s3.PutObject", run_out_after_two
    )
    images = [one(offset) for offset in range(0, 24, 4)]
    body, content_type = multipart(images)

    def send():
        return http.post(
            "/predict/batch",
            data=body,
            content_type=content_type,
            headers={KEY: "batch-cut-short-1"},
            environ_overrides={"apig_wsgi.context": context},
        )

    cut = send()
    assert cut.status_code == 503
    assert int(cut.headers["Retry-After"]) > 0
    assert cut.json["error"]["code"] == "out_of_time"
    results = cut.json["results"]
    saved = [r for r in results if r.get("saved") is True]
    assert 2 <= len(saved) < len(images)
    assert all(r["error"]["code"] == "out_of_time" for r in results if "saved" not in r)
    assert f"{len(saved)} of {len(images)} images stored" in cut.json["error"]["message"]
    assert sorted(objects(s3, bucket, keys.PREFIX)) == sorted(r["image"]["key"] for r in saved)

    context.left = 30
    whole = send()
    assert whole.status_code == 200
    again = whole.json["results"]
    assert all(r["saved"] is True for r in again)
    for before, after in zip(results, again, strict=True):
        if before.get("saved"):
            assert (after["image"]["key"], after["receipt"]) == (
                before["image"]["key"],
                before["receipt"],
            )
    assert sorted(objects(s3, bucket, keys.PREFIX)) == sorted(r["image"]["key"] for r in again)
    assert send().headers["Idempotent-Replayed"] == "true"
    assert len(objects(s3, bucket, keys.PREFIX)) == len(images)


def test_a_label_is_stored_once_however_often_it_is_sent(built, http, s3, bucket):
    image = predict(http, one()).json
    document = {"key": image["image"]["key"], "label": 1, "receipt": image["receipt"]}
    context = Context()
    tagged = []

    def run_out_before_tagging(params, **kwargs):
        if params["Key"].startswith(keys.LABELS_PREFIX) and not tagged:
            tagged.append(params["Key"])
            context.left = ANSWER_SECONDS + built.store.shortest_call_seconds() + 0.05

    built.store.client.meta.events.register(
        "before-parameter-build.s3.PutObject", run_out_before_tagging
    )

    def send():
        return http.post(
            "/feedback",
            json=document,
            headers={KEY: "label-once-1"},
            environ_overrides={"apig_wsgi.context": context},
        )

    cut = send()
    assert cut.status_code == 503
    assert cut.json["error"]["code"] == "out_of_time"
    assert cut.json["label_stored"] is True
    context.left = 30
    first, again = send(), send()
    assert first.status_code == again.status_code == 200
    assert first.json == again.json
    labels = objects(s3, bucket, keys.labels_prefix(image["image"]["key"]))
    assert labels == tagged
    tags = s3.get_object_tagging(Bucket=bucket, Key=image["image"]["key"])["TagSet"]
    assert tags == [{"Key": keys.RETENTION_TAG, "Value": keys.LABELLED}]

"""Every request answers before the function's timeout, however slow S3 is (the Lambda handler).

S3 is made slow by a stub transport in front of moto: a botocore ``before-send`` hook on every
client the store makes, which lets time pass on a clock of the test's own (the Lambda context's
time left is read from it) and loses the first attempts of each call as a slow network does (the
client's read timeout passes, then botocore retries). Nothing sleeps: the test's clock moves only
by what the stub says each attempt took.
"""

from __future__ import annotations

import base64
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from botocore.exceptions import ReadTimeoutError
from PIL import Image

from digits.config import DEFAULT_TIMEOUT_SECONDS
from digits.deadline import ANSWER_SECONDS
from digits.storage import images, keys
from digits.storage.receipts import new_receipt, receipt_digest
from tests.images import encode

REPO = Path(__file__).resolve().parents[2]
HANDLER = REPO / "functions" / "lambda_handler.py"


class Clock:
    """Seconds since the invocation started; moved by the stub alone."""

    def __init__(self) -> None:
        self.now = 0.0


class Context:
    """Lambda's context, its time left read from the test's clock."""

    def __init__(self, clock: Clock, seconds: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.clock, self.seconds = clock, seconds
        self.aws_request_id = "deadline-test"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.seconds - self.clock.now) * 1000))


class SlowS3:
    """Each call's first ``lost`` attempts get no answer; the next answers after ``delay`` s."""

    def __init__(self, clock: Clock, lost: int = 0, delay: float = 0.0) -> None:
        self.clock, self.lost, self.delay = clock, lost, delay
        self.calls: list[tuple[str, int, float]] = []

    def attach(self, client) -> None:
        read_timeout = client.meta.config.read_timeout

        def before_send(request, **kwargs):
            # botocore numbers each attempt of one call: "attempt=2; max=3".
            attempt = int(request.headers["amz-sdk-request"].decode().split(";")[0].split("=")[1])
            self.calls.append((request.method, attempt, read_timeout))
            if attempt <= self.lost:
                self.clock.now += read_timeout
                raise ReadTimeoutError(endpoint_url=request.url)
            self.clock.now += self.delay  # then moto answers

        client.meta.events.register_first("before-send.s3", before_send)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def slow(clock) -> SlowS3:
    return SlowS3(clock)


@pytest.fixture
def handler(s3, slow, monkeypatch):
    """The Lambda handler, its S3 clients behind the slow stub."""
    made = images.s3_client

    def slow_client(settings, session=None):
        client = made(settings, session)
        slow.attach(client)
        return client

    monkeypatch.setattr(images, "s3_client", slow_client)
    spec = importlib.util.spec_from_file_location("lambda_handler_deadline", HANDLER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


def event(path: str, body: bytes, content_type: str) -> dict:
    """Return a Function URL event (payload 2.0) for a POST."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": content_type, "host": "example.lambda-url.on.aws"},
        "requestContext": {
            "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1", "sourceIp": "::1"},
            "requestId": "deadline-test",
        },
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }


def one() -> bytes:
    canvas = np.full((96, 96), 255, dtype=np.uint8)
    canvas[16:80, 44:53] = 0
    return encode(Image.fromarray(canvas), "PNG")


def stored_image(s3, bucket) -> tuple[str, str]:
    """Store an image as /predict would, straight to moto; return its key and receipt."""
    receipt = new_receipt()
    saved = images.ImageStore(s3, bucket).save_image(
        one(),
        content_type="image/png",
        extension="png",
        prediction=1,
        confidence=0.9,
        source="raw",
        model_version="test",
        receipt_digest=receipt_digest(receipt),
    )
    return saved.key, receipt


def header(response: dict, name: str) -> str:
    return {key.lower(): value for key, value in response["headers"].items()}[name.lower()]


def answer_of(response: dict) -> dict:
    return json.loads(response["body"])


def labels(s3, bucket, key) -> list:
    return s3.list_objects_v2(Bucket=bucket, Prefix=keys.labels_prefix(key)).get("Contents", [])


def test_feedback_answers_before_the_timeout_when_s3_loses_answers(
    handler, s3, bucket, clock, slow
):
    key, receipt = stored_image(s3, bucket)
    # Two attempts of every call lost, the third answered after 4.5 s: 14.5 s a call at the
    # settings' limits, 43.5 s for feedback's three calls, past the 30 s timeout.
    slow.lost, slow.delay = 2, 4.5
    document = {"key": key, "label": 7, "receipt": receipt}
    response = handler(
        event("/feedback", json.dumps(document).encode(), "application/json"), Context(clock)
    )
    assert clock.now <= DEFAULT_TIMEOUT_SECONDS - ANSWER_SECONDS
    assert response["statusCode"] == 503
    assert answer_of(response)["error"]["code"] in ("storage_unavailable", "out_of_time")
    assert int(header(response, "Retry-After")) > 0
    # The first call had the settings' own limits; later ones fewer attempts, as time ran short.
    attempts = [attempt for _, attempt, _ in slow.calls]
    assert attempts[:3] == [1, 2, 3]
    assert max(attempts[3:]) < 3
    assert labels(s3, bucket, key) == []


def test_a_prediction_answers_before_the_timeout_when_s3_is_slow(handler, s3, bucket, clock, slow):
    slow.lost, slow.delay = 2, 4.5
    # Twelve seconds left when the request comes: no time for the settings' three attempts.
    response = handler(event("/predict", one(), "image/png"), Context(clock, seconds=12))
    assert clock.now <= 12 - ANSWER_SECONDS
    assert response["statusCode"] == 200
    answer = answer_of(response)
    assert answer["digit"] == 1
    assert answer["saved"] is False
    assert "warning" in answer
    assert [attempt for _, attempt, _ in slow.calls] == [1]


def test_slow_s3_within_its_timeouts_is_waited_for(handler, s3, bucket, clock, slow):
    slow.delay = 4.0
    response = handler(event("/predict", one(), "image/png"), Context(clock))
    assert response["statusCode"] == 200
    assert answer_of(response)["saved"] is True
    assert clock.now == 4.0


@pytest.mark.parametrize("seconds", [0.4, 1.0])
def test_a_request_without_time_left_says_nothing_was_stored(
    handler, s3, bucket, clock, slow, seconds
):
    key, receipt = stored_image(s3, bucket)
    document = {"key": key, "label": 7, "receipt": receipt}
    predicted = handler(event("/predict", one(), "image/png"), Context(clock, seconds))
    labelled = handler(
        event("/feedback", json.dumps(document).encode(), "application/json"),
        Context(clock, seconds),
    )
    for response in (predicted, labelled):
        assert response["statusCode"] == 503
        assert answer_of(response)["error"]["code"] == "out_of_time"
        assert int(header(response, "Retry-After")) > 0
    assert answer_of(predicted)["saved"] is False
    assert answer_of(labelled)["label_stored"] is False
    assert slow.calls == []
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=keys.PREFIX)["Contents"]
    assert [item["Key"] for item in listed] == [key]
    assert labels(s3, bucket, key) == []

"""The Lambda handler answers every Function URL event as the local function answers the request.

Both sides route through the same ``digits.http.api.handle`` over the same moto S3 bucket: the
handler (a bare Werkzeug app under apig-wsgi, no Flask or functions-framework) from a payload 2.0
event in tests/events/, the local side (functions-framework's app) through Flask's test client with
the request rebuilt from that event; one adapter must answer exactly as the other. Generated fields
(the key and the presigned URLs) differ by nature and are checked for shape instead; every saved
object must hold exactly the bytes sent.
"""

from __future__ import annotations

import base64
import gc
import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.formparser import parse_form_data
from werkzeug.test import EnvironBuilder

from digits import instance
from digits.imaging import formats, metadata
from digits.storage import keys

REPO = Path(__file__).resolve().parents[2]
EVENTS = REPO / "tests" / "events"
HANDLER = REPO / "functions" / "lambda_handler.py"
SITE_ORIGIN = "https://d1a2b3c4d5e6f7.cloudfront.net"
# What each fixture must get: status, and for predictions the MNIST test digit it was made from.
EXPECTED = {
    "predict-canvas-json.json": (200, 7),
    "predict-multipart-upload.json": (200, 2),
    "predict-raw-png.json": (200, 1),
    "predict-raw-heic.json": (200, 4),
    "preflight-options.json": (204, None),
    "bad-request-text-plain.json": (415, None),
    "bad-request-invalid-json.json": (400, None),
    "health-get.json": (200, None),
    "images-gone.json": (404, None),
    "feedback-unknown-key.json": (404, None),
}
COMPARED_HEADERS = (
    "content-type",
    "cache-control",
    "vary",
    "allow",
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-max-age",
)
PRESIGNED = re.compile(r"https://[a-z0-9.-]+/images/\S+X-Amz-Signature=[0-9a-f]{64}")


@dataclass(frozen=True)
class LambdaContext:
    """The context object Lambda passes; only its shape matters, nothing reads it."""

    function_name: str = "digits-DigitsFunction-Ab12Cd34Ef56"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 1024
    aws_request_id: str = "6f1c2a3b-0d4e-4f5a-9b6c-7d8e9f0a1b2c"
    invoked_function_arn: str = (
        "arn:aws:lambda:eu-west-1:123456789012:function:digits-DigitsFunction-Ab12Cd34Ef56"
    )

    def get_remaining_time_in_millis(self) -> int:
        """Return the time left, as Lambda's context does."""
        return 30_000


def load_event(name: str) -> dict:
    """Return one fixture event."""
    return json.loads((EVENTS / name).read_text())


def event_body(event: dict) -> bytes:
    """Return the request body an event carries, decoded as apig-wsgi decodes it."""
    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()


def sent_image(event: dict) -> bytes:
    """Return the image bytes inside a /predict event: raw body, multipart file or data URL."""
    body = event_body(event)
    content_type = event["headers"]["content-type"]
    if content_type.startswith("application/json"):
        return base64.b64decode(json.loads(body)["image"].split(",", 1)[1])
    if content_type.startswith("multipart/form-data"):
        environ = EnvironBuilder(
            method="POST", data=body, headers={"Content-Type": content_type}
        ).get_environ()
        upload = parse_form_data(environ)[2]["file"]
        try:
            return upload.read()
        finally:
            upload.close()
    return body


def load_handler():
    """Import functions/lambda_handler.py afresh, as a new Lambda instance does, and return it."""
    spec = importlib.util.spec_from_file_location("lambda_handler_under_test", HANDLER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


@pytest.fixture
def handler(s3, monkeypatch):
    """The Lambda handler, configured for the site origin, its bucket under moto."""
    monkeypatch.setenv("ALLOWED_ORIGINS", SITE_ORIGIN)
    return load_handler()


@pytest.fixture
def local(make_client):
    """The local function (functions-framework's Flask app) with the same configuration."""
    return make_client({"ALLOWED_ORIGINS": SITE_ORIGIN})


def invoke(handler, event: dict) -> dict:
    """Invoke the handler as Lambda does, with a JSON round trip like the real service."""
    response = handler(json.loads(json.dumps(event)), LambdaContext())
    return json.loads(json.dumps(response))


def ask_local(client, event: dict):
    """Send the request the event describes to the local function."""
    headers = {k: v for k, v in event["headers"].items() if k not in ("host", "content-length")}
    return client.open(
        event["rawPath"],
        method=event["requestContext"]["http"]["method"],
        query_string=event["rawQueryString"],
        headers=headers,
        data=event_body(event),
    )


def comparable(document: dict | None) -> dict | None:
    """Replace the generated key and URLs by their shape, so two answers can be compared."""
    if document is None:
        return None
    document = json.loads(json.dumps(document))
    image = document.get("image")
    if isinstance(image, dict) and image.get("key"):
        assert keys.KEY_PATTERN.fullmatch(image["key"]), image["key"]
        assert PRESIGNED.fullmatch(image["url"]), image["url"]
        document["image"] = {"key": "<generated key>", "url": "<presigned url>"}
    if document.get("receipt"):
        document["receipt"] = "<receipt>"
    return document


def lambda_answer(response: dict) -> tuple[int, dict, dict | None]:
    """Return the status, the compared headers and the JSON body of a Lambda response."""
    assert response["isBase64Encoded"] is False  # JSON must reach browsers as text
    headers = {k: v for k, v in response["headers"].items() if k in COMPARED_HEADERS}
    body = json.loads(response["body"]) if response["body"] else None
    return response["statusCode"], headers, body


def local_answer(response) -> tuple[int, dict, dict | None]:
    """Return the status, the compared headers and the JSON body of a test-client response."""
    assert len(response.headers.getlist("Access-Control-Allow-Origin")) <= 1
    headers = {k.lower(): v for k, v in response.headers.items() if k.lower() in COMPARED_HEADERS}
    return response.status_code, headers, response.get_json() if response.data else None


@pytest.mark.parametrize("name", sorted(p.name for p in EVENTS.glob("*.json")))
def test_handler_answers_every_event_as_the_local_function(name, handler, local, s3):
    event = load_event(name)
    status, digit = EXPECTED[name]

    lambda_status, lambda_headers, lambda_body = lambda_answer(invoke(handler, event))
    local_status, local_headers, local_body = local_answer(ask_local(local, event))

    assert lambda_status == local_status == status
    assert lambda_headers == local_headers
    assert comparable(lambda_body) == comparable(local_body)
    if digit is not None:
        assert lambda_body["digit"] == digit
        assert lambda_body["saved"] is True
        sent = sent_image(event)
        kind = formats.image_type(sent)
        for body in (lambda_body, local_body):
            saved = s3.get_object(Bucket="digits-test-images", Key=body["image"]["key"])
            assert saved["Body"].read() == metadata.strip_metadata(sent, kind)
            assert saved["ContentType"] == kind.content_type
    if name == "images-list.json":
        assert len(lambda_body["images"]) == 1
        assert lambda_body["images"][0]["digit"] == 1


def test_every_event_is_a_function_url_payload_v2():
    for path in sorted(EVENTS.glob("*.json")):
        event = json.loads(path.read_text())
        assert path.name in EXPECTED, f"{path.name} has no expected answer in this test"
        assert event["version"] == "2.0"
        assert event["routeKey"] == "$default"
        http = event["requestContext"]["http"]
        assert http["path"] == event["rawPath"]
        assert event["requestContext"]["domainName"] == event["headers"]["host"]
        assert all(k == k.lower() for k in event["headers"])  # Function URLs lower-case them
        if "body" in event:
            assert int(event["headers"]["content-length"]) == len(event_body(event))
        if event.get("isBase64Encoded"):
            assert not event["headers"]["content-type"].startswith(("text/", "application/json"))


def test_preflight_allows_only_the_site_origin(handler):
    event = load_event("preflight-options.json")
    allowed = invoke(handler, event)
    assert allowed["headers"]["access-control-allow-origin"] == SITE_ORIGIN
    assert "POST" in allowed["headers"]["access-control-allow-methods"]

    event["headers"]["origin"] = "https://evil.example"
    refused = invoke(handler, event)
    assert "access-control-allow-origin" not in refused["headers"]


def test_storage_failure_still_answers_with_the_prediction(handler, s3):
    s3.delete_bucket(Bucket="digits-test-images")
    response = invoke(handler, load_event("predict-raw-png.json"))
    body = json.loads(response["body"])
    assert response["statusCode"] == 200
    assert body["digit"] == 1
    assert body["saved"] is False
    assert body["warning"]


def test_model_loads_at_init_not_per_request(s3, monkeypatch):
    instance.cached_model.cache_clear()
    monkeypatch.setenv("ALLOWED_ORIGINS", SITE_ORIGIN)
    handler = load_handler()
    assert instance.cached_model.cache_info().misses == 1
    for name in ("health-get.json", "predict-raw-png.json"):
        assert invoke(handler, load_event(name))["statusCode"] == 200
    assert instance.cached_model.cache_info().misses == 1


def test_init_leaves_the_garbage_collector_on_with_what_init_made_frozen(s3):
    gc.unfreeze()
    load_handler()
    assert gc.isenabled()
    # Init's objects live as long as the instance: later collections do not walk them.
    assert gc.get_freeze_count() > 10_000

"""Real HTTP on loopback: functions-framework with main.py, moto's S3 server and the page."""

import base64
import http.client
import io
import json
import re
import threading
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

from digits.config import Settings
from digits.errors import NotADigit
from digits.recognise import read_digits
from infra.collected import newest_images
from tests.images import encode as encode_image

CONCURRENT = 100
TIMEOUT = 120
UPLOAD_LIMIT = re.compile(r"export const MAX_UPLOAD_BYTES = (\d+);")


@pytest.fixture(scope="module")
def test_digits(readable_digits, model):
    """The first CONCURRENT readable digits that the model also reads as sent here (png)."""
    images, labels = readable_digits
    # readable_digits are read as 28x28 arrays; sent enlarged, a rare one is refused instead.
    kept = [i for i, image in enumerate(images) if _read_as_sent(model, image)][:CONCURRENT]
    assert len(kept) == CONCURRENT
    return images[kept], labels[kept]


def _read_as_sent(model, image) -> bool:
    try:
        read_digits(model, Image.open(io.BytesIO(png(image))))
    except NotADigit:
        return False
    return True


def request(stack, method: str, path: str, body: bytes | None = None, headers=None):
    """Send one request over a fresh connection; return (status, headers, body)."""
    url = urllib.parse.urlsplit(stack.function_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def png(array) -> bytes:
    image = Image.fromarray(255 - array).resize((112, 112), Image.Resampling.BILINEAR)
    return encode_image(image, "PNG")


def multipart(data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="d.png"\r\n'
            f"Content-Type: image/png\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def encode(kind: str, data: bytes) -> tuple[bytes, str]:
    """The request body and content type that send ``data`` the way ``kind`` does."""
    if kind == "canvas":
        document = {"image": "data:image/png;base64," + base64.b64encode(data).decode()}
        return json.dumps(document).encode(), "application/json"
    if kind == "upload":
        return multipart(data)
    return data, "image/png"


def stored_keys(stack) -> set[str]:
    paginator = stack.s3_client().get_paginator("list_objects_v2")
    pages = paginator.paginate(Bucket=stack.bucket)
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def page_config(stack) -> str:
    with urllib.request.urlopen(f"{stack.site_url}/config.js", timeout=TIMEOUT) as response:
        return response.read().decode()


def test_health_over_http(local_stack):
    status, headers, body = request(local_stack, "GET", "/health")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["status"] == "ok"


def test_concurrent_predictions_each_keep_their_own_object(local_stack, test_digits):
    images, labels = test_digits
    kinds = ("canvas", "upload", "raw")
    sent = [png(image) for image in images]
    assert len(set(sent)) == CONCURRENT
    before = stored_keys(local_stack)
    start = threading.Barrier(CONCURRENT)

    def send(i: int):
        body, content_type = encode(kinds[i % 3], sent[i])
        start.wait(TIMEOUT)  # all requests leave together
        return request(local_stack, "POST", "/predict", body, {"Content-Type": content_type})

    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        answers = list(pool.map(send, range(CONCURRENT)))

    assert [status for status, _, _ in answers] == [200] * CONCURRENT
    bodies = [json.loads(body) for _, _, body in answers]
    assert all(b["saved"] is True for b in bodies)
    keys = [b["image"]["key"] for b in bodies]
    assert len(set(keys)) == CONCURRENT
    # The bucket is shared: what is new in it is what these requests stored.
    assert stored_keys(local_stack) - before == set(keys)
    client = local_stack.s3_client()
    for i, key in enumerate(keys):
        stored = client.get_object(Bucket=local_stack.bucket, Key=key)
        assert stored["Body"].read() == sent[i]
        assert stored["ContentType"] == "image/png"
        assert stored["Metadata"]["source"] == kinds[i % 3]
        assert stored["Metadata"]["prediction"] == str(bodies[i]["digit"])
    # The presigned URL serves the same bytes over HTTP.
    with urllib.request.urlopen(bodies[0]["image"]["url"], timeout=TIMEOUT) as response:
        assert response.read() == sent[0]
    # Most of these MNIST digits are recognised; exact accuracy is the benchmark's business.
    right = sum(b["digit"] == int(label) for b, label in zip(bodies, labels, strict=True))
    assert right >= 0.9 * CONCURRENT


def test_feedback_with_the_receipt_over_http_and_no_listing(local_stack, test_digits):
    images, labels = test_digits
    body, content_type = encode("raw", png(images[0]))
    status, _, answer = request(
        local_stack, "POST", "/predict", body, {"Content-Type": content_type}
    )
    key, receipt = json.loads(answer)["image"]["key"], json.loads(answer)["receipt"]
    feedback = json.dumps({"key": key, "label": int(labels[0]), "receipt": receipt}).encode()
    status, _, _ = request(
        local_stack, "POST", "/feedback", feedback, {"Content-Type": "application/json"}
    )
    assert status == 200
    # The newest image is this one: one test at a time uses the stack.
    [row] = newest_images(local_stack.s3_client(), local_stack.bucket, limit=1)
    assert row.key == key
    assert [label.label for label in row.labels] == [int(labels[0])]
    status, _, _ = request(local_stack, "GET", "/images?limit=1")
    assert status == 404


def test_cors_over_http(local_stack):
    site_origin = local_stack.site_url
    status, headers, _ = request(local_stack, "GET", "/health", headers={"Origin": site_origin})
    assert headers.get_all("Access-Control-Allow-Origin") == [site_origin]
    assert "Origin" in headers["Vary"]
    _, headers, _ = request(
        local_stack, "GET", "/health", headers={"Origin": "http://evil.example"}
    )
    assert headers.get_all("Access-Control-Allow-Origin") is None
    status, headers, body = request(
        local_stack,
        "OPTIONS",
        "/predict",
        headers={"Origin": site_origin, "Access-Control-Request-Method": "POST"},
    )
    assert (status, body) == (204, b"")
    assert headers.get_all("Access-Control-Allow-Origin") == [site_origin]
    assert "POST" in headers["Access-Control-Allow-Methods"]


@pytest.mark.parametrize("path", ["/favicon.ico", "/robots.txt", "/nope"])
def test_not_found_is_json_over_http(local_stack, path):
    status, headers, body = request(local_stack, "GET", path)
    assert status == 404
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"]["code"] == "not_found"


def test_a_declared_oversized_body_is_413_over_http(local_stack):
    body = b"\x00" * (Settings.from_env({}).max_body_bytes + 1)
    status, _, answer = request(
        local_stack, "POST", "/predict", body, {"Content-Type": "image/png"}
    )
    assert status == 413
    assert json.loads(answer)["error"]["code"] == "too_large"


def test_a_chunked_oversized_body_is_413_over_http(local_stack):
    # No Content-Length: the bounded read is what stops it.
    chunk = 64 * 1024
    url = urllib.parse.urlsplit(local_stack.function_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=TIMEOUT)
    try:
        chunks = (b"\x00" * chunk for _ in range(Settings.from_env({}).max_body_bytes // chunk + 1))
        connection.request(
            "POST",
            "/predict",
            body=chunks,
            headers={"Content-Type": "image/png"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        assert response.status == 413
        assert json.loads(response.read())["error"]["code"] == "too_large"
    finally:
        connection.close()


def test_the_page_is_served_with_config_pointing_at_the_function(local_stack):
    config = page_config(local_stack)
    assert f'export const FUNCTION_URL = "{local_stack.function_url}";' in config.splitlines()


def test_the_page_is_told_the_upload_limit_the_function_enforces(local_stack):
    limit = int(UPLOAD_LIMIT.search(page_config(local_stack)).group(1))
    # Not an image either way: at the limit the body is read and refused as what it is.
    at_limit = b"\x00" * limit
    status, _, answer = request(
        local_stack, "POST", "/predict", at_limit, {"Content-Type": "image/png"}
    )
    assert (status, json.loads(answer)["error"]["code"]) != (413, "too_large")
    over = at_limit + b"\x00"
    status, _, answer = request(
        local_stack, "POST", "/predict", over, {"Content-Type": "image/png"}
    )
    assert (status, json.loads(answer)["error"]["code"]) == (413, "too_large")

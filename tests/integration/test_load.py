"""Load and faults over real HTTP on loopback: functions-framework + moto's S3 server.

1,000 mixed canvas and upload requests at concurrency 16 keep every image, byte for byte, with its
metadata. With the S3 emulator stopped mid-run, predictions keep coming (``"saved": false`` and a
warning) within the configured S3 timeouts; once it is back on the same port, saving resumes.
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import socket
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from moto.server import ThreadedMotoServer
from PIL import Image

from digits.storage.receipts import receipt_digest
from infra.local_stack import start_stack
from infra.servers import FAKE_CREDENTIALS, HOST, REGION, free_port
from model import mnist

REQUESTS = 1000
CONCURRENCY = 16
DIGITS = 50
TIMEOUT = 60


def canvas_png(digit) -> bytes:
    """The digit as the page's canvas exports it: dark ink on a transparent background."""
    ink = Image.fromarray(digit).resize((112, 112), Image.Resampling.BILINEAR)
    canvas = Image.new("RGBA", ink.size, (17, 17, 17, 0))
    canvas.putalpha(ink)
    buffer = io.BytesIO()
    canvas.save(buffer, "PNG")
    return buffer.getvalue()


def scan_png(digit) -> bytes:
    """The digit as an uploaded scan: dark ink on white."""
    buffer = io.BytesIO()
    Image.fromarray(255 - digit).resize((112, 112), Image.Resampling.BILINEAR).save(buffer, "PNG")
    return buffer.getvalue()


def body_for(kind: str, data: bytes) -> tuple[bytes, str]:
    """The request body and content type that send ``data`` as ``kind`` (canvas or upload)."""
    if kind == "canvas":
        document = {"image": "data:image/png;base64," + base64.b64encode(data).decode()}
        return json.dumps(document).encode(), "application/json"
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="digit.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), (
        f"multipart/form-data; boundary={boundary}"
    )


def post(
    function_url: str, body: bytes, content_type: str, timeout: float = TIMEOUT
) -> tuple[int, dict, float]:
    """POST to /predict on a new connection; return status, JSON body and seconds taken."""
    url = urllib.parse.urlsplit(function_url)
    started = time.perf_counter()
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    try:
        connection.request("POST", "/predict", body=body, headers={"Content-Type": content_type})
        response = connection.getresponse()
        status, data = response.status, response.read()
    finally:
        connection.close()
    return status, json.loads(data), time.perf_counter() - started


@pytest.fixture(scope="module")
def digits(mnist_dir):
    data = mnist.load(mnist_dir)
    return data.test_images[:DIGITS], data.test_labels[:DIGITS]


def test_a_thousand_mixed_requests_keep_every_image(digits):
    images, _ = digits
    sent = [
        ("canvas", canvas_png(images[i % DIGITS]))
        if i % 2 == 0
        else ("upload", scan_png(images[i % DIGITS]))
        for i in range(REQUESTS)
    ]
    # A bucket of its own: moto's state is shared by every server in this process.
    with start_stack(env={"IMAGES_BUCKET": "digits-load-test"}) as stack:

        def send(i: int):
            kind, data = sent[i]
            return post(stack.function_url, *body_for(kind, data))

        with ThreadPoolExecutor(CONCURRENCY) as pool:
            answers = list(pool.map(send, range(REQUESTS)))
        statuses = [status for status, _, _ in answers]
        assert not [s for s in statuses if s >= 500]
        assert statuses.count(200) == REQUESTS

        saved = {
            answer["image"]["key"]: (i, answer)
            for i, (_, answer, _) in enumerate(answers)
            if answer["saved"] is True
        }
        assert len(saved) == sum(1 for _, a, _ in answers if a["saved"] is True) == REQUESTS

        s3 = stack.s3_client()
        paginator = s3.get_paginator("list_objects_v2")
        stored = [
            o["Key"]
            for page in paginator.paginate(Bucket=stack.bucket)
            for o in page.get("Contents", [])
        ]
        assert sorted(stored) == sorted(saved)

        def check(key: str) -> None:
            i, answer = saved[key]
            kind, data = sent[i]
            stored_object = s3.get_object(Bucket=stack.bucket, Key=key)
            assert stored_object["Body"].read() == data
            assert stored_object["ContentType"] == "image/png"
            assert stored_object["Metadata"] == {
                "prediction": str(answer["digit"]),
                "confidence": f"{answer['confidence']:.6f}",
                "source": kind,
                "model-version": answer["model"]["version"],
                "receipt-sha256": receipt_digest(answer["receipt"]),
            }

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(check, saved))


@pytest.fixture
def moto_port():
    """A loopback port for a moto S3 server that the test stops and brings back."""
    port = free_port()
    servers: list[ThreadedMotoServer] = []
    yield port, servers
    # The test stops all but the last one it started.
    if servers:
        servers[-1].stop()


def start_moto(port: int, servers: list[ThreadedMotoServer]) -> None:
    server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    server.start()
    servers.append(server)


def test_s3_outage_mid_run_still_answers_then_saving_resumes(digits, moto_port):
    port, servers = moto_port
    start_moto(port, servers)
    endpoint = f"http://{HOST}:{port}"
    bucket = "digits-fault-test"
    connect_timeout, read_timeout, attempts = 0.5, 1.0, 2
    env = {
        "AWS_ENDPOINT_URL_S3": endpoint,  # overrides the stack's own moto: this one can be stopped
        "IMAGES_BUCKET": bucket,
        "S3_CONNECT_TIMEOUT": str(connect_timeout),
        "S3_READ_TIMEOUT": str(read_timeout),
        "S3_MAX_ATTEMPTS": str(attempts),
    }
    # boto3's standard retries wait under a second between two attempts; the rest is slack for
    # a busy 2-core machine. A request still unanswered past it is a hang: the client gives up
    # and the request counts as failed.
    bound = attempts * (connect_timeout + read_timeout) + attempts * 1.0 + 4.0
    images, _ = digits
    # (sent, done, status, answer) per request, times from time.monotonic()
    results: list[tuple[float, float, int, dict]] = []
    marks: dict[str, float] = {}
    stop = threading.Event()

    def client(offset: int) -> None:
        i = offset
        while not stop.is_set():
            kind = "canvas" if i % 2 else "upload"
            body = body_for(kind, canvas_png(images[i % DIGITS]))
            sent = time.monotonic()
            try:
                status, answer, _ = post(stack.function_url, *body, timeout=bound)
            except OSError as error:  # recorded, so the assertions below see it
                status, answer = -1, {"error": str(error)}
            results.append((sent, time.monotonic(), status, answer))
            i += 4

    with start_stack(env=env) as stack:
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        s3.head_bucket(Bucket=bucket)  # made by start_stack, in moto's state shared per process
        threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(2)
            marks["stop"] = time.monotonic()
            servers[0].stop()  # also closes its socket: connections are refused
            time.sleep(3)
            # Then an S3 that accepts connections and never answers: reads must time out.
            with socket.create_server((HOST, port), backlog=256):
                marks["hang"] = time.monotonic()
                time.sleep(bound)
            marks["restart"] = time.monotonic()
            start_moto(port, servers)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                back = [a for sent, _, _, a in results if sent > marks["restart"]]
                if len(back) >= 8 and all(a["saved"] for a in back[-4:]):
                    break
                time.sleep(0.2)
        finally:
            stop.set()
            for thread in threads:
                thread.join(TIMEOUT)

    assert [status for *_, status, _ in results if status != 200] == []
    before = [a for _, done, _, a in results if done < marks["stop"]]
    assert before
    assert all(a["saved"] for a in before)
    for name, start, end in (
        ("refused", marks["stop"], marks["hang"]),
        ("hanging", marks["hang"], marks["restart"]),
    ):
        during = [a for sent, done, _, a in results if sent > start and done < end]
        assert during, f"no request was answered while S3 was {name}"
        for answer in during:
            assert answer["saved"] is False
            assert answer["image"] == {"key": None, "url": None}
            assert "could not be saved" in answer["warning"]
            assert answer["digit"] in range(10)
    back = [a for sent, _, _, a in results if sent > marks["restart"]]
    assert len(back) >= 8
    assert all(a["saved"] for a in back[-4:])
    for answer in back[-4:]:
        s3.head_object(Bucket=bucket, Key=answer["image"]["key"])

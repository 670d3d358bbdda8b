"""Load and faults over real HTTP on loopback: functions-framework + moto's S3 server.

1,000 mixed canvas and upload requests at concurrency 16 keep every image, byte for byte, with its
metadata. With the S3 emulator stopped mid-run, predictions keep coming (``"saved": false`` and a
warning) within the configured S3 timeouts; once it is back on the same port, saving resumes.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import threading
import urllib.parse
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from moto.server import ThreadedMotoServer
from PIL import Image

from digits.storage.receipts import receipt_digest
from infra.local_stack import start_stack
from infra.servers import HOST, free_port, s3_client
from tests.images import encode

REQUESTS = 1000
CONCURRENCY = 16
DIGITS = 50
TIMEOUT = 60
# Answers within one phase of the outage test after which it gives up waiting for what it expects.
PHASE_ANSWERS = 200


def canvas_png(digit) -> bytes:
    """The digit as the page's canvas exports it: dark ink on a transparent background."""
    ink = Image.fromarray(digit).resize((112, 112), Image.Resampling.BILINEAR)
    canvas = Image.new("RGBA", ink.size, (17, 17, 17, 0))
    canvas.putalpha(ink)
    return encode(canvas, "PNG")


def scan_png(digit) -> bytes:
    """The digit as an uploaded scan: dark ink on white."""
    image = Image.fromarray(255 - digit).resize((112, 112), Image.Resampling.BILINEAR)
    return encode(image, "PNG")


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
) -> tuple[int, dict]:
    """POST to /predict on a new connection; return the status and the JSON body."""
    url = urllib.parse.urlsplit(function_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    try:
        connection.request("POST", "/predict", body=body, headers={"Content-Type": content_type})
        response = connection.getresponse()
        status, data = response.status, response.read()
    finally:
        connection.close()
    return status, json.loads(data)


@pytest.fixture(scope="module")
def digits(readable_digits):
    images, labels = readable_digits
    return images[:DIGITS], labels[:DIGITS]


def stored_keys(stack) -> set[str]:
    paginator = stack.s3_client().get_paginator("list_objects_v2")
    pages = paginator.paginate(Bucket=stack.bucket)
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def test_a_thousand_mixed_requests_keep_every_image(local_stack, digits):
    images, _ = digits
    sent = [
        ("canvas", canvas_png(images[i % DIGITS]))
        if i % 2 == 0
        else ("upload", scan_png(images[i % DIGITS]))
        for i in range(REQUESTS)
    ]
    before = stored_keys(local_stack)

    def send(i: int):
        kind, data = sent[i]
        return post(local_stack.function_url, *body_for(kind, data))

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        answers = list(pool.map(send, range(REQUESTS)))
    statuses = [status for status, _ in answers]
    assert not [s for s in statuses if s >= 500]
    assert statuses.count(200) == REQUESTS

    saved = {
        answer["image"]["key"]: (i, answer)
        for i, (_, answer) in enumerate(answers)
        if answer["saved"] is True
    }
    assert len(saved) == sum(1 for _, a in answers if a["saved"] is True) == REQUESTS
    # The bucket is shared: what is new in it is exactly what these requests stored.
    assert stored_keys(local_stack) - before == set(saved)

    s3 = local_stack.s3_client()

    def check(key: str) -> None:
        i, answer = saved[key]
        kind, data = sent[i]
        stored_object = s3.get_object(Bucket=local_stack.bucket, Key=key)
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


@dataclass(frozen=True)
class Answer:
    """One request's outcome, and whether S3 stayed in one state from sending to answer."""

    phase: str  # what S3 was doing when the request was sent
    whole: bool  # still that when it was answered
    status: int
    body: dict


class LoadGenerator:
    """Clients that POST digits in a loop, each answer kept with the phase S3 was in.

    The test moves S3 from phase to phase and waits on the answers (a condition variable), never
    on the clock: the only bound is the client's timeout, within which every request is answered
    or counted as failed.
    """

    def __init__(self, function_url: str, images, timeout: float) -> None:
        self.function_url, self.images, self.timeout = function_url, images, timeout
        self.phase = "up"
        self.answers: list[Answer] = []
        self.changed = threading.Condition()
        self.stopped = threading.Event()

    def client(self, offset: int) -> None:
        i = offset
        while not self.stopped.is_set():
            kind = "canvas" if i % 2 else "upload"
            body = body_for(kind, canvas_png(self.images[i % DIGITS]))
            with self.changed:
                phase = self.phase
            try:
                status, answer = post(self.function_url, *body, timeout=self.timeout)
            except OSError as error:  # recorded, so the assertions see it
                status, answer = -1, {"error": str(error)}
            with self.changed:
                self.answers.append(Answer(phase, phase == self.phase, status, answer))
                self.changed.notify_all()
            i += 4

    def enter(self, phase: str) -> None:
        """Count answers to requests sent from now on in ``phase``."""
        with self.changed:
            self.phase = phase

    def within(self, phase: str) -> list[dict]:
        """Return the answers to requests sent and answered in ``phase``, in answer order."""
        return [a.body for a in self.answers if a.phase == phase and a.whole]

    def wait_until(self, phase: str, enough: Callable[[list[dict]], bool]) -> None:
        """Wait until the answers within ``phase`` are ``enough``; fail past PHASE_ANSWERS."""
        with self.changed:
            while not enough(self.within(phase)):
                assert len(self.within(phase)) < PHASE_ANSWERS, f"S3 {phase}: never enough"
                # Woken by the next answer (a client's notify) or, failing that, the timeout.
                answered = self.changed.wait(self.timeout)
                assert answered, f"no answer within the client's timeout while S3 was {phase}"


def test_s3_outage_mid_run_still_answers_then_saving_resumes(digits, moto_port):
    port, servers = moto_port
    start_moto(port, servers)
    endpoint = f"http://{HOST}:{port}"
    connect_timeout, read_timeout, attempts = 0.5, 1.0, 2
    # A stack of its own: its S3 is this moto, which the test stops, replaces with a socket that
    # never answers, and brings back; and its S3 timeouts are short, so a request waits for them.
    env = {
        "AWS_ENDPOINT_URL_S3": endpoint,  # overrides the stack's own moto: this one can be stopped
        "IMAGES_BUCKET": "digits-fault-test",
        "S3_CONNECT_TIMEOUT": str(connect_timeout),
        "S3_READ_TIMEOUT": str(read_timeout),
        "S3_MAX_ATTEMPTS": str(attempts),
    }
    # The client's timeout: boto3's standard retries wait under a second between two attempts;
    # the rest is slack for a busy 2-core machine. A request still unanswered past it is a hang:
    # the client gives up and the request counts as failed.
    bound = attempts * (connect_timeout + read_timeout) + attempts * 1.0 + 4.0
    images, _ = digits

    with start_stack(env=env) as stack:
        s3 = s3_client(endpoint)
        s3.head_bucket(Bucket=stack.bucket)  # made by start_stack in moto's in-process state
        load = LoadGenerator(stack.function_url, images, bound)
        threads = [threading.Thread(target=load.client, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        try:
            load.wait_until("up", lambda up: len(up) >= 4)
            servers[0].stop()  # also closes its socket: connections are refused
            load.enter("refused")
            load.wait_until("refused", lambda refused: len(refused) >= 4)
            # Then an S3 that accepts connections and never answers: reads must time out.
            with socket.create_server((HOST, port), backlog=256):
                load.enter("hanging")
                load.wait_until("hanging", lambda hanging: len(hanging) >= 4)
                # What is sent from here may meet either S3: it counts for no phase.
                load.enter("restarting")
            start_moto(port, servers)
            load.enter("back")
            load.wait_until(
                "back", lambda back: len(back) >= 8 and all(a["saved"] for a in back[-4:])
            )
        finally:
            load.stopped.set()
            for thread in threads:
                thread.join(TIMEOUT)

    assert [a.status for a in load.answers if a.status != 200] == []
    assert all(a["saved"] for a in load.within("up"))
    for phase in ("refused", "hanging"):
        for answer in load.within(phase):
            assert answer["saved"] is False
            assert answer["image"] == {"key": None, "url": None}
            assert "could not be saved" in answer["warning"]
            assert answer["digit"] in range(10)
    back = load.within("back")
    assert all(a["saved"] for a in back[-4:])
    for answer in back[-4:]:
        s3.head_object(Bucket=stack.bucket, Key=answer["image"]["key"])

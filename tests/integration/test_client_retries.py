"""The command-line client retries a request that timed out, and the function stores it once.

The real local stack (moto's S3, the function under functions-framework) behind a proxy on
loopback that passes the function's first answer to no one: it holds it until the client, its
read timeout past, closes the connection, as an answer lost on a slow network is. The client
retries with the request's Idempotency-Key, and gets the first answer.
"""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from PIL import Image

from digits.storage import keys
from infra.servers import HOST
from tests.images import encode


class FirstAnswerLost(ThreadingHTTPServer):
    """Forwards every POST to the function; keeps the first answer from the client."""

    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__((HOST, 0), _Forward)
        self.upstream = urlsplit(upstream)
        self.forwarded: list[str] = []
        self.lost = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}"


class _Forward(BaseHTTPRequestHandler):
    server: FirstAnswerLost

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        upstream = http.client.HTTPConnection(
            self.server.upstream.hostname, self.server.upstream.port, timeout=60
        )
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        upstream.request("POST", self.path, body=body, headers=headers)
        answer = upstream.getresponse()
        payload = answer.read()
        upstream.close()
        with self.server.lock:
            self.server.forwarded.append(self.headers.get("Idempotency-Key", ""))
            lose = self.server.lost == 0
            self.server.lost += lose
        if lose:
            # Wait for the client to give up and close the connection; answer no one.
            self.connection.settimeout(60)
            while self.connection.recv(1, socket.MSG_PEEK):
                pass
            self.close_connection = True
            return
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "connection"):
                self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def proxy(local_stack) -> Iterator[FirstAnswerLost]:
    server = FirstAnswerLost(local_stack.function_url)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def scans(folder, mnist_test, count: int) -> None:
    images, _ = mnist_test
    for index in range(count):
        image = Image.fromarray(255 - images[index]).resize((112, 112))
        (folder / f"{index}.png").write_bytes(encode(image, "PNG"))


def image_keys(stack) -> set[str]:
    """Every image key in the stack's bucket (shared with other tests: compare before and after)."""
    pages = stack.s3_client().get_paginator("list_objects_v2")
    listed = pages.paginate(Bucket=stack.bucket, Prefix=keys.PREFIX)
    return {item["Key"] for page in listed for item in page.get("Contents", [])}


def test_the_cli_retries_a_timed_out_batch_without_storing_an_image_twice(
    local_stack, proxy, tmp_path, mnist_test
):
    scans(tmp_path, mnist_test, 3)
    before = image_keys(local_stack)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "digits_client",
            "predict",
            str(tmp_path),
            "--url",
            proxy.url,
            "--timeout",
            "3",
            "--backoff",
            "0.001",
            "--max-wait",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["saved"] for line in lines] == [True, True, True]
    assert proxy.lost == 1
    # The retry (and any 409 "in progress" on the way) carried the first attempt's key.
    assert len(proxy.forwarded) >= 2
    assert len(set(proxy.forwarded)) == 1
    assert proxy.forwarded[0]
    assert "retry 1 of 5" in done.stderr
    stored = sorted(image_keys(local_stack) - before)
    assert stored == sorted(line["key"] for line in lines)

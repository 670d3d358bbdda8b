"""The command-line client (digits_client) against the real local stack and against test servers.

The test servers answer like the function's batch route, after a script of 429s, 503s and dropped
connections, so that retries and giving up are seen from outside: exit status, lines, stderr.
Waits are kept tiny with --backoff; only the Retry-After test waits the 1 s the server asks.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image

from digits.config import MAX_BATCH_IMAGES
from digits_client.files import collect
from digits_client.predicting import predict
from digits_client.transport import Client, RetryPolicy
from infra.servers import free_port
from tests.images import encode

FOLDER_DIGITS = 300
FAST = ("--backoff", "0.001", "--max-wait", "5")


def png(image: Image.Image) -> bytes:
    return encode(image, "PNG")


def paper_png(digit) -> bytes:
    """A scan-like image: dark ink on white paper, greyscale, larger than MNIST's 28x28."""
    return png(Image.fromarray(255 - digit).resize((112, 112), Image.Resampling.BILINEAR))


BLANK = png(Image.new("L", (120, 120), 255))


def corrupt_png() -> bytes:
    whole = png(Image.new("L", (64, 64), 128))
    return whole[: len(whole) // 2]


def run_cli(*args: str, program: tuple[str, ...] = (sys.executable, "-m", "digits_client")):
    """Run the client as a user would; return the finished process (stdout and stderr as text)."""
    return subprocess.run(
        [*program, *args], capture_output=True, text=True, timeout=240, check=False
    )


def lines_of(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


@pytest.fixture(scope="module")
def folder(tmp_path_factory, mnist_test) -> tuple[Path, dict[str, int]]:
    """A few hundred digit images in nested folders, and the right label of each file."""
    images, digits = mnist_test
    root = tmp_path_factory.mktemp("scans")
    labels = {}
    for i in range(FOLDER_DIGITS):
        path = root / f"box{i % 3}" / f"{i:03d}.png"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(paper_png(images[i]))
        labels[str(path)] = int(digits[i])
    return root, labels


# ---- test servers -----------------------------------------------------------------------


class ScriptedServer:
    """Answers POST /predict/batch like the function, after the scripted failures in ``script``.

    Each step is ``(status, headers)`` to answer with, or ``"drop"`` to close the connection
    without an answer. Once the script is used up, each image gets a 200 answer (digit = its
    size mod 10); one whose bytes start with b"bad" gets an ``invalid_image`` error.
    """

    def __init__(self, script: list) -> None:
        self.script = list(script)
        self.requests: list[int] = []
        self.lock = threading.Lock()
        handler = type("Handler", (_ScriptedHandler,), {"server_state": self})
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"

    def next_step(self, images: int):
        with self.lock:
            self.requests.append(images)
            return self.script.pop(0) if self.script else None


class _ScriptedHandler(BaseHTTPRequestHandler):
    server_state: ScriptedServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        header = f"Content-Type: {self.headers.get('Content-Type', '')}\r\n\r\n".encode()
        message = email.message_from_bytes(header + body, policy=email.policy.HTTP)
        images = [part.get_payload(decode=True) for part in message.iter_parts()]
        step = self.server_state.next_step(len(images))
        if step == "drop":
            self.close_connection = True
            return
        if step is not None:
            status, headers = step
            code = {404: "not_found", 429: "throttled"}.get(status, "unavailable")
            self._answer(status, {"error": {"code": code, "message": "not now"}}, headers)
            return
        results = [
            {"error": {"code": "invalid_image", "message": "corrupt"}}
            if data.startswith(b"bad")
            else {
                "digit": len(data) % 10,
                "confidence": 0.9,
                "image": {"key": f"images/test/{len(data)}.png", "url": None},
                "receipt": "receipt",
                "saved": True,
            }
            for data in images
        ]
        self._answer(200, {"results": results})

    def _answer(self, status: int, document: dict, headers: dict | None = None) -> None:
        data = json.dumps(document).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def scripted() -> Iterator:
    """Return a factory of running ScriptedServers, all stopped after the test."""
    servers = []

    def start(script: list) -> ScriptedServer:
        server = ScriptedServer(script)
        threading.Thread(target=server.http.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.http.shutdown()
        server.http.server_close()


@pytest.fixture
def small_files(tmp_path) -> list[str]:
    """Three files the test servers answer for: two 'images' and one they call corrupt."""
    paths = []
    for name, data in (("a.png", b"12345"), ("b.png", b"bad!"), ("c.png", b"1234567")):
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    return paths


def test_a_429_with_retry_after_is_waited_for_and_retried(scripted, small_files):
    server = scripted([(429, {"Retry-After": "1"})])
    done = run_cli("predict", "--url", server.url, *FAST, *small_files)
    assert server.requests == [3, 3]
    assert "HTTP 429; retry 1 of 5 in 1.00 s (as the server's Retry-After asks)" in done.stderr
    lines = lines_of(done.stdout)
    assert [line["file"] for line in lines] == small_files
    assert [line.get("digit") for line in lines] == [5, None, 7]
    assert lines[1]["error"]["code"] == "invalid_image"
    assert done.returncode == 1  # b.png is corrupt: that file alone fails
    assert "1 of 3 files failed" in done.stderr


def test_503s_and_a_dropped_connection_are_retried_until_an_answer(scripted, small_files):
    server = scripted([(503, {}), "drop", (503, {})])
    done = run_cli("predict", "--url", server.url, *FAST, small_files[0], small_files[2])
    assert done.returncode == 0, done.stderr
    assert server.requests == [2, 2, 2, 2]
    assert "connection failed" in done.stderr
    assert [line["digit"] for line in lines_of(done.stdout)] == [5, 7]


def test_a_server_that_keeps_throttling_is_given_up_on_cleanly(scripted, small_files):
    server = scripted([(429, {})] * 100)
    args = ("--retries", "2", "--batch-size", "1", "--concurrency", "1")
    done = run_cli("predict", "--url", server.url, *FAST, *args, *small_files)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    # The first batch is tried 3 times; after it is given up on the others are not sent.
    assert server.requests == [1, 1, 1]
    lines = lines_of(done.stdout)
    assert [line["file"] for line in lines] == small_files
    assert lines[0]["error"]["code"] == "throttled"
    assert "gave up after 2 retries: HTTP 429" in lines[0]["error"]["message"]
    assert [line["error"]["code"] for line in lines[1:]] == ["not_sent", "not_sent"]
    assert "3 of 3 files failed" in done.stderr


def test_a_server_that_is_down_is_a_clean_failure(small_files):
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens: connections are refused
    done = run_cli("predict", "--url", closed, *FAST, "--retries", "1", small_files[0])
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    (line,) = lines_of(done.stdout)
    assert line["error"]["code"] == "unreachable"
    assert "no answer from" in line["error"]["message"]


def test_a_server_without_the_batch_route_is_named_as_such(scripted, small_files):
    server = scripted([(404, {})])
    args = ("--batch-size", "1", "--concurrency", "1")
    done = run_cli("predict", "--url", server.url, *FAST, *args, *small_files)
    assert done.returncode == 1
    assert server.requests == [1]
    lines = lines_of(done.stdout)
    assert lines[0]["error"]["code"] == "not_found"
    assert "deployed since POST /predict/batch was added?" in lines[0]["error"]["message"]
    assert [line["error"]["code"] for line in lines[1:]] == ["not_sent", "not_sent"]


def test_every_file_gets_its_line_in_order_across_batches_in_flight(scripted, tmp_path):
    files = []
    for i in range(70):
        (tmp_path / f"{i:02d}.png").write_bytes(b"x" * (i + 1))
        files.append(str(tmp_path / f"{i:02d}.png"))
    server = scripted([])
    done = run_cli("predict", "--url", server.url, "--concurrency", "3", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert sorted(server.requests) == [6, 32, 32]
    lines = lines_of(done.stdout)
    assert [line["file"] for line in lines] == files
    assert [line["digit"] for line in lines] == [(i + 1) % 10 for i in range(70)]


def run_with_terminal_stderr(*args: str) -> str:
    """Run the client with stderr on a pseudo-terminal of 100 columns; return what it showed."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    with subprocess.Popen(
        [sys.executable, "-m", "digits_client", *args],
        stdout=subprocess.DEVNULL,
        stderr=terminal,
    ) as process:
        os.close(terminal)
        shown = b""
        with contextlib.suppress(OSError):  # EIO once the client has exited
            while chunk := os.read(controller, 65536):
                shown += chunk
        process.wait(60)
    os.close(controller)
    return shown.decode(errors="replace")


def test_a_progress_bar_on_a_terminal_but_not_when_piped(scripted, tmp_path):
    for i in range(12):
        (tmp_path / f"{i:02d}.png").write_bytes(b"x" * (i + 1))
    server = scripted([])
    shown = run_with_terminal_stderr("predict", "--url", server.url, str(tmp_path))
    assert "12/12" in shown
    piped = run_cli("predict", "--url", server.url, str(tmp_path))
    assert piped.returncode == 0
    assert piped.stderr == ""
    assert len(piped.stdout.splitlines()) == 12


# ---- the real local stack ---------------------------------------------------------------


def test_a_batch_of_good_corrupt_and_blank_images_is_answered_image_by_image(
    local_stack, tmp_path, mnist_test
):
    images, labels = mnist_test
    sent = {
        "one.png": paper_png(images[0]),
        "corrupt.png": corrupt_png(),
        "blank.png": BLANK,
        "two.png": paper_png(images[1]),
    }
    for name, data in sent.items():
        (tmp_path / name).write_bytes(data)
    entries = collect([str(tmp_path / name) for name in sent])
    outcomes = list(predict(entries, Client(local_stack.function_url, RetryPolicy(retries=0))))
    assert [Path(o.file).name for o in outcomes] == list(sent)
    first, corrupt, blank, second = outcomes
    assert first.answer["digit"] == int(labels[0])
    assert second.answer["digit"] == int(labels[1])
    assert corrupt.error["code"] == "invalid_image"
    assert blank.error["code"] == "nothing_drawn"
    s3 = local_stack.s3_client()
    for outcome, name in ((first, "one.png"), (second, "two.png")):
        assert outcome.answer["saved"] is True
        assert outcome.answer["receipt"]
        stored = s3.get_object(Bucket=local_stack.bucket, Key=outcome.answer["image"]["key"])
        assert stored["Body"].read() == sent[name]
    assert first.answer["image"]["key"] != second.answer["image"]["key"]


def test_every_image_of_a_batch_is_stored(local_stack, tmp_path, mnist_test):
    images, _ = mnist_test
    for i in range(MAX_BATCH_IMAGES):  # one full batch
        (tmp_path / f"{i:02d}.png").write_bytes(paper_png(images[100 + i]))
    outcomes = list(predict(collect([str(tmp_path)]), Client(local_stack.function_url)))
    assert all(o.ok for o in outcomes)
    keys = {o.answer["image"]["key"] for o in outcomes}
    assert len(keys) == MAX_BATCH_IMAGES
    s3 = local_stack.s3_client()
    for outcome in outcomes:
        stored = s3.get_object(Bucket=local_stack.bucket, Key=outcome.answer["image"]["key"])
        assert stored["Body"].read() == Path(outcome.file).read_bytes()


def test_the_cli_on_a_folder_prints_one_line_per_file_with_the_right_digits(local_stack, folder):
    root, labels = folder
    console_script = (str(Path(sys.executable).parent / "digits"),)
    done = run_cli("predict", "--url", local_stack.function_url, str(root), program=console_script)
    lines = lines_of(done.stdout)
    assert [line["file"] for line in lines] == sorted(labels, key=lambda f: Path(f).parts)
    # The model may refuse a badly written digit as not a digit: that file's line says so, the
    # summary on stderr names it, and the exit status says that not every file was read.
    refused = [line for line in lines if "error" in line]
    assert all(line["error"]["code"] == "not_a_digit" for line in refused)
    assert done.returncode == (1 if refused else 0), done.stderr
    assert all(Path(line["file"]).name in done.stderr for line in refused)
    read = [line for line in lines if "error" not in line]
    right = sum(line["digit"] == labels[line["file"]] for line in read)
    # A bound well under the model's accuracy on scan-like MNIST digits (bench/RESULTS.md, "scan").
    assert right >= 0.95 * len(labels)
    assert all(line["key"] and line["receipt"] and line["saved"] for line in read)


def test_feedback_with_the_receipt_from_predict_is_recorded(local_stack, tmp_path, mnist_test):
    images, _ = mnist_test
    image = tmp_path / "seven.png"
    image.write_bytes(paper_png(images[0]))
    (line,) = lines_of(run_cli("predict", "--url", local_stack.function_url, str(image)).stdout)
    url = ("--url", local_stack.function_url)
    done = run_cli("feedback", *url, line["key"], "3", "--receipt", line["receipt"])
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert (answer["key"], answer["label"]) == (line["key"], 3)
    wrong = run_cli("feedback", *url, line["key"], "3", "--receipt", "not-the-receipt")
    assert wrong.returncode != 0
    assert wrong.stdout == ""
    assert "feedback refused: HTTP 4" in wrong.stderr

"""Run the whole app on loopback: S3 (moto), the function (functions-framework) and the page.

``make dev`` runs ``python -m infra.local_stack``; tests and the benchmark use ``start_stack``.
Ctrl-C, SIGINT or SIGTERM stops all of it: moto and the page run in this process, the function
runs in its own process group, which is signalled as a whole.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "site"
MAIN = REPO / "functions" / "main.py"
HOST = "127.0.0.1"
REGION = "us-east-1"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
DEFAULT_BUCKET = "digits-images"
READY_SECONDS = 60.0
STOP_SECONDS = 10.0
# Inherited settings that would send the function to real AWS instead of moto.
UNSET = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL")
# gunicorn under functions-framework runs 4 threads per core by default. Predictions are CPU-bound
# (one GIL), so past 2 per core extra threads add no throughput, only peak memory (make bench:
# 150 MB with 8 threads, 117 MB with 4, same requests/s). The environment can still override it.
SERVER_DEFAULTS = {"THREADS": "4"}


@dataclass
class Stack:
    """Where the running local stack answers."""

    function_url: str
    site_url: str
    s3_endpoint: str
    bucket: str
    process: subprocess.Popen | None = field(default=None, repr=False)

    def s3_client(self):
        """Return a boto3 S3 client for the stack's moto server."""
        return boto3.client(
            "s3",
            endpoint_url=self.s3_endpoint,
            region_name=REGION,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def config_js(function_url: str, source: Path = SITE / "config.js") -> bytes:
    """Return the page's config.js pointing at ``function_url``."""
    literal = f'"{function_url}"'
    text = source.read_text() if source.is_file() else ""
    pattern = re.compile(r"""(FUNCTION_URL\s*=\s*)(["'])[^"']*\2""")
    if pattern.search(text):
        text = pattern.sub(lambda m: m.group(1) + literal, text, count=1)
    else:
        text = f"export const FUNCTION_URL = {literal};\n"
    return text.encode()


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    config: bytes = b""
    quiet = False
    extensions_map = {  # noqa: RUF012 -- the stdlib declares it as a class attribute
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
    }

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] == "/config.js":
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript")
            self.send_header("Content-Length", str(len(self.config)))
            self.end_headers()
            self.wfile.write(self.config)
            return
        super().do_GET()

    def end_headers(self) -> None:
        # Local development: every reload shows the files as they are now.
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        if not self.quiet:
            super().log_message(format, *args)


def _site_server(port: int, function_url: str, quiet: bool) -> http.server.ThreadingHTTPServer:
    handler = type(
        "SiteHandler", (_SiteHandler,), {"config": config_js(function_url), "quiet": quiet}
    )
    server = http.server.ThreadingHTTPServer(
        (HOST, port), functools.partial(handler, directory=str(SITE))
    )
    server.daemon_threads = True
    return server


def _function_command(port: int) -> list[str]:
    script = Path(sys.executable).parent / "functions-framework"
    if not script.exists():
        script = shutil.which("functions-framework") or script
    return [
        str(script),
        *("--target", "predict", "--source", str(MAIN)),
        *("--host", HOST, "--port", str(port)),
    ]


def _function_env(s3_endpoint: str, bucket: str, site_port: int, extra: dict) -> dict[str, str]:
    env = {**SERVER_DEFAULTS, **{k: v for k, v in os.environ.items() if k not in UNSET}}
    env.update(FAKE_CREDENTIALS)
    env.update(
        AWS_DEFAULT_REGION=REGION,
        AWS_ENDPOINT_URL_S3=s3_endpoint,
        IMAGES_BUCKET=bucket,
        SITE_PORT=str(site_port),
        ALLOWED_ORIGINS=f"http://{HOST}:{site_port},http://localhost:{site_port}",
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _wait_ready(process: subprocess.Popen, url: str, timeout: float = READY_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the function exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the function did not answer {url}/health within {timeout:.0f} s")


def _stop_group(process: subprocess.Popen) -> None:
    # The function runs in a process group of its own (gunicorn master and worker): stop it all.
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(STOP_SECONDS)


@contextlib.contextmanager
def start_stack(
    function_port: int = 0, site_port: int = 0, env: dict | None = None, *, quiet: bool = True
) -> Iterator[Stack]:
    """Start moto's S3 server, the bucket, the function and the page; stop them all on exit.

    Port 0 picks a free port. ``env`` adds to or overrides the function's environment.
    """
    env = dict(env or {})
    bucket = env.get("IMAGES_BUCKET", DEFAULT_BUCKET)
    with contextlib.ExitStack() as cleanup:
        # moto's server logs every S3 request through werkzeug's logger: noise next to the
        # function's own log.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        moto = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
        moto.start()
        cleanup.callback(moto.stop)
        s3_endpoint = "http://{}:{}".format(*moto.get_host_and_port())

        function_port = function_port or free_port()
        function_url = f"http://{HOST}:{function_port}"
        site = _site_server(site_port, function_url, quiet)
        cleanup.callback(site.server_close)
        site_port = site.server_address[1]
        threading.Thread(target=site.serve_forever, name="site", daemon=True).start()
        cleanup.callback(site.shutdown)

        stack = Stack(function_url, f"http://{HOST}:{site_port}", s3_endpoint, bucket)
        stack.s3_client().create_bucket(Bucket=bucket)

        process = subprocess.Popen(
            _function_command(function_port),
            cwd=REPO,
            env=_function_env(s3_endpoint, bucket, site_port, env),
            start_new_session=True,
        )
        cleanup.callback(_stop_group, process)
        stack.process = process
        _wait_ready(process, function_url)
        yield stack


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main() -> int:
    """Run the stack on FUNCTION_PORT and SITE_PORT until interrupted."""
    # Installed explicitly: a shell starting this in the background leaves SIGINT ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    function_port = int(os.environ.get("FUNCTION_PORT", "8080"))
    site_port = int(os.environ.get("SITE_PORT", "8000"))
    try:
        with start_stack(function_port, site_port, quiet=False) as stack:
            print(
                f"page      {stack.site_url}/\n"
                f"function  {stack.function_url}  (try {stack.function_url}/health)\n"
                f"s3 (moto) {stack.s3_endpoint}  bucket {stack.bucket}\n"
                "Ctrl-C stops everything.",
                flush=True,
            )
            while stack.process is not None and stack.process.poll() is None:
                time.sleep(0.5)
            print(f"the function exited with status {stack.process.returncode}", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        print("\nstopped", flush=True)
        return 0


if __name__ == "__main__":
    sys.exit(main())

"""Run the whole app on loopback: S3 (moto), the function (functions-framework) and the page.

``make dev`` runs ``python -m infra.local_stack``; the tests use ``start_stack``. moto and the
function are launched by ``infra.servers``, as the benchmark launches them. Ctrl-C, SIGINT or
SIGTERM stops all of it: moto and the page run in this process, the function runs in its own
process group, which is signalled as a whole.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from digits import config
from digits.config import DEFAULT_BUCKET, Settings
from infra.bucket import announce_dev_stack, forget_dev_stack
from infra.servers import (
    HOST,
    MAIN,
    REPO,
    free_port,
    function_env,
    moto_server,
    s3_client,
    start_function,
    stop_group,
    wait_ready,
)
from infra.site_config import config_js

SITE = REPO / "site"


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
        return s3_client(self.s3_endpoint)


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


def _site_server(port: int, config: str, quiet: bool) -> http.server.ThreadingHTTPServer:
    handler = type("SiteHandler", (_SiteHandler,), {"config": config.encode(), "quiet": quiet})
    server = http.server.ThreadingHTTPServer(
        (HOST, port), functools.partial(handler, directory=str(SITE))
    )
    server.daemon_threads = True
    return server


@contextlib.contextmanager
def start_stack(
    function_port: int = 0,
    site_port: int = 0,
    env: dict | None = None,
    *,
    quiet: bool = True,
    moto_process: bool = False,
) -> Iterator[Stack]:
    """Start moto's S3 server, the bucket, the function and the page; stop them all on exit.

    Port 0 picks a free port. ``env`` adds to or overrides the function's environment.
    ``moto_process`` runs moto in a process of its own (see servers.moto_server).
    """
    env = dict(env or {})
    bucket = env.get("IMAGES_BUCKET", DEFAULT_BUCKET)
    with contextlib.ExitStack() as cleanup:
        moto_log = Path(os.devnull) if quiet else None  # moto's process logs every request
        s3_endpoint = cleanup.enter_context(moto_server(own_process=moto_process, log=moto_log))

        function_port = function_port or free_port()
        function_url = f"http://{HOST}:{function_port}"
        site_port = site_port or free_port()
        # The page's origins and its upload limit are the function's own defaults for this port.
        defaults = Settings.from_env({"SITE_PORT": str(site_port), **env})
        origins = ",".join(defaults.allowed_origins)
        settings = {"SITE_PORT": site_port, "ALLOWED_ORIGINS": origins, **env}
        environment = function_env(s3_endpoint, bucket, settings)
        page_config = config_js(function_url, Settings.from_env(environment).max_body_bytes)
        site = _site_server(site_port, page_config, quiet)
        cleanup.callback(site.server_close)
        threading.Thread(target=site.serve_forever, name="site", daemon=True).start()
        cleanup.callback(site.shutdown)

        stack = Stack(function_url, f"http://{HOST}:{site_port}", s3_endpoint, bucket)
        stack.s3_client().create_bucket(Bucket=bucket)

        process = start_function(MAIN, function_port, environment)
        cleanup.callback(stop_group, process)
        stack.process = process
        wait_ready(process, function_url)
        yield stack


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main() -> int:
    """Run the stack on FUNCTION_PORT and SITE_PORT until interrupted."""
    # Installed explicitly: a shell starting this in the background leaves SIGINT ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with start_stack(config.function_port(), config.site_port(), quiet=False) as stack:
            announce_dev_stack(stack.s3_endpoint, stack.bucket)
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
    finally:
        forget_dev_stack()


if __name__ == "__main__":
    sys.exit(main())

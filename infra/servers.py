"""Start and stop the servers behind the local stack and the benchmark: moto's S3 and the function.

``infra.local_stack`` (``make dev``, the HTTP and browser tests) and ``bench`` both launch the
function with ``function_env``, ``start_function``, ``wait_ready`` and ``stop_group``, and S3 with
``moto_server``, so the two serve it the same way.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

REPO = Path(__file__).resolve().parents[1]
MAIN = REPO / "functions" / "main.py"
HOST = "127.0.0.1"
REGION = "us-east-1"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
READY_SECONDS = 60.0
STOP_SECONDS = 10.0
# Inherited settings that would send the function to real AWS instead of moto.
UNSET = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL")
# gunicorn under functions-framework runs 4 threads per core by default. Predictions are CPU-bound
# (one GIL), so past 2 per core extra threads add no throughput, only peak memory; make dev and the
# bench serve with 4 (bench/RESULTS.md: the memory and throughput that gives). The environment can
# still override it.
SERVER_DEFAULTS = {"THREADS": "4"}


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def s3_client(endpoint: str):
    """Return a boto3 S3 client for the moto server at ``endpoint``."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


@contextlib.contextmanager
def moto_server(*, own_process: bool = False, log: Path | None = None) -> Iterator[str]:
    """Run moto's S3 server on a free loopback port; yield its endpoint, stop it on exit.

    In this process by default: every moto server in a process shares one S3 state, which the S3
    outage test in tests/integration/test_load.py relies on. ``own_process`` runs it in a process
    of its own instead, writing to ``log``, so it does not share a load generator's GIL.
    """
    launch = _moto_process(log) if own_process else _moto_in_process()
    with launch as endpoint:
        yield endpoint


def function_env(
    s3_endpoint: str, bucket: str, extra: Mapping[str, object] | None = None
) -> dict[str, str]:
    """Return the function's environment: this process's, fake credentials, S3 on ``s3_endpoint``.

    ``extra`` adds to or overrides it; nothing that would reach real AWS is inherited.
    """
    env = {**SERVER_DEFAULTS, **{k: v for k, v in os.environ.items() if k not in UNSET}}
    env.update(FAKE_CREDENTIALS)
    env.update(AWS_DEFAULT_REGION=REGION, AWS_ENDPOINT_URL_S3=s3_endpoint, IMAGES_BUCKET=bucket)
    env.update({k: str(v) for k, v in (extra or {}).items()})
    return env


def function_command(source: Path, port: int) -> list[str]:
    """Return the functions-framework command serving ``source`` on loopback ``port``."""
    return [
        str(_script("functions-framework")),
        *("--target", "predict", "--source", str(source)),
        *("--host", HOST, "--port", str(port)),
    ]


def start_function(
    source: Path, port: int, env: Mapping[str, str], log: Path | None = None
) -> subprocess.Popen:
    """Start functions-framework on ``source`` in a process group of its own; return the process.

    Its output goes to ``log`` (appended) if given, else to this process's.
    """
    with _output(log) as output:
        return subprocess.Popen(
            function_command(source, port),
            cwd=REPO,
            env=dict(env),
            stdout=output,
            stderr=None if output is None else subprocess.STDOUT,
            start_new_session=True,
        )


def wait_ready(process: subprocess.Popen, url: str, timeout: float = READY_SECONDS) -> None:
    """Return once the function at ``url`` answers GET /health; raise if it exits or times out."""
    _wait_for(process, "the function", f"{url}/health", timeout, 0.1)


def stop_group(process: subprocess.Popen) -> None:
    """Stop a process started in a session of its own, and everything in its group."""
    # The function runs gunicorn's master and worker: both are in the group.
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
def _moto_in_process() -> Iterator[str]:
    # moto logs every S3 request through werkzeug's logger: noise next to the function's log.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
    server.start()
    try:
        yield "http://{}:{}".format(*server.get_host_and_port())
    finally:
        server.stop()


@contextlib.contextmanager
def _moto_process(log: Path | None) -> Iterator[str]:
    port = free_port()
    endpoint = f"http://{HOST}:{port}"
    command = [str(_script("moto_server")), "-H", HOST, "-p", str(port)]
    with _output(log) as output:
        process = subprocess.Popen(
            command,
            stdout=output,
            stderr=None if output is None else subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for(process, "moto's server", f"{endpoint}/moto-api/", READY_SECONDS, 0.05)
        yield endpoint
    finally:
        stop_group(process)


def _script(name: str) -> Path | str:
    """Return the console script ``name`` beside this Python, else the one on PATH."""
    script = Path(sys.executable).parent / name
    return script if script.exists() else shutil.which(name) or script


@contextlib.contextmanager
def _output(log: Path | None) -> Iterator[object]:
    """Yield ``log`` opened for appending (its folder made), or None to inherit this output."""
    if log is None:
        yield None
        return
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as handle:
        yield handle


def _wait_for(
    process: subprocess.Popen, name: str, url: str, timeout: float, interval: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(interval)
    raise RuntimeError(f"{name} did not answer {url} within {timeout:.0f} s")

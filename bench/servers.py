"""What the benchmark serves, and how it reaches it over HTTP.

Three functions-framework sources: the function (functions/main.py), the reference
(bench/reference_main.py) and the floor (bench/floor_main.py), each launched by ``infra.servers``
as ``make dev`` launches the function, with S3 on a moto server in a process of its own.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import subprocess
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from bench import realistic, reference
from digits.classifier.inference import load_model
from digits.config import Settings
from digits.vision import normalise
from infra import servers

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
OUR_MAIN = REPO / "functions" / "main.py"
REFERENCE_MAIN = BENCH / "reference_main.py"
FLOOR_MAIN = BENCH / "floor_main.py"
LOGS = REPO / ".cache" / "bench"
BUCKET = "digits-bench"
READY_SECONDS = 120.0
REQUEST_TIMEOUT = 30.0


@dataclass(frozen=True)
class Variant:
    """One side of the comparison: how to serve it and how it turns images into predictions."""

    name: str
    source: Path
    load: Callable[[], object]
    preprocess: Callable


def variants(reference_path: Path) -> list[Variant]:
    """Return the function under test and the reference."""
    settings = Settings.from_env()
    return [
        Variant("digits", OUR_MAIN, lambda: load_model(settings.model_path), normalise.to_mnist),
        Variant(
            "reference",
            REFERENCE_MAIN,
            lambda: reference.load(reference_path),
            reference.preprocess,
        ),
    ]


@contextlib.contextmanager
def s3() -> Iterator[str]:
    """Run moto's S3 server with the bench's bucket; yield its endpoint.

    In a process of its own, so that it does not share the load generator's GIL.
    """
    with servers.moto_server(own_process=True, log=LOGS / "moto.log") as endpoint:
        servers.s3_client(endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint


def environment(s3_endpoint: str, reference_path: Path) -> dict[str, str]:
    """Return the environment every served side gets: make dev's, with the bench's bucket."""
    return servers.function_env(s3_endpoint, BUCKET, {"REFERENCE_MODEL_PATH": str(reference_path)})


def start(source: Path, port: int, env: Mapping[str, str], name: str) -> subprocess.Popen:
    """Start functions-framework on ``source``, logging to .cache/bench/<name>.log."""
    return servers.start_function(source, port, env, LOGS / f"{name}.log")


def request(
    port: int, method: str, path: str, body: bytes, headers: dict, timeout: float = REQUEST_TIMEOUT
) -> tuple[int, bytes]:
    """Send one HTTP request on a new loopback connection; return status and body."""
    connection = http.client.HTTPConnection(servers.HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def post_predict(port: int, payload: bytes) -> tuple[int, bytes]:
    """POST a canvas JSON body to /predict."""
    return request(port, "POST", "/predict", payload, {"Content-Type": "application/json"})


def canvas_payloads(count: int, seed: int) -> list[bytes]:
    """Return canvas JSON bodies as the page sends them, its pad's exports of MNIST test digits."""
    return [
        json.dumps(
            {"image": "data:image/png;base64," + base64.b64encode(sample.data).decode("ascii")}
        ).encode()
        for sample in realistic.page_png(count, seed)
    ]

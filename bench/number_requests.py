"""Warm requests for numbers: POST /predict with one digit against six, through the function.

bench/numbers.py times preprocessing and the model alone; this times what a caller waits for,
warm: the function's whole answer (decoding, reading, metadata, the S3 put and presigning) over
functions-framework's in-process app, with moto's S3 in a process of its own. Each image is sent
three times and its best time kept; the figure of a set is the median over its images.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from bench.servers import OUR_MAIN
from bench.warm import environment
from infra.servers import function_env, moto_server, s3_client

BUCKET = "digits-bench-numbers"
REPEATS = 3


def _median_request_ms(client, images: Sequence[bytes]) -> float:
    times = []
    for data in images:
        best = float("inf")
        for _ in range(REPEATS):
            started = time.perf_counter()
            answer = client.post("/predict", data=data, content_type="application/octet-stream")
            best = min(best, time.perf_counter() - started)
            # Timed either way: read (200), or refused as no number at all (422 not_a_digit).
            refused = answer.status_code == 422 and b"not_a_digit" in answer.data
            if answer.status_code != 200 and not refused:
                raise RuntimeError(f"POST /predict answered {answer.status_code}: {answer.data!r}")
        times.append(best * 1000)
    return statistics.median(times)


def warm_request_ms(singles: Sequence[bytes], sixes: Sequence[bytes]) -> dict:
    """Return the median warm POST /predict time (ms) of one-digit and six-digit images."""
    from functions_framework import create_app

    with moto_server(own_process=True, log=Path(os.devnull)) as endpoint:
        s3_client(endpoint).create_bucket(Bucket=BUCKET)
        with environment(function_env(endpoint, BUCKET)):
            client = create_app("predict", str(OUR_MAIN)).test_client()
            _median_request_ms(client, singles[:4])  # warm the app and the S3 connection
            one = _median_request_ms(client, singles)
            six = _median_request_ms(client, sixes)
    return {"one_digit": one, "six_digits": six, "six_over_one": six / one}

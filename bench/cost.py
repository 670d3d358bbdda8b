"""What batching saves where it matters, on AWS: Lambda's cost per million images, single or in 32s.

    python -m bench.cost      # MNIST_DIR=../shared/data/mnist; writes bench/cost.json

On Lambda every invocation is billed (a request fee, and its duration in GB-seconds at the
function's memory), and an S3 put is network time the function waits through. The function here
is the real Lambda handler (functions/lambda_handler.py) in this process, fed Function URL events
(tests/events/generate.py's shape): MNIST test digits as scan-like PNGs, one per POST /predict,
or 32 per POST /predict/batch. S3 is moto's server in a process of its own behind a proxy on
loopback (bench/delay_proxy.py) that answers each request no sooner than S3_LATENCY after it:
an S3 put from a function in the bucket's region takes some tens of milliseconds, 30 assumed.
Rounds alternate the two sides; each side's figure is its median invocation, its wall time
rounded up to the millisecond as Lambda bills it.

The CPU here is this machine's, not Lambda's (at 1024 MB a function has 0.58 of a vCPU): the
work part of both sides would take longer there, the S3 wait the same.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import math
import os
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from bench.batch import refused, scan_pngs
from bench.delay_proxy import delaying_proxy
from digits.config import MAX_BATCH_IMAGES
from infra.runtime import memory_size, timeout_seconds
from infra.servers import function_env, moto_server, s3_client
from tests.events.generate import event

REPO = Path(__file__).resolve().parents[1]
OUTPUT = Path(__file__).resolve().parent / "cost.json"
HANDLER = REPO / "functions" / "lambda_handler.py"
BUCKET = "digits-bench-cost"
S3_LATENCY = 0.030
# AWS Lambda list prices, x86, US East (N. Virginia), the first 6 billion GB-seconds a month:
# https://aws.amazon.com/lambda/pricing/ (and AWS's "How AWS Pricing Works", Lambda), read on
# the date below; the free tier is left out.
PRICES = {
    "request_usd": 0.20 / 1_000_000,
    "gb_second_usd": 0.0000166667,
    "source": "https://aws.amazon.com/lambda/pricing/",
    "read_on": "2026-12-03",
}
BOUNDARY = "bench-cost"
# Issue 23: batches of 32 at least this many times cheaper per image than one image a request.
TARGET_CHEAPER = 3.0


class Context:
    """What Lambda passes the handler: a request id and the time left."""

    aws_request_id = "bench-cost"

    def get_remaining_time_in_millis(self) -> int:
        return timeout_seconds() * 1000


def single_event(image: bytes) -> dict:
    """Return the Function URL event of POST /predict with one raw PNG."""
    headers = {"content-type": "image/png"}
    return event("POST", "/predict", headers=headers, body=image, binary=True, **_ids())


def batch_event(images: list[bytes]) -> dict:
    """Return the Function URL event of POST /predict/batch with ``images`` as multipart."""
    body = io.BytesIO()
    for index, image in enumerate(images):
        body.write(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{index}.png"\r\nContent-Type: image/png\r\n\r\n'.encode()
        )
        body.write(image + b"\r\n")
    body.write(f"--{BOUNDARY}--\r\n".encode())
    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    return event(
        "POST", "/predict/batch", headers=headers, body=body.getvalue(), binary=True, **_ids()
    )


def _ids() -> dict:
    return {"request_id": "bench-cost", "time_epoch": int(time.time() * 1000)}


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set ``values`` in os.environ while the block runs."""
    before = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(before)


def lambda_handler():
    """Import functions/lambda_handler.py afresh (its init builds the instance); return it."""
    spec = importlib.util.spec_from_file_location("lambda_handler_bench_cost", HANDLER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


def invoke(handler, lambda_event: dict, images: int) -> float:
    """Invoke once; return the billed milliseconds.

    Every image must have been saved, or refused as not a digit (422, or that error in a batch's
    results: answered with no S3 put, on either side alike).
    """
    started = time.perf_counter()
    answer = handler(lambda_event, Context())
    took = (time.perf_counter() - started) * 1000
    body = json.loads(answer["body"])
    results = body.get("results", [body])
    if answer["statusCode"] not in (200, 422) or len(results) != images:
        raise RuntimeError(f"answered {answer['statusCode']}: {answer['body'][:200]}")
    if not all(result.get("saved") or refused(result) for result in results):
        raise RuntimeError(f"an image was not saved: {answer['body'][:200]}")
    return float(math.ceil(took))


def cost_per_million_images(billed_ms: float, images_per_invocation: int, memory_mb: int) -> float:
    """Return Lambda's request and duration charges for a million images, in USD."""
    invocations = 1_000_000 / images_per_invocation
    duration = billed_ms / 1000 * memory_mb / 1024 * PRICES["gb_second_usd"]
    return invocations * (PRICES["request_usd"] + duration)


def measure(rounds: int = 5, batch_size: int = MAX_BATCH_IMAGES, data_dir: str | None = None):
    """Return each side's billed time per invocation and Lambda's cost per million images."""
    images = scan_pngs(batch_size, data_dir)
    memory_mb = memory_size()
    load_before = os.getloadavg()[0]
    billed: dict[str, list[float]] = {"single": [], "batch": []}
    with moto_server(own_process=True, log=Path(os.devnull)) as endpoint:
        s3_client(endpoint).create_bucket(Bucket=BUCKET)
        upstream = urlsplit(endpoint)
        with (
            delaying_proxy((upstream.hostname, upstream.port), S3_LATENCY) as slow_s3,
            environment(function_env(slow_s3, BUCKET)),
        ):
            handler = lambda_handler()
            for image in images[:4]:  # warm: first requests, connections
                invoke(handler, single_event(image), 1)
            invoke(handler, batch_event(images), batch_size)
            for _ in range(rounds):
                for image in images:
                    billed["single"].append(invoke(handler, single_event(image), 1))
                billed["batch"].append(invoke(handler, batch_event(images), batch_size))
    sides = {}
    for name, per_invocation in (("single", 1), ("batch", batch_size)):
        ms = statistics.median(billed[name])
        sides[name] = {
            "images_per_invocation": per_invocation,
            "invocations": len(billed[name]),
            "billed_ms_median": ms,
            "ms_per_image": ms / per_invocation,
            "usd_per_million_images": cost_per_million_images(ms, per_invocation, memory_mb),
        }
    single, batch = sides["single"], sides["batch"]
    return {
        "command": "python -m bench.cost",
        "memory_mb": memory_mb,
        "s3_latency_ms": S3_LATENCY * 1000,
        "prices": PRICES,
        "rounds": rounds,
        "load_average": [load_before, os.getloadavg()[0]],
        "cpus": os.cpu_count(),
        **sides,
        "cheaper": single["usd_per_million_images"] / batch["usd_per_million_images"],
    }


def markdown(result: dict) -> str:
    """Return the figures as a short Markdown table and what they say."""
    rows = [
        "| route | invocations per million images | billed ms per invocation (median) "
        "| ms per image | Lambda USD per million images |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, label in (
        ("single", "POST /predict, one image each"),
        ("batch", f"POST /predict/batch, {result['batch']['images_per_invocation']} each"),
    ):
        side = result[name]
        invocations = 1_000_000 / side["images_per_invocation"]
        rows.append(
            f"| {label} | {invocations:,.0f} | {side['billed_ms_median']:.0f} "
            f"| {side['ms_per_image']:.1f} | {side['usd_per_million_images']:.2f} |"
        )
    prices = result["prices"]
    verdict = "met" if result["cheaper"] >= TARGET_CHEAPER else "**missed**"
    rows.append(
        f"\nAt {result['memory_mb']} MB (template.yaml), S3 {result['s3_latency_ms']:.0f} ms a "
        f"put (moto behind bench/delay_proxy.py), Lambda x86 us-east-1 list prices (USD "
        f"{prices['request_usd'] * 1e6:.2f} per million requests, "
        f"{prices['gb_second_usd']:.10f} per GB-second; {prices['source']}, read "
        f"{prices['read_on']}): batches cost "
        f"{result['cheaper']:.1f}x less per image (target: at least {TARGET_CHEAPER:g}x,"
        f" {verdict}). The S3 puts (USD 5 per million) are the same either way. Medians of "
        f"{result['rounds']} rounds on this machine's {result['cpus']} CPUs (load average "
        f"{result['load_average'][0]:.1f} before, {result['load_average'][1]:.1f} after), not "
        "Lambda's 0.58 vCPU: the work in both would take longer there, the S3 wait the same."
    )
    return "\n".join(rows)


if __name__ == "__main__":
    figures = measure()
    OUTPUT.write_text(json.dumps(figures, indent=2) + "\n")
    print(markdown(figures))

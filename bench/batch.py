"""Images per second over HTTP: POST /predict/batch against one image per POST /predict.

python -m bench.batch      # MNIST_DIR=../shared/data/mnist; writes bench/batch.json

Both sides send the same images (MNIST test digits as scan-like PNGs, multipart) to the same
local stack (infra.local_stack), with the same number of requests in flight and the same HTTP
client (digits_client's, retries off so that no failure is hidden). Rounds alternate between the
sides; each side's figure is its median round.
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import os
import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image

from digits_client.transport import Client, RetryPolicy
from infra.local_stack import start_stack
from model import mnist

OUTPUT = Path(__file__).resolve().parent / "batch.json"
BUCKET = "digits-bench-batch"
BATCH_SIZE = 32


def scan_pngs(count: int, data_dir: str | None = None) -> list[bytes]:
    """Return ``count`` MNIST test digits as scan-like PNGs: dark ink on white, 112x112."""
    data = mnist.load(data_dir)
    images = []
    for digit in data.test_images[:count]:
        scan = Image.fromarray(255 - digit).resize((112, 112), Image.Resampling.BILINEAR)
        buffer = io.BytesIO()
        scan.save(buffer, "PNG")
        images.append(buffer.getvalue())
    return images


def _send(client: Client, path: str, images: Sequence[bytes]) -> int:
    """POST ``images`` as multipart to ``path``; return how many were predicted."""
    files = [("file", (f"{i}.png", data, "image/png")) for i, data in enumerate(images)]
    answer = client.post(path, files=files)
    if answer.status != 200:
        raise RuntimeError(f"{path} answered {answer.status}: {answer.text[:200]}")
    results = answer.body["results"] if path.endswith("/batch") else [answer.body]
    return sum("digit" in result for result in results)


def _round(send: Callable[[Sequence[bytes]], int], chunks: list, concurrency: int) -> float:
    """Send every chunk, ``concurrency`` in flight; return images per second."""
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        predicted = sum(pool.map(send, chunks))
    elapsed = time.perf_counter() - started
    images = sum(len(chunk) for chunk in chunks)
    if predicted != images:
        raise RuntimeError(f"{images - predicted} of {images} images were not predicted")
    return images / elapsed


def measure(
    url: str,
    images: Sequence[bytes],
    *,
    concurrency: int = 4,
    batch_size: int = BATCH_SIZE,
    rounds: int = 3,
) -> dict:
    """Return images per second of both sides against the function at ``url``, and their ratio."""
    client = Client(url, RetryPolicy(retries=0))
    sides = {
        "single": ("/predict", [[image] for image in images]),
        "batch": (
            "/predict/batch",
            [images[i : i + batch_size] for i in range(0, len(images), batch_size)],
        ),
    }
    runs: dict[str, list[float]] = {name: [] for name in sides}
    load_before = os.getloadavg()[0]
    for path, chunks in sides.values():  # warm both routes and the connections
        _round(functools.partial(_send, client, path), chunks[:concurrency], concurrency)
    for _ in range(rounds):
        for name, (path, chunks) in sides.items():
            runs[name].append(_round(functools.partial(_send, client, path), chunks, concurrency))
    result = {
        "images": len(images),
        "concurrency": concurrency,
        "batch_size": batch_size,
        "rounds": rounds,
        "cpus": os.cpu_count(),
        # Both sides share the machine: a busy one (load over the CPU count) blurs the figures.
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    for name, figures in runs.items():
        result[name] = {
            "requests": len(sides[name][1]),
            "images_per_second": statistics.median(figures),
            "runs": figures,
        }
    result["speedup"] = result["batch"]["images_per_second"] / result["single"]["images_per_second"]
    return result


def markdown(result: dict) -> str:
    """Return the figures as a short Markdown table."""
    rows = [
        "| route | requests | images/s (median of {rounds}) |".format(**result),
        "| --- | --- | --- |",
    ]
    for name, label in (
        ("single", "POST /predict, one image each"),
        ("batch", "POST /predict/batch"),
    ):
        side = result[name]
        rows.append(f"| {label} | {side['requests']} | {side['images_per_second']:.0f} |")
    rows.append(
        f"\n{result['images']} images, {result['concurrency']} requests in flight, batches of "
        f"{result['batch_size']}: the batch route predicts {result['speedup']:.1f}x as many "
        f"images per second (load average {result['load_average'][0]:.1f} before, "
        f"{result['load_average'][1]:.1f} after, {result['cpus']} CPUs)."
    )
    return "\n".join(rows)


def run(images: int = 256, concurrency: int = 4, rounds: int = 3) -> dict:
    """Start the local stack and measure both sides on ``images`` MNIST test scans."""
    pngs = scan_pngs(images, os.environ.get("MNIST_DIR") or None)
    with start_stack(env={"IMAGES_BUCKET": BUCKET}) as stack:
        return measure(stack.function_url, pngs, concurrency=concurrency, rounds=rounds)


def main(argv: Sequence[str] | None = None) -> int:
    """Start the local stack, measure both sides, write bench/batch.json, print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.batch", description=__doc__)
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    result = run(args.images, args.concurrency, args.rounds)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

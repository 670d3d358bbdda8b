"""Images per second over HTTP: POST /predict/batch against one image per POST /predict.

python -m bench.batch      # MNIST_DIR=../shared/data/mnist; writes bench/batch.json

Both sides send the same images (MNIST test digits as scan-like PNGs, multipart) to the same
local stack (infra.local_stack, moto's S3 in a process of its own), with the same number of
requests in flight and the same HTTP client (digits_client's, retries off so that no failure is
hidden). Rounds alternate between the sides; each side's figure is its median round.

Beside the rate, each side's CPU time per image is counted per process (Linux's /proc): the
function, moto's S3, and this process, the client. On one machine they share the cores, so the
rate is bounded by the sum: what a batch saves is only the per-request part of it.
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

from digits.config import MAX_BATCH_IMAGES
from digits.errors import NotADigit
from digits_client.transport import Client, RetryPolicy
from infra.local_stack import start_stack
from model import mnist

OUTPUT = Path(__file__).resolve().parent / "batch.json"
BUCKET = "digits-bench-batch"
BATCH_SIZE = MAX_BATCH_IMAGES


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
    """POST ``images`` as multipart to ``path``; return how many were answered.

    An image is answered when it is read, or refused as not a digit (422 ``not_a_digit``, or that
    error in a batch's results: MNIST test has digits the model refuses); any other failure stops
    the bench.
    """
    files = [("file", (f"{i}.png", data, "image/png")) for i, data in enumerate(images)]
    answer = client.post(path, files=files)
    body = answer.body if isinstance(answer.body, dict) else {}
    if answer.status not in (200, 422) or (answer.status == 422 and not refused(body)):
        raise RuntimeError(f"{path} answered {answer.status}: {answer.text[:200]}")
    results = body["results"] if path.endswith("/batch") else [body]
    return sum("digit" in result or refused(result) for result in results)


def refused(answer: dict) -> bool:
    """Tell whether an answer (or a batch's result) is the function refusing it as not a digit."""
    return answer.get("error", {}).get("code") == NotADigit.code


def cpu_seconds(function_pid: int | None) -> dict[str, float]:
    """Return CPU seconds used so far by the function, moto's S3 and this process (the client).

    The function is its process group (gunicorn's master and worker); moto's S3 is the group of
    any other child of this process. Without /proc (not Linux) only the client is counted.
    """
    times = os.times()
    used = {"function": 0.0, "s3": 0.0, "client": times.user + times.system}
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    stats = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended meanwhile
            continue
        fields = text[text.rfind(")") + 2 :].split()
        pid = int(stat.parent.name)
        ppid, group = int(fields[1]), int(fields[2])
        stats.append((pid, ppid, group, (int(fields[11]) + int(fields[12])) / tick))
    children = {pid for pid, ppid, _, _ in stats if ppid == os.getpid()}
    for _, _, group, seconds in stats:
        if group == function_pid:
            used["function"] += seconds
        elif group in children:
            used["s3"] += seconds
    return used


def _round(
    send: Callable[[Sequence[bytes]], int],
    chunks: list,
    concurrency: int,
    function_pid: int | None = None,
) -> tuple[float, dict[str, float]]:
    """Send every chunk, ``concurrency`` in flight; return images per second, CPU ms per image."""
    images = sum(len(chunk) for chunk in chunks)
    cpu_before = cpu_seconds(function_pid)
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        answered = sum(pool.map(send, chunks))
    elapsed = time.perf_counter() - started
    cpu_after = cpu_seconds(function_pid)
    if answered != images:
        raise RuntimeError(f"{images - answered} of {images} images were not answered")
    cpu_ms = {part: (cpu_after[part] - cpu_before[part]) * 1000 / images for part in cpu_after}
    return images / elapsed, cpu_ms


def measure(
    url: str,
    images: Sequence[bytes],
    *,
    concurrency: int = 4,
    batch_size: int = BATCH_SIZE,
    rounds: int = 3,
    function_pid: int | None = None,
) -> dict:
    """Return images per second of both sides against the function at ``url``, and their ratio.

    ``function_pid`` (its process group) lets the CPU time of each part be counted.
    """
    client = Client(url, RetryPolicy(retries=0))
    sides = {
        "single": ("/predict", [[image] for image in images]),
        "batch": (
            "/predict/batch",
            [images[i : i + batch_size] for i in range(0, len(images), batch_size)],
        ),
    }
    runs: dict[str, list[float]] = {name: [] for name in sides}
    cpu: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
    load_before = os.getloadavg()[0]
    for path, chunks in sides.values():  # warm both routes and the connections
        _round(functools.partial(_send, client, path), chunks[:concurrency], concurrency)
    for _ in range(rounds):
        for name, (path, chunks) in sides.items():
            send = functools.partial(_send, client, path)
            rate, cpu_ms = _round(send, chunks, concurrency, function_pid)
            runs[name].append(rate)
            cpu[name].append(cpu_ms)
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
            "cpu_ms_per_image": {
                part: statistics.median(c[part] for c in cpu[name]) for part in cpu[name][0]
            },
        }
    result["speedup"] = result["batch"]["images_per_second"] / result["single"]["images_per_second"]
    return result


def markdown(result: dict) -> str:
    """Return the figures as a short Markdown table."""
    rows = [
        "| route | requests | images/s (median of {rounds}) | CPU ms per image: function, S3"
        " (moto), client |".format(**result),
        "| --- | --- | --- | --- |",
    ]
    for name, label in (
        ("single", "POST /predict, one image each"),
        ("batch", "POST /predict/batch"),
    ):
        side = result[name]
        cpu = side.get("cpu_ms_per_image")
        spent = (
            f"{cpu['function']:.1f}, {cpu['s3']:.1f}, {cpu['client']:.1f}"
            if cpu
            else "not measured"
        )
        rows.append(f"| {label} | {side['requests']} | {side['images_per_second']:.0f} | {spent} |")
    rows.append(
        f"\n{result['images']} images, {result['concurrency']} requests in flight, batches of "
        f"{result['batch_size']}: the batch route predicts {result['speedup']:.1f}x as many "
        f"images per second (load average {result['load_average'][0]:.1f} before, "
        f"{result['load_average'][1]:.1f} after, {result['cpus']} CPUs)."
    )
    single = result["single"].get("cpu_ms_per_image")
    batch = result["batch"].get("cpu_ms_per_image")
    if single and batch:
        saved = sum(single.values()) - sum(batch.values())
        floor = sum(batch.values())
        rows.append(
            f"\nCPU time per image, all parts on the same cores: {sum(single.values()):.1f} ms one"
            f" image a request, {floor:.1f} ms in batches. A batch saves the per-request part"
            f" ({saved:.1f} ms); the rest is paid per image either way, moto's S3 alone"
            f" {batch['s3']:.1f} ms, so batches on this stack are bounded by"
            f" {sum(single.values()) / floor:.1f}x."
        )
    return "\n".join(rows)


def run(images: int = 256, concurrency: int = 4, rounds: int = 3) -> dict:
    """Start the local stack and measure both sides on ``images`` MNIST test scans."""
    pngs = scan_pngs(images, os.environ.get("MNIST_DIR") or None)
    # moto in a process of its own: in this one it would share the client's GIL.
    with start_stack(env={"IMAGES_BUCKET": BUCKET}, moto_process=True) as stack:
        return measure(
            stack.function_url,
            pngs,
            concurrency=concurrency,
            rounds=rounds,
            function_pid=stack.process.pid,
        )


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

"""Warm figures: latency over HTTP and in process, throughput, and the steps of one prediction."""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import os
import statistics
import threading
import time
from collections.abc import Callable, Iterator, Mapping

import numpy as np

from bench import memory
from bench.servers import FLOOR_MAIN, READY_SECONDS, Variant, post_predict, start
from digits.config import Settings
from digits.imaging.decoding import decode_image
from digits.storage.images import ImageStore
from digits.storage.receipts import new_receipt, receipt_digest
from infra.servers import HOST, free_port, stop_group, wait_ready


def percentile(values: list[float], q: float) -> float:
    """Return the ``q``-th percentile of ``values``."""
    return float(np.percentile(values, q))


# A digit read (200), or refused as not a digit (422): both are answers; the canvas digits sent
# include some our model refuses, and a refused one is answered without an S3 put.
ANSWERED = (200, 422)


def latency_summary(times: list[float], errors: int) -> dict:
    """Return p50/p99 of ``times`` (milliseconds) and the error count."""
    return {
        "requests": len(times),
        "p50_ms": percentile(times, 50),
        "p99_ms": percentile(times, 99),
        "errors": errors,
    }


def interleaved_latency(
    senders: dict[str, Callable[[int], int]], requests: int, warmup: int = 20
) -> dict[str, dict]:
    """Time sequential calls of each sender, alternating, so load on the machine hits all alike."""
    for i in range(warmup):
        for send in senders.values():
            send(i)
    times: dict[str, list[float]] = {name: [] for name in senders}
    errors = dict.fromkeys(senders, 0)
    for i in range(requests):
        for name, send in senders.items():
            started = time.perf_counter()
            status = send(i)
            times[name].append((time.perf_counter() - started) * 1000)
            errors[name] += status not in ANSWERED
    return {name: latency_summary(times[name], errors[name]) for name in senders}


def throughput(port: int, payloads: list[bytes], concurrency: int, seconds: float) -> dict:
    """Return answered and failed requests with ``concurrency`` clients for ``seconds``."""
    counts = {"ok": 0, "errors": 0}
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(offset: int) -> None:
        i = offset
        while time.perf_counter() < deadline:
            try:
                status, body = post_predict(port, payloads[i % len(payloads)])
                ok = status == 200 or (status == 422 and b"not_a_digit" in body)
            except OSError:
                ok = False
            with lock:
                counts["ok" if ok else "errors"] += 1
            i += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {**counts, "seconds": time.perf_counter() - started}


def measure_servers(
    all_variants: list[Variant],
    env: dict[str, str],
    payloads: list[bytes],
    *,
    requests: int,
    concurrency: int,
    seconds: float,
) -> dict:
    """Serve every variant at once; warm latency and throughput alternate between them.

    The floor function (bench/floor_main.py) is served beside them for warm latency only. Each
    side's peak memory is read once both have served every request.
    """
    sources = {v.name: v.source for v in all_variants}
    ports = {name: free_port() for name in (*sources, "floor")}
    processes = {
        name: start(source, ports[name], env, name)
        for name, source in {**sources, "floor": FLOOR_MAIN}.items()
    }
    results: dict[str, dict] = {name: {} for name in ports}
    try:
        for name, process in processes.items():
            wait_ready(process, f"http://{HOST}:{ports[name]}", READY_SECONDS)
        senders = {
            name: functools.partial(_send_cycled, port, payloads) for name, port in ports.items()
        }
        for name, summary in interleaved_latency(senders, requests).items():
            results[name]["http_warm"] = summary
        stop_group(processes.pop("floor"))
        del ports["floor"]
        # Short alternating rounds: a busy spell on the shared machine hits both sides.
        totals = {name: {"ok": 0, "errors": 0, "seconds": 0.0} for name in ports}
        rounds = max(1, round(seconds / 2))
        for _ in range(rounds):
            for name, port in ports.items():
                burst = throughput(port, payloads, concurrency, seconds / rounds)
                for key in totals[name]:
                    totals[name][key] += burst[key]
        for name, total in totals.items():
            results[name]["throughput"] = {
                "concurrency": concurrency,
                "seconds": total["seconds"],
                "requests": total["ok"] + total["errors"],
                "errors": total["errors"],
                "requests_per_second": total["ok"] / total["seconds"],
            }
        for name, process in processes.items():
            results[name]["peak_rss_bytes"] = memory.serving_peak_rss(process)
    finally:
        for process in processes.values():
            stop_group(process)
    return results


def _send_cycled(port: int, payloads: list[bytes], i: int) -> int:
    return post_predict(port, payloads[i % len(payloads)])[0]


@contextlib.contextmanager
def environment(env: Mapping[str, str]) -> Iterator[None]:
    """Make ``env`` this process's environment inside the block; restore the old one after.

    Only for the in-process apps: create_app executes main.py, which reads its settings from
    os.environ, and botocore reads its S3 endpoint from there; neither takes an environment.
    """
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def measure_in_process(
    all_variants: list[Variant],
    models: dict,
    payloads: list[bytes],
    requests: int,
    env: dict[str, str],
) -> dict:
    """Time each app in this process (Flask test client, S3 on moto) and its bare core."""
    from functions_framework import create_app

    with environment(env):
        clients = {v.name: create_app("predict", str(v.source)).test_client() for v in all_variants}

        def app_sender(name: str) -> Callable[[int], int]:
            def send(i: int) -> int:
                body = payloads[i % len(payloads)]
                response = clients[name].post(
                    "/predict", data=body, content_type="application/json"
                )
                return response.status_code

            return send

        # The canvas PNGs themselves, for the steps below the HTTP layer.
        images = [base64.b64decode(json.loads(p)["image"].split(",", 1)[1]) for p in payloads]
        max_pixels = Settings.from_env(env).max_pixels

        def core_sender(variant: Variant) -> Callable[[int], int]:
            def send(i: int) -> int:
                decoded = decode_image(images[i % len(images)], max_pixels=max_pixels).image
                models[variant.name].predict(variant.preprocess(decoded))
                return 200

            return send

        app = interleaved_latency({v.name: app_sender(v.name) for v in all_variants}, requests)
        core = interleaved_latency({v.name: core_sender(v) for v in all_variants}, requests)
        phases = phase_breakdown(all_variants, models, images, requests // 3, env)
    return {
        v.name: {"app_with_s3": app[v.name], "core": core[v.name], "phases_ms": phases[v.name]}
        for v in all_variants
    }


def phase_breakdown(
    all_variants: list[Variant], models: dict, images: list[bytes], runs: int, env: dict[str, str]
) -> dict[str, dict]:
    """Return the median milliseconds of each step of a warm prediction, S3 on moto included."""
    settings = Settings.from_env(env)
    store = ImageStore.connect(settings)
    steps = ("decode", "preprocess", "predict", "save")
    times = {v.name: {step: [] for step in steps} for v in all_variants}
    for i in range(runs):
        data = images[i % len(images)]
        for variant in all_variants:
            model = models[variant.name]
            marks = [time.perf_counter()]
            decoded = decode_image(data, max_pixels=settings.max_pixels).image
            marks.append(time.perf_counter())
            image28 = variant.preprocess(decoded)
            marks.append(time.perf_counter())
            prediction = model.predict(image28)
            marks.append(time.perf_counter())
            store.save_image(
                data,
                content_type="image/png",
                extension="png",
                prediction=prediction.digit,
                confidence=prediction.confidence,
                source="canvas",
                model_version=model.version,
                receipt_digest=receipt_digest(new_receipt()),
            )
            marks.append(time.perf_counter())
            for step, begin, end in zip(steps, marks[:-1], marks[1:], strict=True):
                times[variant.name][step].append((end - begin) * 1000)
    return {
        name: {step: statistics.median(values) for step, values in by_step.items()}
        for name, by_step in times.items()
    }

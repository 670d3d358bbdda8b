"""Measure accuracy, speed and memory of the function side by side with a reference, in one run.

    make bench      # python -m bench.run [--n 200] [--cold-runs 9] [--requests 300] [--seconds 10]

The reference (bench/reference.py: scikit-learn forest of 100 trees on raw pixels, grayscale +
resize + /255) is served behind the same HTTP stack as the function: functions-framework, the same
``digits.api`` and ``digits.storage`` code, S3 emulated by a moto server on loopback. Writes
bench/results.json and bench/RESULTS.md, rewrites the README's measured figures between the bench
markers, and refreshes bench/model.json and the model card.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import functools
import http.client
import json
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import numpy as np

from bench import realistic, reference
from digits import imaging
from digits.config import Settings
from digits.errors import ClientError
from digits.inference import load_model
from infra.local_stack import (
    FAKE_CREDENTIALS,
    HOST,
    REGION,
    SERVER_DEFAULTS,
    UNSET,
    free_port,
)
from model import mnist

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
OUR_MAIN = REPO / "functions" / "main.py"
REFERENCE_MAIN = BENCH / "reference_main.py"
FLOOR_MAIN = BENCH / "floor_main.py"
CANVAS_EVENT = REPO / "tests" / "events" / "predict-canvas-json.json"
LAMBDA_BUILD = REPO / ".aws-sam" / "build" / "DigitsFunction"
RESULTS_JSON = BENCH / "results.json"
RESULTS_MD = BENCH / "RESULTS.md"
README = REPO / "README.md"
OUTPUTS = (
    BENCH / "results.json",
    BENCH / "RESULTS.md",
    BENCH / "model.json",
    REPO / "model" / "README.md",
)
README_START = "<!-- bench:start (written by make bench) -->"
README_END = "<!-- bench:end -->"
LOGS = REPO / ".cache" / "bench"
BUCKET = "digits-bench"
READY_SECONDS = 120.0
REQUEST_TIMEOUT = 30.0

# Run in a fresh interpreter: build the Lambda handler, answer one Function URL event, report.
LAMBDA_SNIPPET = """
import json, sys
source, event_path = sys.argv[1], sys.argv[2]
if source.endswith("functions/main.py"):
    sys.path.insert(0, source.rsplit("/", 1)[0])
    from lambda_handler import handler
else:
    import apig_wsgi
    from functions_framework import create_app
    handler = apig_wsgi.make_lambda_handler(create_app("predict", source), binary_support=True)
with open(event_path) as f:
    event = json.load(f)
response = handler(event, None)
body = json.loads(response["body"])
# VmHWM, not ru_maxrss: the latter keeps the forking parent's peak across exec.
with open("/proc/self/status") as f:
    rss = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
print(json.dumps({"status": response["statusCode"], "saved": body.get("saved"),
                  "digit": body.get("digit"), "max_rss_kb": rss}), flush=True)
"""

# Where a cold start of the function's Lambda handler goes, step by step, in a fresh interpreter.
COLD_STEPS_SNIPPET = """
import time
marks = [("interpreter start", time.perf_counter())]
import json, sys
sys.path.insert(0, sys.argv[1])
import numpy
marks.append(("import numpy", time.perf_counter()))
import PIL.Image
marks.append(("import Pillow", time.perf_counter()))
import flask, functions_framework, apig_wsgi
marks.append(("import flask, functions-framework, apig-wsgi", time.perf_counter()))
import joblib
marks.append(("import joblib", time.perf_counter()))
import botocore.session
marks.append(("import botocore", time.perf_counter()))
from digits import api
from digits.config import Settings
marks.append(("import digits (the rest)", time.perf_counter()))
api.cached_model(Settings.from_env().model_path)  # the cache create_app then reuses
marks.append(("load the model", time.perf_counter()))
import lambda_handler
marks.append(("create the app: settings, S3 client", time.perf_counter()))
with open(sys.argv[2]) as f:
    response = lambda_handler.handler(json.load(f), None)
marks.append(("first request, S3 put included", time.perf_counter()))
print(json.dumps([(name, (b - a) * 1000) for (name, b), (_, a) in zip(marks[1:], marks)]))
"""


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
        Variant("digits", OUR_MAIN, lambda: load_model(settings.model_path), imaging.to_mnist),
        Variant(
            "reference",
            REFERENCE_MAIN,
            lambda: reference.load(reference_path),
            reference.preprocess,
        ),
    ]


# --- accuracy ---------------------------------------------------------------------------------


def served_images(samples: list[realistic.Sample], preprocess: Callable) -> np.ndarray:
    """Decode and preprocess samples as the server does; a refused input counts as wrong (blank)."""
    max_pixels = Settings.from_env().max_pixels
    images = np.zeros((len(samples), 28, 28), dtype=np.uint8)
    for i, sample in enumerate(samples):
        with contextlib.suppress(ClientError):
            images[i] = preprocess(imaging.decode_image(sample.data, max_pixels=max_pixels))
    return images


def measure_accuracy(models: dict, all_variants: list[Variant], n: int, seed: int) -> dict:
    """Return accuracy on MNIST test and on each realistic kind, for every variant."""
    data = mnist.load(os.environ.get("MNIST_DIR") or None)
    result: dict[str, dict[str, float]] = {v.name: {} for v in all_variants}
    for variant in all_variants:
        predicted = models[variant.name].predict_proba(data.test_images).argmax(axis=1)
        result[variant.name]["mnist_test"] = float(np.mean(predicted == data.test_labels))
    for kind, generate in realistic.KINDS.items():
        samples = generate(n, seed)
        labels = np.array([s.label for s in samples])
        for variant in all_variants:
            images = served_images(samples, variant.preprocess)
            predicted = models[variant.name].predict_proba(images).argmax(axis=1)
            result[variant.name][kind] = float(np.mean(predicted == labels))
        print(f"  {kind:<18} " + "  ".join(f"{v}: {a[kind]:.1%}" for v, a in result.items()))
    return result


# --- servers ----------------------------------------------------------------------------------


def server_env(s3_endpoint: str, reference_path: Path) -> dict[str, str]:
    """Return the environment a served function gets: fake credentials, S3 on moto."""
    # The same server settings as make dev (infra.local_stack), for both sides.
    env = {**SERVER_DEFAULTS, **{k: v for k, v in os.environ.items() if k not in UNSET}}
    env.update(FAKE_CREDENTIALS)
    env.update(
        AWS_DEFAULT_REGION=REGION,
        AWS_ENDPOINT_URL_S3=s3_endpoint,
        IMAGES_BUCKET=BUCKET,
        REFERENCE_MODEL_PATH=str(reference_path),
    )
    return env


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """Run moto's S3 server in its own process (so it does not share the load generator's GIL)."""
    port = free_port()
    LOGS.mkdir(parents=True, exist_ok=True)
    with open(LOGS / "moto.log", "wb") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "moto_server"), "-H", HOST, "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    endpoint = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + READY_SECONDS
        while True:
            try:
                status, _ = request(port, "GET", "/moto-api/", b"", {}, timeout=2)
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("moto's server did not start")
            time.sleep(0.05)
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        client.create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        stop_group(process)


def function_command(source: Path, port: int) -> list[str]:
    """Return the functions-framework command serving ``source`` on ``port``."""
    script = Path(sys.executable).parent / "functions-framework"
    return [
        str(script),
        *("--target", "predict", "--source", str(source)),
        *("--host", HOST, "--port", str(port)),
    ]


def start_function(source: Path, port: int, env: dict[str, str], log_name: str):
    """Start functions-framework in a process group of its own; return the process."""
    LOGS.mkdir(parents=True, exist_ok=True)
    with open(LOGS / log_name, "ab") as log:
        return subprocess.Popen(
            function_command(source, port),
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_group(process: subprocess.Popen) -> None:
    """Stop a process started in its own session, and everything in its group."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def request(
    port: int, method: str, path: str, body: bytes, headers: dict, timeout: float = REQUEST_TIMEOUT
) -> tuple[int, bytes]:
    """Send one HTTP request on a new loopback connection; return status and body."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def post_predict(port: int, payload: bytes) -> tuple[int, bytes]:
    """POST a canvas JSON body to /predict."""
    return request(port, "POST", "/predict", payload, {"Content-Type": "application/json"})


def wait_answer(process: subprocess.Popen, port: int, payload: bytes) -> tuple[int, bytes]:
    """Return the first answer to a prediction from a server that is still starting."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the function exited with status {process.returncode}")
        try:
            return post_predict(port, payload)
        except (ConnectionRefusedError, ConnectionResetError, http.client.RemoteDisconnected):
            time.sleep(0.005)
    raise RuntimeError(f"no answer on port {port} within {READY_SECONDS:.0f} s")


def cold_start_server(source: Path, name: str, env: dict[str, str], payload: bytes) -> float:
    """Return seconds from spawning functions-framework on ``source`` to its first saved answer."""
    port = free_port()
    started = time.perf_counter()
    process = start_function(source, port, env, f"{name}.log")
    try:
        status, body = wait_answer(process, port, payload)
        elapsed = time.perf_counter() - started
    finally:
        stop_group(process)
    if status != 200 or not json.loads(body).get("saved"):
        raise RuntimeError(f"{name}: cold request answered {status}: {body[:200]!r}")
    return elapsed


def cold_start_lambda(
    source: Path, name: str, env: dict[str, str], *, bytecode: bool = True
) -> tuple[float, int]:
    """Return seconds from spawning a Python process to the handler's answer, and its peak RSS.

    Without ``bytecode`` every module is compiled from source, as in a package shipped without
    .pyc files, whose read-only directory keeps Lambda from caching them (infra/Makefile ships
    them; this figure is what that saves).
    """
    flags: list[str] = []
    if not bytecode:
        flags = ["-B"]
        env = {**env, "PYTHONPYCACHEPREFIX": tempfile.mkdtemp(prefix="bench-nopyc-")}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, *flags, "-c", LAMBDA_SNIPPET, str(source), str(CANVAS_EVENT)],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = process.stdout.readline()
    elapsed = time.perf_counter() - started
    process.stdout.close()
    process.wait(60)
    answer = json.loads(line)
    if answer["status"] != 200 or not answer["saved"]:
        raise RuntimeError(f"{name}: the Lambda handler answered {answer}")
    return elapsed, answer["max_rss_kb"] * 1024


def cold_start_steps(env: dict[str, str], runs: int = 3) -> dict[str, float]:
    """Return the median milliseconds of each step of the Lambda handler's cold start."""
    samples: list[list[tuple[str, float]]] = []
    for _ in range(runs):
        output = subprocess.run(
            [sys.executable, "-c", COLD_STEPS_SNIPPET, str(OUR_MAIN.parent), str(CANVAS_EVENT)],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        samples.append(json.loads(output.strip().splitlines()[-1]))
    return {
        name: statistics.median(run[i][1] for run in samples)
        for i, (name, _) in enumerate(samples[0])
    }


def process_group_pids(leader: int) -> list[int]:
    """Return the pids of the processes whose process group is ``leader``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command: state ppid pgrp ...
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == leader:
            pids.append(int(entry.name))
    return pids


def peak_rss(pid: int) -> int:
    """Return the peak resident set size of ``pid`` in bytes (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmHWM for {pid}")


def percentile(values: list[float], q: float) -> float:
    """Return the ``q``-th percentile of ``values``."""
    return float(np.percentile(values, q))


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
            errors[name] += status != 200
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
                status, _ = post_predict(port, payloads[i % len(payloads)])
                ok = status == 200
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


def measure_servers(all_variants: list[Variant], env: dict, payloads: list[bytes], args) -> dict:
    """Serve every variant at once; warm latency and throughput alternate between them.

    The floor function (bench/floor_main.py) is served beside them for warm latency only.
    """
    sources = {v.name: v.source for v in all_variants}
    ports = {name: free_port() for name in (*sources, "floor")}
    processes = {
        name: start_function(source, ports[name], env, f"{name}.log")
        for name, source in {**sources, "floor": FLOOR_MAIN}.items()
    }
    results: dict[str, dict] = {name: {} for name in ports}
    try:
        for name, process in processes.items():
            wait_answer(process, ports[name], payloads[0])
        senders = {
            name: functools.partial(_send_cycled, port, payloads) for name, port in ports.items()
        }
        for name, summary in interleaved_latency(senders, args.requests).items():
            results[name]["http_warm"] = summary
        floor = processes.pop("floor")
        stop_group(floor)
        del ports["floor"]
        # Short alternating rounds: a busy spell on the shared machine hits both sides.
        totals = {name: {"ok": 0, "errors": 0, "seconds": 0.0} for name in ports}
        rounds = max(1, round(args.seconds / 2))
        for _ in range(rounds):
            for name, port in ports.items():
                burst = throughput(port, payloads, args.concurrency, args.seconds / rounds)
                for key in totals[name]:
                    totals[name][key] += burst[key]
        for name, total in totals.items():
            results[name]["throughput"] = {
                "concurrency": args.concurrency,
                "seconds": total["seconds"],
                "requests": total["ok"] + total["errors"],
                "errors": total["errors"],
                "requests_per_second": total["ok"] / total["seconds"],
            }
        for name, process in processes.items():
            rss = {pid: peak_rss(pid) for pid in process_group_pids(process.pid)}
            worker = max((p for p in rss if p != process.pid), key=rss.get, default=process.pid)
            results[name]["peak_rss_bytes"] = {
                "worker": rss[worker],
                "master": rss.get(process.pid),
                "total": sum(rss.values()),
            }
    finally:
        for process in processes.values():
            stop_group(process)
    return results


def _send_cycled(port: int, payloads: list[bytes], i: int) -> int:
    return post_predict(port, payloads[i % len(payloads)])[0]


def measure_in_process(
    all_variants: list[Variant], models: dict, payloads: list[bytes], requests: int
) -> dict:
    """Time each app in this process (Flask test client, S3 on moto) and its bare core."""
    from functions_framework import create_app

    from digits import storage

    storage.reset_client()
    clients = {v.name: create_app("predict", str(v.source)).test_client() for v in all_variants}

    def app_sender(name: str) -> Callable[[int], int]:
        def send(i: int) -> int:
            body = payloads[i % len(payloads)]
            response = clients[name].post("/predict", data=body, content_type="application/json")
            return response.status_code

        return send

    # The canvas PNGs themselves, for the steps below the HTTP layer.
    images = [base64.b64decode(json.loads(p)["image"].split(",", 1)[1]) for p in payloads]
    max_pixels = Settings.from_env().max_pixels

    def core_sender(variant: Variant) -> Callable[[int], int]:
        def send(i: int) -> int:
            decoded = imaging.decode_image(images[i % len(images)], max_pixels=max_pixels)
            models[variant.name].predict(variant.preprocess(decoded))
            return 200

        return send

    app = interleaved_latency({v.name: app_sender(v.name) for v in all_variants}, requests)
    core = interleaved_latency({v.name: core_sender(v) for v in all_variants}, requests)
    phases = phase_breakdown(all_variants, models, images, requests // 3)
    return {
        v.name: {"app_with_s3": app[v.name], "core": core[v.name], "phases_ms": phases[v.name]}
        for v in all_variants
    }


def phase_breakdown(
    all_variants: list[Variant], models: dict, images: list[bytes], runs: int
) -> dict[str, dict]:
    """Return the median milliseconds of each step of a warm prediction, S3 on moto included."""
    from digits.storage import ImageStore

    settings = Settings.from_env()
    store = ImageStore.from_settings(settings)
    steps = ("decode", "preprocess", "predict", "save")
    times = {v.name: {step: [] for step in steps} for v in all_variants}
    for i in range(runs):
        data = images[i % len(images)]
        for variant in all_variants:
            model = models[variant.name]
            marks = [time.perf_counter()]
            decoded = imaging.decode_image(data, max_pixels=settings.max_pixels)
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
            )
            marks.append(time.perf_counter())
            for step, start, end in zip(steps, marks[:-1], marks[1:], strict=True):
                times[variant.name][step].append((end - start) * 1000)
    return {
        name: {step: statistics.median(values) for step, values in by_step.items()}
        for name, by_step in times.items()
    }


def lambda_package() -> dict:
    """Return the size of the `sam build` output if it exists, unzipped and zipped."""
    if not LAMBDA_BUILD.is_dir():
        return {"measured": False, "note": "not measured: no .aws-sam/build (run sam build)"}
    files = [p for p in LAMBDA_BUILD.rglob("*") if p.is_file()]
    if not any(p.name == "lambda_handler.py" for p in files):
        # Empty or half-written: a `sam build` is running or failed.
        return {"measured": False, "note": "not measured: .aws-sam/build is incomplete"}
    unzipped = sum(p.stat().st_size for p in files)
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, path.relative_to(LAMBDA_BUILD))
        zipped = handle.tell()
    return {"measured": True, "unzipped_bytes": unzipped, "zipped_bytes": zipped}


# --- report -----------------------------------------------------------------------------------


def mb(value: float | None) -> str:
    """Format bytes as MB."""
    return "n/a" if value is None else f"{value / 1e6:.1f} MB"


def ratio(ours: float, theirs: float) -> str:
    """Format how many times better ``ours`` is when smaller is better."""
    return f"{theirs / ours:.1f}x" if ours else "n/a"


def render(results: dict) -> str:
    """Return the Markdown summary of ``results``."""
    ours, ref = results["digits"], results["reference"]
    targets = results["targets"]
    lines = [
        f"Measured by `{results['command']}` on {results['machine']}, {results['date']},"
        f" commit {results.get('commit', 'unknown')}"
        f" (reference: {results['reference']['description']}). Both served by"
        f" functions-framework (gunicorn, 1 worker, {results['server_settings']['THREADS']}"
        " threads) with the same API and storage code, S3 on a moto server, over loopback.",
        "",
        "| figure | digits | reference | ratio | target |",
        "| --- | --- | --- | --- | --- |",
    ]

    def row(name: str, a: str, b: str, r: str = "", target: str = "") -> None:
        lines.append(f"| {name} | {a} | {b} | {r} | {target} |")

    def verdict(key: str) -> str:
        target = targets[key]
        return f"{target['goal']}: {'met' if target['met'] else '**missed**'}"

    row(
        "cold start, functions-framework (median)",
        f"{ours['cold_start_server_s']:.2f} s",
        f"{ref['cold_start_server_s']:.2f} s",
        ratio(ours["cold_start_server_s"], ref["cold_start_server_s"]),
        verdict("cold_start_server"),
    )
    row(
        "cold start, Lambda handler + Function URL event (median)",
        f"{ours['cold_start_lambda_s']:.2f} s",
        f"{ref['cold_start_lambda_s']:.2f} s",
        ratio(ours["cold_start_lambda_s"], ref["cold_start_lambda_s"]),
        verdict("cold_start_lambda"),
    )
    floor = results.get("floor")
    if floor:
        row(
            "cold start floor (bench/floor_main.py: the same libraries imported, S3 client, one"
            " put; no digits code), functions-framework / Lambda handler",
            f"{floor['cold_start_server_s']:.2f} s / {floor['cold_start_lambda_s']:.2f} s",
            "",
        )
    row(
        "cold start, Lambda handler, no .pyc (a package without bytecode; ours ships it)",
        f"{ours['cold_start_lambda_no_bytecode_s']:.2f} s",
        "",
    )
    for label, key in (("HTTP", "http_warm"),):
        for q in ("p50", "p99"):
            a, b = ours[key][f"{q}_ms"], ref[key][f"{q}_ms"]
            row(
                f"warm POST /predict over {label}, S3 on moto, {q}",
                f"{a:.1f} ms",
                f"{b:.1f} ms",
                ratio(a, b),
                verdict("warm_p50") if q == "p50" else "",
            )
    if floor:
        row(
            "warm floor over HTTP, p50: the floor function storing the body, no digits code",
            f"{floor['http_warm']['p50_ms']:.1f} ms",
            "",
        )
    for label, key in (("in-process app, S3 on moto", "app_with_s3"), ("core only", "core")):
        for q in ("p50", "p99"):
            a, b = ours["in_process"][key][f"{q}_ms"], ref["in_process"][key][f"{q}_ms"]
            row(f"warm {label}, {q}", f"{a:.1f} ms", f"{b:.1f} ms", ratio(a, b))
    for step, text in (
        ("decode", "decode (Pillow)"),
        ("preprocess", "preprocess"),
        ("predict", "model"),
        ("save", "S3 put + presign"),
    ):
        a, b = ours["in_process"]["phases_ms"][step], ref["in_process"]["phases_ms"][step]
        row(f"warm step: {text}, median", f"{a:.1f} ms", f"{b:.1f} ms", ratio(a, b))
    a, b = ours["throughput"], ref["throughput"]
    row(
        f"throughput, concurrency {a['concurrency']} (errors)",
        f"{a['requests_per_second']:.0f} req/s ({a['errors']})",
        f"{b['requests_per_second']:.0f} req/s ({b['errors']})",
        f"{a['requests_per_second'] / b['requests_per_second']:.1f}x",
        verdict("throughput"),
    )
    a, b = ours["peak_rss_bytes"], ref["peak_rss_bytes"]
    row(
        "peak RSS, serving worker (master)",
        f"{mb(a['worker'])} ({mb(a['master'])})",
        f"{mb(b['worker'])} ({mb(b['master'])})",
        "",
        verdict("peak_rss"),
    )
    row(
        "peak RSS, Lambda handler process",
        mb(ours["lambda_peak_rss_bytes"]),
        mb(ref["lambda_peak_rss_bytes"]),
    )
    row(
        "model artifact",
        mb(ours["artifact_bytes"]),
        mb(ref["artifact_bytes"]),
        f"{ref['artifact_bytes'] / ours['artifact_bytes']:.0f}x smaller",
    )
    package = results["lambda_package"]
    if package["measured"]:
        row(
            "Lambda package (sam build), unzipped / zipped",
            f"{mb(package['unzipped_bytes'])} / {mb(package['zipped_bytes'])}",
            "",
        )
    else:
        row("Lambda package (sam build)", package["note"], "")
    steps = ours.get("cold_start_steps_ms", {})
    if steps:
        lines += [
            "",
            "Where the function's Lambda cold start goes (fresh interpreter, median of 3):",
            "",
            "| step | ms |",
            "| --- | --- |",
        ]
        lines += [f"| {name} | {ms:.0f} |" for name, ms in steps.items()]
        lines.append(f"| total (after interpreter start) | {sum(steps.values()):.0f} |")
    lines += ["", *notes(results)]
    lines += ["", "Accuracy (fraction right; realistic kinds: bench/realistic.py, "]
    lines[-1] += f"{results['accuracy_n']} inputs per kind, seed {results['accuracy_seed']}):"
    lines += ["", "| input kind | digits | reference |", "| --- | --- | --- |"]
    for kind in ours["accuracy"]:
        lines.append(f"| {kind} | {ours['accuracy'][kind]:.1%} | {ref['accuracy'][kind]:.1%} |")
    return "\n".join(lines) + "\n"


def notes(results: dict) -> list[str]:
    """Return sentences that read the figures: where the time goes on each side."""
    ours, ref = results["digits"], results["reference"]
    a, b = ours["in_process"]["phases_ms"], ref["in_process"]["phases_ms"]

    def rate(side: dict) -> float:
        return side["throughput"]["requests_per_second"]

    lines = [
        "Reading the figures: a warm prediction is decode + preprocess + model + S3 put, "
        f"{a['decode']:.1f} + {a['preprocess']:.1f} + {a['predict']:.1f} + {a['save']:.1f} ms"
        f" here against {b['decode']:.1f} + {b['preprocess']:.1f} + {b['predict']:.1f} +"
        f" {b['save']:.1f} ms for the reference. The model is"
        f" {b['predict'] / a['predict']:.0f}x faster; the preprocessing that earns the accuracy"
        " below (polarity, background, specks, crop, MNIST's centring) takes"
        f" {a['preprocess']:.1f} ms where a plain resize takes {b['preprocess']:.1f} ms; the S3 put"
        " is the same on both sides. End to end the function answers"
        f" {ref['http_warm']['p50_ms'] / ours['http_warm']['p50_ms']:.1f}x as fast (p50) with"
        f" {rate(ours) / rate(ref):.1f}x the throughput."
    ]
    floor = results.get("floor")
    if floor:
        budget = ref["http_warm"]["p50_ms"] / 2 - floor["http_warm"]["p50_ms"]
        lines[0] += (
            " The floor function (bench/floor_main.py: the same server, libraries and storage"
            " code, storing the request body without decoding it, no model) shows what this stack"
            " costs before any digits code runs: it answers in"
            f" {floor['http_warm']['p50_ms']:.1f} ms warm, so"
            " answering twice as fast as the reference leaves"
            f" {budget:.1f} ms for reading the JSON, decoding the PNG ({a['decode']:.1f} ms alone),"
            " preprocessing and the model; and it starts cold in"
            f" {floor['cold_start_server_s']:.2f} s through functions-framework and"
            f" {floor['cold_start_lambda_s']:.2f} s through the Lambda handler, against"
            " the 0.5 s target."
        )
    steps = ours.get("cold_start_steps_ms")
    if steps:
        imports = sum(ms for name, ms in steps.items() if name.startswith("import"))
        lines[0] += (
            f" A cold start is {imports / sum(steps.values()):.0%} imports (numpy, flask and"
            " functions-framework, botocore, joblib: none of them optional for the first answer,"
            " which is a saved prediction); loading the model takes"
            f" {steps.get('load the model', 0):.0f} ms."
        )
    return lines


def update_readme(summary: str, readme: Path = README) -> None:
    """Write ``summary`` between the bench markers of the README (after the placeholder)."""
    text = readme.read_text()
    block = f"{README_START}\n{summary}{README_END}"
    if README_START in text and README_END in text:
        before, rest = text.split(README_START, 1)
        after = rest.split(README_END, 1)[1]
        text = before + block + after
    else:
        anchor = "<!-- figures: model, bench -->"
        if anchor not in text:
            raise RuntimeError("README has neither the bench markers nor the figures placeholder")
        text = text.replace(anchor, f"{anchor}\n\n{block}", 1)
    readme.write_text(text)


def targets(ours: dict, ref: dict) -> dict:
    """Return each target with its goal and whether the measurement meets it."""
    cold = ours["cold_start_server_s"], ref["cold_start_server_s"]
    lam = ours["cold_start_lambda_s"], ref["cold_start_lambda_s"]
    return {
        "cold_start_server": {
            "goal": "<= 0.5 s and >= 3x",
            "met": cold[0] <= 0.5 and cold[1] / cold[0] >= 3,
        },
        "cold_start_lambda": {
            "goal": "<= 0.5 s and >= 3x",
            "met": lam[0] <= 0.5 and lam[1] / lam[0] >= 3,
        },
        "warm_p50": {
            "goal": ">= 2x",
            "met": ref["http_warm"]["p50_ms"] / ours["http_warm"]["p50_ms"] >= 2,
        },
        "throughput": {
            "goal": ">= 2x, zero errors",
            "met": ours["throughput"]["requests_per_second"]
            >= 2 * ref["throughput"]["requests_per_second"]
            and ours["throughput"]["errors"] == 0,
        },
        "peak_rss": {"goal": "<= 150 MB", "met": ours["peak_rss_bytes"]["worker"] <= 150e6},
    }


def canvas_payloads(count: int, seed: int) -> list[bytes]:
    """Return canvas JSON bodies as the page sends them, from MNIST test digits."""
    return [
        json.dumps(
            {"image": "data:image/png;base64," + base64.b64encode(sample.data).decode("ascii")}
        ).encode()
        for sample in realistic.canvas_png(count, seed)
    ]


def run_model_speed() -> None:
    """Refresh bench/model.json and the model card with the current model's speed."""
    from bench import model as model_bench

    figures = model_bench.measure()
    model_bench.OUT.write_text(json.dumps(figures, indent=2) + "\n")
    subprocess.run([sys.executable, "-m", "model.card"], check=True, cwd=REPO)


def write_summaries(results: dict) -> str:
    """Write bench/RESULTS.md and the README's figures from ``results``; return the summary."""
    summary = render(results)
    RESULTS_MD.write_text(
        "# Measured figures\n\nWritten by `make bench`; the numbers are in results.json.\n\n"
        + summary
    )
    update_readme(summary)
    return summary


def git_commit() -> str:
    """Return the checked-out commit, marked dirty when tracked files differ from it."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, check=False
        ).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    # The files this benchmark writes do not count: a previous run leaves them changed.
    outputs = [str(path.relative_to(REPO)) for path in (*OUTPUTS, README)]
    excluded = [f":(exclude){path}" for path in outputs]
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", *excluded)
    return commit + ("-dirty" if changed else "")


def main(argv: list[str] | None = None) -> dict:
    """Run every measurement and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="realistic inputs per kind")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cold-runs", type=int, default=9)
    parser.add_argument("--requests", type=int, default=300, help="sequential warm requests")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0, help="throughput run length")
    parser.add_argument("--skip-model-speed", action="store_true", help="leave bench/model.json")
    parser.add_argument(
        "--render-only", action="store_true", help="rewrite the summaries from bench/results.json"
    )
    args = parser.parse_args(argv)
    if args.render_only:
        results = json.loads(RESULTS_JSON.read_text())
        write_summaries(results)
        return results
    started = time.perf_counter()

    reference_path = reference.ensure()
    all_variants = variants(reference_path)
    models = {v.name: v.load() for v in all_variants}
    results: dict = {
        "command": "make bench (python -m bench.run)",
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f} at start",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": git_commit(),
        "accuracy_n": args.n,
        "accuracy_seed": args.seed,
    }
    for variant in all_variants:
        results[variant.name] = {}
    results["reference"]["description"] = (
        "scikit-learn RandomForestClassifier(n_estimators=100) on raw pixels, joblib,"
        " grayscale + resize 28x28 + /255"
    )

    print("accuracy")
    accuracy = measure_accuracy(models, all_variants, args.n, args.seed)
    payloads = canvas_payloads(20, args.seed)
    with moto_server() as s3_endpoint:
        env = server_env(s3_endpoint, reference_path)
        os.environ.update({k: env[k] for k in (*FAKE_CREDENTIALS, "AWS_ENDPOINT_URL_S3")})
        os.environ.update(AWS_DEFAULT_REGION=REGION, IMAGES_BUCKET=BUCKET)
        os.environ["REFERENCE_MODEL_PATH"] = str(reference_path)
        cold: dict[str, list[float]] = {v.name: [] for v in all_variants}
        cold_lambda: dict[str, list[float]] = {v.name: [] for v in all_variants}
        lambda_rss: dict[str, int] = {}
        print("cold starts")
        # Interleaved, so that a busy moment on the machine hits both sides alike.
        floor: list[float] = []
        floor_lambda: list[float] = []
        for _ in range(args.cold_runs):
            floor.append(cold_start_server(FLOOR_MAIN, "floor", env, payloads[0]))
            floor_lambda.append(cold_start_lambda(FLOOR_MAIN, "floor", env)[0])
            for variant in all_variants:
                seconds = cold_start_server(variant.source, variant.name, env, payloads[0])
                cold[variant.name].append(seconds)
                seconds, rss = cold_start_lambda(variant.source, variant.name, env)
                cold_lambda[variant.name].append(seconds)
                lambda_rss[variant.name] = max(lambda_rss.get(variant.name, 0), rss)
        ours = all_variants[0]
        no_bytecode = [
            cold_start_lambda(ours.source, ours.name, env, bytecode=False)[0] for _ in range(3)
        ]
        results[ours.name]["cold_start_lambda_no_bytecode_s"] = statistics.median(no_bytecode)
        results[ours.name]["cold_start_steps_ms"] = cold_start_steps(env)
        results["floor"] = {
            "cold_start_server_s": statistics.median(floor),
            "cold_start_server_runs_s": floor,
            "cold_start_lambda_s": statistics.median(floor_lambda),
            "cold_start_lambda_runs_s": floor_lambda,
        }
        results["server_settings"] = {"THREADS": env["THREADS"], "workers": 1}
        for variant in all_variants:
            runs = f"server {cold[variant.name]}, lambda {cold_lambda[variant.name]}"
            print(f"  {variant.name} cold starts: {runs}")
            figures = results[variant.name]
            figures["accuracy"] = accuracy[variant.name]
            figures["cold_start_server_s"] = statistics.median(cold[variant.name])
            figures["cold_start_server_runs_s"] = cold[variant.name]
            figures["cold_start_lambda_s"] = statistics.median(cold_lambda[variant.name])
            figures["cold_start_lambda_runs_s"] = cold_lambda[variant.name]
            figures["lambda_peak_rss_bytes"] = lambda_rss[variant.name]
        print("warm latency, throughput and memory over HTTP")
        for name, figures in measure_servers(all_variants, env, payloads, args).items():
            results[name].update(figures)
        print("warm latency in process")
        for name, figures in measure_in_process(
            all_variants, models, payloads, args.requests
        ).items():
            results[name]["in_process"] = figures
    results["digits"]["artifact_bytes"] = Settings.from_env().model_path.stat().st_size
    results["reference"]["artifact_bytes"] = reference_path.stat().st_size
    results["lambda_package"] = lambda_package()
    results["targets"] = targets(results["digits"], results["reference"])
    results["bench_seconds"] = time.perf_counter() - started

    RESULTS_JSON.write_text(json.dumps(results, indent=2) + "\n")
    print(write_summaries(results))
    if not args.skip_model_speed:
        print("model speed (bench/model.json) and the model card")
        run_model_speed()
    print(
        f"done in {time.perf_counter() - started:.0f} s; peak RSS of this process "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    return results


if __name__ == "__main__":
    main()

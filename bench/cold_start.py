"""Cold starts: from spawning a process to its first saved prediction, through functions-framework
and through the Lambda handler, and where the function's Lambda cold start goes step by step."""

from __future__ import annotations

import compileall
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.servers import (
    BENCH,
    FLOOR_MAIN,
    OUR_MAIN,
    READY_SECONDS,
    REPO,
    Variant,
    post_predict,
    start,
)
from infra.servers import free_port, stop_group

CANVAS_EVENT = REPO / "tests" / "events" / "predict-canvas-json.json"

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
import gc, json, sys
gc.disable()  # as lambda_handler.py does over its init
sys.path.insert(0, sys.argv[1])
from digits.deferred_init import defer
defer("werkzeug")
defer("joblib")
import numpy
marks.append(("import numpy", time.perf_counter()))
import PIL.Image
marks.append(("import Pillow", time.perf_counter()))
import werkzeug.wrappers, apig_wsgi
marks.append(("import werkzeug, apig-wsgi", time.perf_counter()))
import joblib.numpy_pickle
marks.append(("import joblib's loader", time.perf_counter()))
import botocore.session
marks.append(("import botocore", time.perf_counter()))
from digits import instance
from digits.http import api
from digits.config import Settings
marks.append(("import digits (the rest)", time.perf_counter()))
instance.cached_model(Settings.from_env().model_path)  # the cache create_app then reuses
marks.append(("load the model", time.perf_counter()))
import lambda_handler
marks.append(("create the app: settings, S3 client", time.perf_counter()))
with open(sys.argv[2]) as f:
    response = lambda_handler.handler(json.load(f), None)
marks.append(("first request, S3 put included", time.perf_counter()))
print(json.dumps([(name, (b - a) * 1000) for (name, b), (_, a) in zip(marks[1:], marks)]))
"""


def compile_sources(roots: tuple[Path, ...] = (REPO / "functions", BENCH)) -> None:
    """Write the bytecode of the function's and the references' own modules, as a package has it.

    A deployed package carries its .pyc files (infra/Makefile compiles them); site-packages get
    theirs from pip. Where PYTHONDONTWRITEBYTECODE is set, as on this project's machines, no
    import writes the repository's own, and every cold start measured here would compile them from
    source, which no deployed cold start does. compileall writes them whatever that setting says.
    """
    for root in roots:
        compileall.compile_dir(root, quiet=1)


def wait_answer(process: subprocess.Popen, port: int, payload: bytes) -> tuple[int, bytes]:
    """Return the first answer to a prediction from a server that is still starting.

    Not infra.servers.wait_ready: the first prediction itself is what is timed, so this asks for
    one every 5 ms instead of asking for /health.
    """
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
    process = start(source, port, env, name)
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


def measure_cold_starts(
    all_variants: list[Variant], env: dict[str, str], payload: bytes, runs: int
) -> dict[str, dict]:
    """Return the cold-start figures of every variant and of the floor, by name.

    Interleaved, so that a busy moment on the machine hits every side alike. The function under
    test (the first variant) also gets its cold start without bytecode and its steps.
    """
    compile_sources()
    server: dict[str, list[float]] = {v.name: [] for v in all_variants}
    handler: dict[str, list[float]] = {v.name: [] for v in all_variants}
    rss: dict[str, int] = {}
    floor: list[float] = []
    floor_handler: list[float] = []
    for _ in range(runs):
        floor.append(cold_start_server(FLOOR_MAIN, "floor", env, payload))
        floor_handler.append(cold_start_lambda(FLOOR_MAIN, "floor", env)[0])
        for variant in all_variants:
            server[variant.name].append(
                cold_start_server(variant.source, variant.name, env, payload)
            )
            seconds, peak = cold_start_lambda(variant.source, variant.name, env)
            handler[variant.name].append(seconds)
            rss[variant.name] = max(rss.get(variant.name, 0), peak)
    results: dict[str, dict] = {}
    for variant in all_variants:
        runs_s = f"server {server[variant.name]}, lambda {handler[variant.name]}"
        print(f"  {variant.name} cold starts: {runs_s}")
        results[variant.name] = {
            "cold_start_server_s": statistics.median(server[variant.name]),
            "cold_start_server_runs_s": server[variant.name],
            "cold_start_lambda_s": statistics.median(handler[variant.name]),
            "cold_start_lambda_runs_s": handler[variant.name],
            "lambda_peak_rss_bytes": rss[variant.name],
        }
    ours = all_variants[0]
    no_bytecode = [
        cold_start_lambda(ours.source, ours.name, env, bytecode=False)[0] for _ in range(3)
    ]
    results[ours.name]["cold_start_lambda_no_bytecode_s"] = statistics.median(no_bytecode)
    results[ours.name]["cold_start_steps_ms"] = cold_start_steps(env)
    results["floor"] = {
        "cold_start_server_s": statistics.median(floor),
        "cold_start_server_runs_s": floor,
        "cold_start_lambda_s": statistics.median(floor_handler),
        "cold_start_lambda_runs_s": floor_handler,
    }
    return results

"""Measure the model's own speed: cold load, one image, a batch; write bench/model.json.

python -m bench.model      # MNIST_DIR=../shared/data/mnist; then `python -m model.card`
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from digits.classifier.inference import load_model
from digits.classifier.threads import use_one_blas_thread
from digits.config import Settings
from model import mnist

OUT = Path(__file__).resolve().parent / "model.json"
COLD_SNIPPET = """
import time
t0 = time.perf_counter()
from digits.classifier.inference import load_model
load_model({path!r})
print(time.perf_counter() - t0)
"""


def cold_load_seconds(path: Path, runs: int) -> list[float]:
    """Time import + load in fresh processes (the interpreter's own start excluded)."""
    code = COLD_SNIPPET.format(path=str(path))
    return [
        float(
            subprocess.run(
                [sys.executable, "-c", code], check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(runs)
    ]


def measure(cold_runs: int = 7, single_runs: int = 1000) -> dict:
    """Return the model's speed figures, on one BLAS thread as a serving instance computes them."""
    use_one_blas_thread()
    path = Settings.from_env().model_path
    data = mnist.load(os.environ.get("MNIST_DIR"))
    model = load_model(path)
    cold = cold_load_seconds(path, cold_runs)
    single = []
    for image in data.test_images[:single_runs]:
        started = time.perf_counter()
        model.predict(image)
        single.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    probabilities = model.predict_proba(data.test_images)
    batch_seconds = time.perf_counter() - started
    return {
        "version": model.version,
        "command": "python -m bench.model",
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "cold_runs": cold_runs,
        "cold_load_seconds": statistics.median(cold),
        "single_ms_median": statistics.median(single),
        "single_ms_p99": float(np.percentile(single, 99)),
        "batch_10k_seconds": batch_seconds,
        "test_accuracy": float((probabilities.argmax(axis=1) == data.test_labels).mean()),
        "artifact_bytes": path.stat().st_size,
    }


if __name__ == "__main__":
    figures = measure()
    OUT.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))

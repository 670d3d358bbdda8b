"""Measure accuracy, speed and memory of the function side by side with a reference, in one run.

    make bench      # python -m bench.run [--n 200] [--cold-runs 9] [--requests 300] [--seconds 10]

The reference (bench/reference.py: scikit-learn forest of 100 trees on raw pixels, grayscale +
resize + /255) is served behind the same HTTP stack as the function: functions-framework, the same
``digits.http.api`` and ``digits.storage.images`` code, S3 emulated by a moto server on loopback
(bench/servers.py). The measurements are bench/accuracy.py, bench/cold_start.py, bench/warm.py,
bench/memory.py, bench/package.py, bench/batch.py, bench/cost.py (what batches cost on Lambda)
and bench/numbers.py; bench/report.py writes bench/results.json, bench/RESULTS.md and the
README's measured figures. This run also refreshes bench/model.json and the model card.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

from bench import (
    accuracy,
    batch,
    cold_start,
    cost,
    lambda_compare,
    numbers,
    package,
    reference,
    report,
    servers,
    warm,
)
from digits.config import Settings

# What this run writes: a previous run leaves them changed, which does not make the commit dirty.
OUTPUTS = (
    report.RESULTS_JSON,
    report.RESULTS_MD,
    report.README,
    servers.BENCH / "model.json",
    servers.REPO / "model" / "README.md",
)
REFERENCE_DESCRIPTION = (
    "scikit-learn RandomForestClassifier(n_estimators=100) on raw pixels, joblib,"
    " grayscale + resize 28x28 + /255"
)


def run_model_speed() -> None:
    """Refresh bench/model.json and the model card with the current model's speed."""
    from bench import model as model_bench

    figures = model_bench.measure()
    model_bench.OUT.write_text(json.dumps(figures, indent=2) + "\n")
    subprocess.run([sys.executable, "-m", "model.card"], check=True, cwd=servers.REPO)


def git_commit() -> str:
    """Return the checked-out commit, marked dirty when tracked files differ from it."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=servers.REPO, capture_output=True, text=True, check=False
        ).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    excluded = [f":(exclude){path.relative_to(servers.REPO)}" for path in OUTPUTS]
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", *excluded)
    return commit + ("-dirty" if changed else "")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Return the command line's options."""
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
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    """Run every measurement and write the results."""
    args = parse_args(argv)
    if args.render_only:
        results = report.load()
        report.write_summaries(results)
        return results
    started = time.perf_counter()

    reference_path = reference.ensure()
    all_variants = servers.variants(reference_path)
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
    results["reference"]["description"] = REFERENCE_DESCRIPTION

    print("accuracy")
    for name, figures in accuracy.measure_accuracy(models, all_variants, args.n, args.seed).items():
        results[name]["accuracy"] = figures
    payloads = servers.canvas_payloads(20, args.seed)
    with servers.s3() as s3_endpoint:
        env = servers.environment(s3_endpoint, reference_path)
        print("cold starts")
        cold = cold_start.measure_cold_starts(all_variants, env, payloads[0], args.cold_runs)
        results["floor"] = cold.pop("floor")
        for name, figures in cold.items():
            results[name].update(figures)
        results["server_settings"] = {"THREADS": env["THREADS"], "workers": 1}
        print("Lambda handlers: ours, the lean reference and the served reference")
        results["lambda"] = lambda_compare.measure(env, payloads, args.cold_runs, args.requests)
        print("warm latency, throughput and memory over HTTP")
        for name, figures in warm.measure_servers(
            all_variants,
            env,
            payloads,
            requests=args.requests,
            concurrency=args.concurrency,
            seconds=args.seconds,
        ).items():
            results[name].update(figures)
        print("warm latency in process")
        for name, figures in warm.measure_in_process(
            all_variants, models, payloads, args.requests, env
        ).items():
            results[name]["in_process"] = figures
    print("batches over HTTP")
    results["batch"] = batch.run()
    print("what batches cost on Lambda, S3 30 ms away")
    results["cost"] = cost.measure()
    print("numbers")
    results["numbers"] = numbers.measure(n=40, split="report", single=args.n // 2)
    results["digits"]["artifact_bytes"] = Settings.from_env().model_path.stat().st_size
    results["reference"]["artifact_bytes"] = reference_path.stat().st_size
    results["lambda_package"] = package.lambda_package()
    results["targets"] = report.targets(results["digits"], results["reference"])
    results["targets"].update(report.lambda_targets(results["lambda"]))
    results["bench_seconds"] = time.perf_counter() - started

    report.save(results)
    print(report.write_summaries(results))
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

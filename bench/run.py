"""Measure accuracy, speed and memory of the function side by side with a reference, in one run.

    make bench      # python -m bench.run [--n 200] [--digits 1000] [--numbers 1000] [--photos 200]
                    #     [--cold-runs 9] [--requests 300] [--seconds 10]
    python -m bench.run --only refusals,photos --n 10 --photos 4 --results /tmp/results.json
    python -m bench.run --render-only [--results PATH]

The reference (bench/reference.py: scikit-learn forest of 100 trees on raw pixels, grayscale +
resize + /255) is served behind the same HTTP stack as the function: functions-framework, the same
``digits.http.api`` and ``digits.storage.images`` code, S3 emulated by a moto server on loopback
(bench/servers.py). The sections (``SECTIONS``): accuracy (bench/accuracy.py), serving
(bench/cold_start.py, bench/lambda_compare.py, bench/warm.py, bench/memory.py, bench/package.py),
batch (bench/batch.py), cost (bench/cost.py: what batches cost on Lambda), numbers
(bench/numbers.py, and bench/before_photos.py beside it), refusals (bench/refusals.py) and photos
(bench/photo_runner.py); the ones that read digits run on both splits of bench/heldout.py, tune
and the held-out report. bench/report.py
writes bench/results.json, bench/RESULTS.md and the README's measured figures. A whole run also
refreshes bench/model.json and the model card. ``--only`` runs some sections and keeps the
others' figures from ``--results``.
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
from pathlib import Path

from bench import (
    accuracy,
    batch,
    before_photos,
    cold_start,
    cost,
    heldout,
    lambda_compare,
    number_lines,
    numbers,
    package,
    photo_runner,
    reading,
    reference,
    refusals,
    report,
    servers,
    warm,
)
from digits.config import Settings

# Each section, in the order a run takes them, and what it measures.
SECTIONS = {
    "accuracy": "accuracy as served, per split, both sides",
    "serving": "cold starts, Lambda against the lean reference, warm times, throughput, memory",
    "batch": "batches over HTTP",
    "cost": "what batches cost on Lambda, S3 30 ms away",
    "numbers": "numbers, per split (timed on report)",
    "refusals": "not-digits, false refusals and blank pages, per split",
    "photos": "phone photos, per split (the 12 MP photo's time and memory on report)",
}
# The photo sets issue 22's targets are judged on, the plain one beside them, 12 MP photos, and
# blank sheets (which should be answered with nothing).
PHOTO_SETS = (
    "plain",
    "all_fills",
    "all_desk",
    "all_small",
    "numbers_fills",
    "numbers_desk",
    "full_size",
    "blank_fills",
    "blank_desk",
)

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
    parser.add_argument("--n", type=int, default=200, help="inputs per kind, per split")
    parser.add_argument(
        "--digits",
        type=int,
        default=1000,
        help="single digits per kind, per split, read for the refusal and one-digit figures",
    )
    parser.add_argument(
        "--not-digits",
        type=int,
        default=1000,
        help="letters, symbols, scribbles and fragments per kind, per split, for the refusals",
    )
    parser.add_argument(
        "--numbers",
        type=int,
        default=numbers.EACH,
        help="numbers per gap kind and format, per split",
    )
    parser.add_argument("--photos", type=int, default=200, help="photos per set, per split")
    parser.add_argument("--seed", type=int, default=7, help="of the canvas digits timed")
    parser.add_argument("--cold-runs", type=int, default=9)
    parser.add_argument("--requests", type=int, default=300, help="sequential warm requests")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0, help="throughput run length")
    parser.add_argument("--skip-model-speed", action="store_true", help="leave bench/model.json")
    parser.add_argument("--only", help=f"comma-separated sections of {', '.join(SECTIONS)}")
    parser.add_argument(
        "--results",
        type=Path,
        default=report.RESULTS_JSON,
        help="results file; the README is written only from bench/results.json",
    )
    parser.add_argument(
        "--render-only", action="store_true", help="rewrite the summaries from --results"
    )
    args = parser.parse_args(argv)
    args.sections = [name.strip() for name in (args.only or ",".join(SECTIONS)).split(",")]
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; known: {', '.join(SECTIONS)}")
    return args


def measure_serving(
    results: dict, models: dict, all_variants: list, reference_path: Path, args
) -> None:
    """Cold starts, Lambda against the lean reference, warm times, throughput and memory."""
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
    results["digits"]["artifact_bytes"] = Settings.from_env().model_path.stat().st_size
    results["reference"]["artifact_bytes"] = reference_path.stat().st_size
    results["lambda_package"] = package.lambda_package()


def per_split(measure) -> dict:
    """Return ``measure(split, timed)`` for each split; what is timed only once, on report."""
    return {split: measure(split, split == heldout.REPORT.name) for split in heldout.SPLITS}


def measure_numbers(model, split: str, timed: bool, args) -> dict:
    """Return the numbers section of one split: bench/numbers.py's figures and, on the same
    numbers, bench/before_photos.py's."""
    samples = number_lines.number_samples(args.numbers, split)
    figures = numbers.measure(args.numbers, split, args.n // 2, timed=timed, samples=samples)
    figures["before_photos"] = before_photos.measure(
        model, split, args.digits, samples, reading.MAX_PIXELS
    )
    return figures


def measure_section(
    name: str, results: dict, models: dict, all_variants: list, reference_path: Path | None, args
) -> None:
    """Run one section and put its figures in ``results``."""
    if name == "accuracy":
        results["accuracy"] = accuracy.measure_accuracy(models, all_variants, args.n)
    elif name == "serving":
        measure_serving(results, models, all_variants, reference_path, args)
    elif name == "batch":
        results["batch"] = batch.run()
    elif name == "cost":
        results["cost"] = cost.measure()
    elif name == "numbers":
        results["numbers"] = per_split(
            lambda split, timed: measure_numbers(models["digits"], split, timed, args)
        )
    elif name == "refusals":
        results["refusals"] = per_split(
            lambda split, _: refusals.measure(
                models["digits"],
                split,
                args.n,
                args.digits,
                max(8, args.n // 5),
                n_not_digits=args.not_digits,
            )
        )
    elif name == "photos":
        results["photos"] = per_split(
            lambda split, timed: photo_runner.measure(
                split, args.photos, list(PHOTO_SETS), photo_runner.MEMORY_FORMATS if timed else ()
            )
        )


def run_sections(
    results: dict, models: dict, all_variants: list, reference_path: Path | None, args
) -> None:
    """Run the sections asked for, in order, keeping each one's seconds in the results."""
    seconds = results.setdefault("section_seconds", {})
    for name in SECTIONS:
        if name in args.sections:
            print(f"{name}: {SECTIONS[name]}")
            started = time.perf_counter()
            measure_section(name, results, models, all_variants, reference_path, args)
            seconds[name] = round(time.perf_counter() - started, 1)
            # Kept after each section: a run stopped later can go on with --only the rest.
            report.save(results, args.results)


def main(argv: list[str] | None = None) -> dict:
    """Run the measurements asked for and write the results."""
    args = parse_args(argv)
    if args.render_only:
        results = report.load(args.results)
        report.write_summaries(results, args.results)
        return results
    started = time.perf_counter()

    partial = args.only is not None
    results: dict = report.load(args.results) if partial and args.results.is_file() else {}
    results |= {
        "command": "make bench (python -m bench.run)"
        if not partial
        else f"python -m bench.run --only {','.join(args.sections)}, the rest from earlier runs",
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f} at start",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": git_commit(),
    }
    needs_reference = {"accuracy", "serving"} & set(args.sections)
    reference_path = reference.ensure() if needs_reference else None
    all_variants = servers.variants(reference_path or Path())
    if reference_path is None:  # no section asked compares with the reference: leave it unloaded
        all_variants = [v for v in all_variants if v.name == "digits"]
    models = {v.name: v.load() for v in all_variants}
    for variant in all_variants:
        results.setdefault(variant.name, {})
    if reference_path:
        results["reference"]["description"] = REFERENCE_DESCRIPTION

    run_sections(results, models, all_variants, reference_path, args)
    results["bench_seconds"] = time.perf_counter() - started

    report.save(results, args.results)
    if not partial and not args.skip_model_speed:
        # Before the summaries, which open with the model's speed from bench/model.json.
        print("model speed (bench/model.json) and the model card")
        run_model_speed()
    print(report.write_summaries(results, args.results))
    print(
        f"done in {time.perf_counter() - started:.0f} s; peak RSS of this process "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    return results


if __name__ == "__main__":
    main()

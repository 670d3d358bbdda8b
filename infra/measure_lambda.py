"""Run the built Lambda package on the runtime's Python and measure its cold init, time and memory.

``python -m infra.measure_lambda`` (after ``sam build``) starts moto's S3 server on loopback and a
child process of the runtime's Python version (python3.13, from pyenv here) that sees only the
package in .aws-sam/build/DigitsFunction plus boto3 (which Lambda provides) and the standard
library: no site-packages of its own. The child imports lambda_handler as Lambda's init phase
does, then invokes the handler with every event in tests/events/, and reports the init seconds,
each event's status and milliseconds, and the peak RSS: the figures template.yaml's MemorySize and
Timeout are chosen from. Then it runs the handler's SnapStart hooks as a snapshot and a restore
would, and times the first answer after. It also lists every module it loaded and where from, so
tests/integration/test_package.py can check the package holds all it imports. Run on a quiet
machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

from infra.runtime import find_python, runtime_version

REPO = Path(__file__).resolve().parents[1]
BUILD_DIR = REPO / ".aws-sam" / "build" / "DigitsFunction"
EVENTS = REPO / "tests" / "events"
BOTO3_DIR = REPO / ".aws-sam" / "runtime-boto3"
BUCKET = "digits-measure-images"
SITE_ORIGIN = "https://d1a2b3c4d5e6f7.cloudfront.net"

# Runs in the child: nothing but the package, boto3 and the standard library on its path (python
# -S: no site-packages), like /var/task on Lambda.
CHILD = """
import json, os, resource, sys, time
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
def peak_rss_mb():
    # VmHWM belongs to this process's own memory map; ru_maxrss would also count the RSS of the
    # process that forked it, which Linux carries across execve.
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024
started = time.perf_counter()
import lambda_handler
init_seconds = time.perf_counter() - started
init_cpu_seconds = cpu()
init_rss_mb = peak_rss_mb()
results = []
for path in sys.argv[1:]:
    event = json.load(open(path))
    for attempt in range(REPEATS):
        began, began_cpu = time.perf_counter(), cpu()
        answer = lambda_handler.handler(event, None)
        took, took_cpu = time.perf_counter() - began, cpu() - began_cpu
        results.append({"event": path.rsplit("/", 1)[-1], "attempt": attempt,
                        "status": answer["statusCode"], "ms": round(took * 1000, 2),
                        "cpu_ms": round(took_cpu * 1000, 2)})
# SnapStart: Lambda runs the before-snapshot hooks after init, the after-restore hooks in each
# restored copy; here both run in this process, then the first event is answered once more.
restore = {}
if hasattr(lambda_handler, "after_restore"):
    began = time.perf_counter()
    lambda_handler.before_snapshot()
    restore["before_snapshot_seconds"] = round(time.perf_counter() - began, 3)
    began = time.perf_counter()
    lambda_handler.after_restore()
    restore["after_restore_seconds"] = round(time.perf_counter() - began, 3)
    names = [p for p in sys.argv[1:] if p.rsplit("/", 1)[-1].startswith("predict")]
    event = json.load(open((names or sys.argv[1:])[0]))
    began = time.perf_counter()
    status = lambda_handler.handler(event, None)["statusCode"]
    restore["first_after_restore_ms"] = round((time.perf_counter() - began) * 1000, 2)
    restore["first_after_restore_status"] = status
def origin(module):
    # A file; a namespace package's first folder; "built-in" or "frozen"; None for stand-ins that
    # some libraries put in sys.modules.
    if getattr(module, "__file__", None):
        return module.__file__
    spec = getattr(module, "__spec__", None)
    if spec is not None and spec.origin not in (None, "namespace"):
        return spec.origin
    return next(iter(getattr(module, "__path__", None) or []), None)
modules = {name: origin(module) for name, module in list(sys.modules.items()) if name != "__main__"}
print(json.dumps({
    "stdlib": os.path.dirname(os.__file__),
    "modules": modules,
    "python": sys.version.split()[0],
    "snapstart": restore,
    "init_seconds": round(init_seconds, 3),
    "init_cpu_seconds": round(init_cpu_seconds, 3),
    "init_rss_mb": round(init_rss_mb, 1),
    "peak_rss_mb": round(peak_rss_mb(), 1),
    "results": results,
}))
"""


def boto3_pin() -> str:
    """Return the boto3 requirement pinned in requirements-dev.txt."""
    for line in (REPO / "requirements-dev.txt").read_text().splitlines():
        if line.startswith("boto3=="):
            return line.strip()
    raise ValueError("boto3 is not pinned in requirements-dev.txt")


def install_boto3(target: Path, python: str) -> Path:
    """Install the pinned boto3 into ``target`` for ``python``: Lambda has it, the package not."""
    if not (target / "boto3").is_dir():
        pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        quiet = ["--root-user-action=ignore"]
        subprocess.run([*pip, *quiet, "--target", str(target), boto3_pin()], check=True)
    return target


def run_package(
    build_dir: Path, python: str, boto3_dir: Path, events: list[Path], repeats: int = 1
) -> dict:
    """Invoke the package's handler with ``events`` in a fresh ``python``; return its report."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        endpoint = "http://{}:{}".format(*server.get_host_and_port())
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": os.pathsep.join([str(build_dir), str(boto3_dir)]),
            "PYTHONDONTWRITEBYTECODE": "1",  # /var/task is read-only: no .pyc cache there
            "AWS_ACCESS_KEY_ID": "measure",
            "AWS_SECRET_ACCESS_KEY": "measure",
            "AWS_REGION": "eu-west-1",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_ENDPOINT_URL_S3": endpoint,
            "IMAGES_BUCKET": BUCKET,
            "ALLOWED_ORIGINS": SITE_ORIGIN,
            "MODEL_PATH": str(build_dir / "model" / "model.joblib"),
        }
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="eu-west-1",
            aws_access_key_id="measure",
            aws_secret_access_key="measure",
        )
        s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        answer = subprocess.run(
            [python, "-S", "-c", CHILD.replace("REPEATS", str(repeats))]
            + [str(e.resolve()) for e in events],
            env=env,
            cwd=build_dir,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        server.stop()
    if answer.returncode != 0:
        raise RuntimeError(f"the package failed on {python}:\n{answer.stderr[-4000:]}")
    return json.loads(answer.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Measure the built package and print the report as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=BUILD_DIR)
    parser.add_argument("--python", help="the runtime's interpreter (default: found by version)")
    parser.add_argument("--repeats", type=int, default=5, help="invocations of each event")
    parser.add_argument(
        "--events",
        type=Path,
        action="append",
        help="a folder of event JSON files; repeatable (default: tests/events)",
    )
    args = parser.parse_args(argv)
    version = runtime_version()
    python = args.python or find_python(version)
    if python is None:
        parser.error(f"no Python {version} found (the template's runtime); pass --python")
    if not (args.build_dir / "lambda_handler.py").is_file():
        parser.error(f"{args.build_dir} holds no package: run `sam build` first")
    boto3_dir = install_boto3(BOTO3_DIR, python)
    events = [path for folder in args.events or [EVENTS] for path in sorted(folder.glob("*.json"))]
    report = run_package(args.build_dir, python, boto3_dir, events, args.repeats)
    size = sum(p.stat().st_size for p in args.build_dir.rglob("*") if p.is_file())
    report["package_mb"] = round(size / 1e6, 1)
    report["modules_loaded"] = len(report.pop("modules"))
    del report["stdlib"]
    by_event: dict[str, list[dict]] = {}
    for row in report.pop("results"):
        by_event.setdefault(row["event"], []).append(row)
    report["by_event"] = {
        name: {
            "status": rows[0]["status"],
            "first_ms": rows[0]["ms"],
            "best_ms": min(r["ms"] for r in rows),
            "worst_ms": max(r["ms"] for r in rows),
            "best_cpu_ms": min(r["cpu_ms"] for r in rows),
        }
        for name, rows in by_event.items()
    }
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())

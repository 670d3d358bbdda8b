"""The serving side of the bench's report: the function against the reference, over HTTP and Lambda.

Cold starts, warm times and where they go, throughput, memory and sizes, rendered from
bench/results.json (bench/cold_start.py, bench/warm.py, bench/lambda_compare.py, bench/memory.py,
bench/package.py).
"""

from __future__ import annotations

from bench.report_targets import lambda_targets, targets


def mb(value: float | None) -> str:
    """Format bytes as MB."""
    return "n/a" if value is None else f"{value / 1e6:.1f} MB"


def ratio(ours: float, theirs: float) -> str:
    """Format how many times better ``ours`` is when smaller is better."""
    return f"{theirs / ours:.1f}x" if ours else "n/a"


def lambda_rows(lam: dict, verdict) -> list[tuple[str, str, str, str, str]]:
    """Return the table rows comparing the Lambda handlers (ours, lean and served reference)."""
    ours, lean, served = lam["digits"], lam["lean_reference"], lam["reference"]
    cold = ours["cold_start_lambda_s"], lean["cold_start_lambda_s"]
    rows = [
        (
            "cold start, Lambda handler vs the lean reference (bench/lean_reference.py: bare"
            " handler, scikit-learn, Pillow, boto3), spawn to first saved answer, median",
            f"{cold[0]:.2f} s",
            f"{cold[1]:.2f} s",
            ratio(*cold),
            verdict("cold_start_lambda_lean"),
        )
    ]
    if "cold_start_lambda_cpu_s" in ours:
        cpu = ours["cold_start_lambda_cpu_s"], lean["cold_start_lambda_cpu_s"]
        rows.append(
            (
                "cold start CPU (user + system of that process; steadier than wall on a busy"
                " machine), Lambda handler vs the lean reference, median",
                f"{cpu[0]:.2f} s",
                f"{cpu[1]:.2f} s",
                ratio(*cpu),
                "",
            )
        )
    for name, side, target in (
        ("lean reference", lean, verdict("warm_above_storage_lean")),
        ("served reference", served, ""),
    ):
        a, b = ours["warm"]["above_storage_ms"], side["warm"]["above_storage_ms"]
        rows.append(
            (
                f"warm Lambda handler in process, p50 less its own S3 storage step's p50, vs {name}"
                f" ({_less(ours)} against {_less(side)}){_runs(ours, side is lean)}",
                f"{a:.1f} ms",
                f"{b:.1f} ms",
                ratio(a, b),
                target,
            )
        )
    return rows


def _runs(ours: dict, against_lean: bool) -> str:
    """Say which of several processes' runs the figures are (bench/lambda_compare.py)."""
    ratios = ours["warm"].get("runs_lean_ratio")
    if not ratios or len(ratios) < 2:
        return ""
    if not against_lean:
        return f", the same run of {len(ratios)}"
    listed = ", ".join(f"{r:.2f}x" for r in ratios)
    return f", the median of {len(ratios)} processes' runs by this ratio ({listed})"


def _less(side: dict) -> str:
    warm = side["warm"]
    return f"{warm['handler_p50_ms']:.1f} - {warm['storage_p50_ms']:.1f} ms"


def table(results: dict) -> list[str]:
    """Return the serving comparison: how it was measured, the table, where a cold start goes."""
    ours, ref = results["digits"], results["reference"]
    verdicts = targets(ours, ref)
    if results.get("lambda"):
        verdicts |= lambda_targets(results["lambda"])
    lines = [
        "",
        f"The function against a reference ({results['reference']['description']}), both served"
        f" by functions-framework (gunicorn, 1 worker, {results['server_settings']['THREADS']}"
        " threads) with the same API and storage code, S3 on a moto server, over loopback:",
        "",
        "| figure | digits | reference | ratio | target |",
        "| --- | --- | --- | --- | --- |",
    ]

    def row(name: str, a: str, b: str, r: str = "", target: str = "") -> None:
        lines.append(f"| {name} | {a} | {b} | {r} | {target} |")

    def verdict(key: str) -> str:
        target = verdicts[key]
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
    if results.get("lambda"):
        for cells in lambda_rows(results["lambda"], verdict):
            row(*cells)
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
    return lines


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
        libraries = ", ".join(
            name.removeprefix("import ")
            for name in steps
            if name.startswith("import ") and not name.startswith("import digits")
        )
        lines[0] += (
            f" A cold start is {imports / sum(steps.values()):.0%} imports ({libraries}: none of"
            " them optional for the first answer, which is a saved prediction); loading the model"
            f" takes {steps.get('load the model', 0):.0f} ms."
        )
    return lines

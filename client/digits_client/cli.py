"""``digits predict PATH...`` and ``digits feedback KEY LABEL --receipt R``: parse, run, exit.

Exit status: 0 when every file was predicted (or the feedback recorded), 1 when any failed,
2 for a usage error, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence

from tqdm import tqdm

from digits.config import function_port
from digits_client import batching, output
from digits_client.files import collect
from digits_client.predicting import DEFAULT_CONCURRENCY, predict
from digits_client.transport import Client, RetryPolicy, Unreachable

PROG = "digits"
# More files than this get a progress bar (on a terminal only).
HANDFUL = 8


def default_url(env: dict[str, str] | None = None) -> str:
    """Return DIGITS_URL, else the function that ``make dev`` runs on FUNCTION_PORT."""
    env = os.environ if env is None else env
    return env.get("DIGITS_URL") or f"http://127.0.0.1:{function_port(env)}"


def parser() -> argparse.ArgumentParser:
    """Return the command line's parser."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", help="the function's URL (default: $DIGITS_URL, else make dev's)")
    common.add_argument(
        "--retries",
        type=_count,
        default=RetryPolicy.retries,
        help="retries of a throttled (429), unavailable (503), in-progress (409) or dropped "
        "request, each with the request's own Idempotency-Key (%(default)s)",
    )
    common.add_argument(
        "--backoff",
        type=_seconds,
        default=RetryPolicy.backoff,
        metavar="SECONDS",
        help="first wait before a retry, doubled each time, plus jitter (default: %(default)s)",
    )
    common.add_argument(
        "--max-wait",
        type=_seconds,
        default=RetryPolicy.max_wait,
        metavar="SECONDS",
        help="longest wait before one retry, Retry-After included (default: %(default)s)",
    )
    common.add_argument(
        "--timeout",
        type=_seconds,
        default=RetryPolicy.read_timeout,
        metavar="SECONDS",
        help="longest wait for one answer (default: %(default)s)",
    )
    top = argparse.ArgumentParser(prog=PROG, description="Client of the digits function.")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "predict",
        parents=[common],
        help="predict the digit in image files",
        description="Predict the digit in each image: files, folders (recursively) or globs. "
        "One line per file, in the order given; exit status 1 if any failed.",
    )
    run.add_argument("paths", nargs="+", metavar="PATH")
    run.add_argument("--format", choices=output.FORMATS, default="jsonl", help="default: jsonl")
    run.add_argument(
        "--concurrency",
        type=_positive,
        default=DEFAULT_CONCURRENCY,
        help="requests in flight (default: %(default)s)",
    )
    run.add_argument(
        "--batch-size",
        type=_positive,
        default=batching.MAX_IMAGES,
        help="most images per request (default and the server's limit: %(default)s)",
    )
    run.add_argument(
        "--max-body",
        type=_positive,
        default=batching.MAX_BODY_BYTES,
        metavar="BYTES",
        help="the server's body limit, MAX_BODY_BYTES (default: %(default)s)",
    )
    run.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=f"progress bar on stderr (default: on a terminal, for more than {HANDFUL} files)",
    )

    fix = commands.add_parser(
        "feedback",
        parents=[common],
        help="send the right label of a predicted image",
        description="Record the right digit of an image the function stored; KEY and RECEIPT "
        "are the ones `digits predict` printed for it.",
    )
    fix.add_argument("key", metavar="KEY")
    fix.add_argument("label", type=int, choices=range(10), metavar="LABEL")
    fix.add_argument(
        "--receipt",
        required=True,
        # Receipts are hex now; one from before may start with "-", which argparse takes for a flag.
        help="the receipt predict printed with KEY (write --receipt=R if R starts with '-')",
    )
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = parser().parse_args(argv)
    policy = RetryPolicy(
        retries=args.retries,
        backoff=args.backoff,
        max_wait=args.max_wait,
        read_timeout=args.timeout,
    )
    client = Client(args.url or default_url(), policy, listener=_say)
    try:
        if args.command == "predict":
            return run_predict(args, client)
        return run_feedback(args, client)
    except KeyboardInterrupt:
        _say("interrupted")
        return 130


def run_predict(args: argparse.Namespace, client: Client) -> int:
    """Predict every file the arguments name; print a line each, then what failed."""
    entries = collect(args.paths)
    if not entries:
        _say("no image files in the paths given")
        return 1
    show = (
        args.progress
        if args.progress is not None
        else sys.stderr.isatty() and len(entries) > HANDFUL
    )
    # A line for the terminal the bar is on clears the bar first, then redraws it.
    shared = show and sys.stdout.isatty()
    writer = output.Writer(sys.stdout, args.format)
    failed = []
    with tqdm(total=len(entries), unit="file", file=sys.stderr, disable=not show) as bar:
        outcomes = predict(
            entries,
            client,
            concurrency=args.concurrency,
            max_images=args.batch_size,
            max_body=args.max_body,
            progress=bar.update,
        )
        for outcome in outcomes:
            with tqdm.external_write_mode(file=sys.stderr) if shared else contextlib.nullcontext():
                writer.write(outcome)
            if not outcome.ok:
                failed.append(outcome)
    writer.close()
    if failed or sys.stderr.isatty():
        _say(output.summary(len(entries), failed))
    return 1 if failed else 0


def run_feedback(args: argparse.Namespace, client: Client) -> int:
    """Send the right label of one stored image; print the answer."""
    document = {"key": args.key, "label": args.label, "receipt": args.receipt}
    try:
        answer = client.post("/feedback", json=document)
    except Unreachable as error:
        _say(f"feedback not sent: {error}")
        return 1
    if answer.status == 200 and isinstance(answer.body, dict):
        print(json.dumps(answer.body))
        return 0
    error = answer.body.get("error") if isinstance(answer.body, dict) else None
    if isinstance(error, dict):
        _say(f"feedback refused: HTTP {answer.status} {error.get('code')}: {error.get('message')}")
    else:
        _say(f"feedback refused: HTTP {answer.status}: {' '.join(answer.text.split())[:200]}")
    return 1


def _say(message: str) -> None:
    """Write a message for the person at the terminal, past any progress bar."""
    tqdm.write(f"{PROG}: {message}", file=sys.stderr)


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds")
    return value

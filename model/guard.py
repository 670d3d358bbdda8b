"""The guard: compare a candidate model with the current one and decide whether to promote it.

Promote only if all three hold (issue 14):

- held-out labelled images: the candidate's accuracy improves or holds (and there is at least
  one held-out image to judge by);
- MNIST test, as served (decoded and through to_mnist, as the model card measures): the candidate
  drops at most ``MNIST_DROP`` (0.2 points);
- each realistic kind of bench/realistic.py: the candidate drops at most ``REALISTIC_DROP``
  (0.5 points) on any one of them;
- numbers (bench/numbers.py, the tuning split): exact-number accuracy drops at most
  ``NUMBERS_DROP`` for any kind of gap, so a retrained model cannot quietly read numbers worse;
- not-digits (bench/not_digits.py, the tuning split): the share refused (or read with under half
  confidence) drops at most ``REFUSAL_DROP`` for any kind, so it cannot quietly accept junk;
- lines that hold junk (bench/junk_in_lines.py, the tuning split): the share of words turned away
  and of numbers with a letter read as their digits drop at most ``REFUSAL_DROP``, so it cannot
  quietly read letters inside a line as digits.

Otherwise the current model stays, and every failed condition is given as a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MNIST_DROP = 0.002
REALISTIC_DROP = 0.005
# Numbers and refusals are measured on a few hundred images: one image is half a point or more.
NUMBERS_DROP = 0.02
REFUSAL_DROP = 0.02
# Accuracies are fractions of whole images; compare with a little slack for float rounding.
SLACK = 1e-9


@dataclass(frozen=True)
class Scores:
    """One model's accuracies, as fractions: held-out labelled images, MNIST test, each kind."""

    version: str
    held_out: float
    mnist: float
    realistic: dict[str, float] = field(default_factory=dict)
    numbers: dict[str, float] = field(default_factory=dict)  # exact, per kind of gap
    refusals: dict[str, float] = field(default_factory=dict)  # refused share, per kind
    in_lines: dict[str, float] = field(default_factory=dict)  # junk_in_lines' shares, by name


@dataclass(frozen=True)
class Decision:
    """Whether to promote, and why not when refused."""

    promote: bool
    reasons: tuple[str, ...]


def decide(current: Scores, candidate: Scores, held_out_count: int) -> Decision:
    """Return the guard's decision for ``candidate`` against ``current``."""
    reasons = []
    if held_out_count == 0:
        reasons.append("no held-out labelled images to judge the candidate by")
    elif candidate.held_out + SLACK < current.held_out:
        reasons.append(
            f"held-out labelled accuracy falls from {_pct(current.held_out)}"
            f" to {_pct(candidate.held_out)}"
        )
    if candidate.mnist + MNIST_DROP + SLACK < current.mnist:
        reasons.append(
            f"MNIST test falls {_points(current.mnist - candidate.mnist)} points"
            f" (at most {_points(MNIST_DROP)} allowed)"
        )
    for name, before_set, after_set, allowed in (
        ("realistic kind", current.realistic, candidate.realistic, REALISTIC_DROP),
        ("numbers with gaps", current.numbers, candidate.numbers, NUMBERS_DROP),
        ("refusals of", current.refusals, candidate.refusals, REFUSAL_DROP),
        ("lines:", current.in_lines, candidate.in_lines, REFUSAL_DROP),
    ):
        for kind, before in before_set.items():
            after = after_set.get(kind)
            if after is None:
                reasons.append(f"{name} {kind} was not measured for the candidate")
            elif after + allowed + SLACK < before:
                reasons.append(
                    f"{name} {kind} falls {_points(before - after)} points"
                    f" (at most {_points(allowed)} allowed)"
                )
    return Decision(promote=not reasons, reasons=tuple(reasons))


def table(current: Scores, candidate: Scores, held_out_count: int, mnist_count: int) -> str:
    """Return the before/after table in Markdown, with each row's allowed change."""
    lines = [
        f"| measure | current `{current.version}` | candidate `{candidate.version}` | change"
        " | allowed |",
        "| --- | --- | --- | --- | --- |",
    ]

    def row(name: str, before: float, after: float, allowed: str) -> None:
        change = f"{(after - before) * 100:+.2f}"
        lines.append(f"| {name} | {_pct(before)} | {_pct(after)} | {change} | {allowed} |")

    row(f"held-out labelled ({held_out_count})", current.held_out, candidate.held_out, ">= 0")
    row(f"MNIST test as served ({mnist_count})", current.mnist, candidate.mnist, _drop(MNIST_DROP))
    for kind, before in current.realistic.items():
        after = candidate.realistic.get(kind, float("nan"))
        row(f"realistic: {kind}", before, after, _drop(REALISTIC_DROP))
    for kind, before in current.numbers.items():
        after = candidate.numbers.get(kind, float("nan"))
        row(f"numbers, {kind} gaps, exact", before, after, _drop(NUMBERS_DROP))
    for kind, before in current.refusals.items():
        after = candidate.refusals.get(kind, float("nan"))
        row(f"not digits refused: {kind}", before, after, _drop(REFUSAL_DROP))
    for name, before in current.in_lines.items():
        after = candidate.in_lines.get(name, float("nan"))
        row(f"lines: {name}", before, after, _drop(REFUSAL_DROP))
    return "\n".join(lines)


def _pct(value: float) -> str:
    return f"{value * 100:.2f}%"


def _points(value: float) -> str:
    return f"{value * 100:.2f}"


def _drop(value: float) -> str:
    return f">= -{_points(value)}"

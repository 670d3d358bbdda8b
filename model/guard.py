"""The guard: compare a candidate model with the current one and decide whether to promote it.

Promote only if all three hold (issue 14):

- held-out labelled images: the candidate's accuracy improves or holds (and there is at least
  one held-out image to judge by);
- MNIST test, as served (decoded and through to_mnist, as the model card measures): the candidate
  drops at most ``MNIST_DROP`` (0.2 points);
- each realistic kind of bench/realistic.py: the candidate drops at most ``REALISTIC_DROP``
  (0.5 points) on any one of them.

Otherwise the current model stays, and every failed condition is given as a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MNIST_DROP = 0.002
REALISTIC_DROP = 0.005
# Accuracies are fractions of whole images; compare with a little slack for float rounding.
SLACK = 1e-9


@dataclass(frozen=True)
class Scores:
    """One model's accuracies, as fractions: held-out labelled images, MNIST test, each kind."""

    version: str
    held_out: float
    mnist: float
    realistic: dict[str, float] = field(default_factory=dict)


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
    for kind, before in current.realistic.items():
        after = candidate.realistic.get(kind)
        if after is None:
            reasons.append(f"realistic kind {kind} was not measured for the candidate")
        elif after + REALISTIC_DROP + SLACK < before:
            reasons.append(
                f"realistic kind {kind} falls {_points(before - after)} points"
                f" (at most {_points(REALISTIC_DROP)} allowed)"
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
    return "\n".join(lines)


def _pct(value: float) -> str:
    return f"{value * 100:.2f}%"


def _points(value: float) -> str:
    return f"{value * 100:.2f}"


def _drop(value: float) -> str:
    return f">= -{_points(value)}"

"""What tunes and what reports: two sets of writers, seeds and fonts that never meet.

A bench that was tuned against flatters whatever was tuned. Every generated bench set takes a
``split``: ``"tune"`` while choosing constants, designs and training data, ``"report"`` for the
figures in make bench, the README and the model card. The two differ in all three sources:

- MNIST test's writers. Its first 5,000 digits come from NIST's SD-3 (Census Bureau employees),
  its last 5,000 from SD-1 (high-school students): different people. Tuning reads the first half;
  reported figures read the second, which nothing is ever tuned on.
- Seeds: every random choice of a reporting set is drawn from ``REPORT_SEED``, never used to tune.
- Fonts: printed digits are tuned on the model's training fonts and reported on its test fonts
  (``model.printed``), which training never sees.
"""

from __future__ import annotations

from dataclasses import dataclass

SPLITS = ("tune", "report")


@dataclass(frozen=True)
class Split:
    """The sources of one side: MNIST test's rows, a seed, and a font list's name."""

    name: str
    mnist_rows: slice
    seed: int
    fonts: str  # "train" (model.printed.TRAIN_FONTS) or "test" (model.printed.TEST_FONTS)


TUNE = Split("tune", slice(0, 5000), seed=11, fonts="train")
REPORT = Split("report", slice(5000, 10000), seed=2026, fonts="test")


def split(name: str) -> Split:
    """Return the split called ``name`` ("tune" or "report")."""
    if name == TUNE.name:
        return TUNE
    if name == REPORT.name:
        return REPORT
    raise ValueError(f"unknown split {name!r}; use one of {SPLITS}")

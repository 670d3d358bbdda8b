"""Why numbers are misread: what the search was offered, or how it scored what it was offered.

    python -m bench.number_misses [MODEL ...] [--gap touching] [--numbers 300]
    # MNIST_DIR=../shared/data/mnist; prints a Markdown table a model, writes nothing

Each model reads the tune split's numbers of one gap kind (bench/number_lines.py's generator;
the report split is make bench's and never read here). For each number read wrong, the reading the
truth needs is looked for among the search's own candidates: the groups the layout proposed, their
cuts and merges, each scored as the search scores them (digits.vision.segment). A miss is then:

- **not searched**: the image was answered by one of the shortcuts before the search (one narrow
  run of ink, or one piece of ink the model reads as a digit);
- **unreachable**: no candidate reading spells the truth: the layout's proposals miss it;
- **outscored, the model's own digits**: every piece of the truth's best reading is read as its
  likeliest digit, yet that reading scores under the one chosen: the model's "no digit" or
  "several digits" is what lost it;
- **outscored, another digit**: the truth needs a piece read as a digit the model does not prefer.

It also counts which digits the numbers read short lost (by multiset difference), since one digit
lost far more often than the others points at what the training data lacks.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from bench import number_lines, numbers, reading
from digits.classes import DIGITS
from digits.classifier.threads import use_one_blas_thread
from digits.vision import segment
from digits.vision.geometry import MAX_CUT_DEPTH
from digits.vision.layout import Part

SPLIT = "tune"
NOT_SEARCHED = "not searched"
UNREACHABLE = "unreachable"
OWN_DIGITS = "outscored, the model's own digits"
ANOTHER_DIGIT = "outscored, another digit"
CAUSES = (NOT_SEARCHED, UNREACHABLE, OWN_DIGITS, ANOTHER_DIGIT)
# Kinds of miss by the number of digits read against the truth's.
SHAPES = ("a digit lost", "a digit misread", "a digit too many")


@dataclass
class Misses:
    """The misses of one model on one gap kind: counts by shape and cause, and digits lost."""

    read: int = 0
    right: int = 0
    by_cause: collections.Counter = field(default_factory=collections.Counter)
    lost: collections.Counter = field(default_factory=collections.Counter)
    examples: dict[tuple[str, str], list[tuple[str, str]]] = field(
        default_factory=lambda: collections.defaultdict(list)
    )

    def add(self, truth: str, read: str, cause: str) -> None:
        """Count one number read as ``read`` where ``truth`` was drawn, missed for ``cause``."""
        self.read += 1
        if read == truth:
            self.right += 1
            return
        shape = SHAPES[int(np.sign(len(read) - len(truth))) + 1]
        self.by_cause[shape, cause] += 1
        self.examples[shape, cause].append((truth, read))
        if len(read) < len(truth):
            self.lost.update(collections.Counter(truth) - collections.Counter(read))


def best_as(search: segment._Search, truth: str) -> tuple[float, bool] | None:
    """Return the best score of a reading of ``search``'s plan that spells ``truth``, and whether
    each of its pieces is read as its likeliest digit; None if no candidate reading spells it.

    The candidates and their scores are the search's own (segment._Search): each group left out,
    read whole, or cut (up to MAX_CUT_DEPTH times), and each run of groups the plan may merge.
    """
    plan = search.plan
    merges = {run: plan.merged(*run) for run in plan.merges()}
    search._read(list(merges.values()))
    memo: dict = {}
    # best[(groups read, digits of the truth spelled)] = (score, every digit the likeliest)
    best: dict[tuple[int, int], tuple[float, bool]] = {(0, 0): (0.0, True)}
    for last in range(1, len(plan.groups) + 1):
        group = plan.groups[last - 1]
        among_digits = id(group) in search.among_digits
        parts = [(last - 1, group, MAX_CUT_DEPTH)]
        parts += [(first, part, 0) for (first, end), part in merges.items() if end == last]
        for (done, spelled), (score, own) in list(best.items()):
            options = []
            if done == last - 1:
                options.append((spelled, search._left_out(group), True))
            for first, part, depth in parts:
                if first != done:
                    continue
                for end in range(spelled + 1, len(truth) + 1):
                    found = _spells(search, part, truth[spelled:end], depth, among_digits, memo)
                    if found is not None:
                        options.append((end, *found))
            for end, gained, likeliest in options:
                key = (last, end)
                if key not in best or score + gained > best[key][0]:
                    best[key] = (score + gained, own and likeliest)
    return best.get((len(plan.groups), len(truth)))


def _spells(
    search: segment._Search, part: Part, text: str, depth: int, among_digits: bool, memo: dict
) -> tuple[float, bool] | None:
    """Return the best score of ``part`` read as exactly ``text``, whole or cut, and whether each
    digit is the likeliest; None if it cannot be. ``among_digits``: whether ``part`` is a group
    whose line holds other digits, which sets what its cut costs (segment._Search.cut_cost)."""
    key = (id(part), text, depth, among_digits)
    if key in memo:
        return memo[key]
    piece = search.read[id(part)]
    found = None
    if len(text) == 1 and piece.probabilities is not None:
        digit = int(text)
        probability = max(float(piece.probabilities[digit]), segment.FLOOR)
        found = (float(np.log(probability)), int(np.argmax(piece.probabilities[:DIGITS])) == digit)
    if len(text) > 1 and depth and search.plan.is_wide(part):
        cuts = search.plan.cuts(part)
        search._read([side for cut in cuts for side in cut])
        for left, right in cuts:
            for split_at in range(1, len(text)):
                first = _spells(search, left, text[:split_at], depth - 1, False, memo)
                second = first and _spells(search, right, text[split_at:], depth - 1, False, memo)
                if first is None or second is None:
                    continue
                score = search.cut_cost(piece, among_digits) + first[0] + second[0]
                if found is None or score > found[0]:
                    found = (score, first[1] and second[1])
    memo[key] = found
    return found


@contextlib.contextmanager
def watching_the_search() -> Iterator[dict]:
    """Within, each search's best reading keeps the search and its score in the dict yielded."""
    seen: dict = {}
    best = segment._Search.best

    def watched(search: segment._Search):
        reading, score, left_out = best(search)
        seen["search"], seen["score"] = search, score
        return reading, score, left_out

    segment._Search.best = watched
    try:
        yield seen
    finally:
        segment._Search.best = best


def cause_of(seen: dict, truth: str) -> str:
    """Return why ``truth`` was missed, from the search ``seen`` kept (none: a shortcut)."""
    if "search" not in seen:
        return NOT_SEARCHED
    found = best_as(seen["search"], truth)
    if found is None:
        return UNREACHABLE
    return OWN_DIGITS if found[1] else ANOTHER_DIGIT


def misses(model, samples: list[number_lines.NumberSample]) -> Misses:
    """Return ``model``'s misses on ``samples`` with their causes."""
    found = Misses()
    with watching_the_search() as seen:
        for sample in samples:
            seen.clear()
            read = reading.read_number(model, sample.data)
            found.add(
                sample.number, read, "" if read == sample.number else cause_of(seen, sample.number)
            )
    return found


def table(rows: dict[str, Misses]) -> str:
    """Return the misses as a Markdown table, one row a model, counts of numbers."""
    columns = [(shape, cause) for shape in SHAPES for cause in CAUSES]
    lines = [
        "| model | read | right | " + " | ".join(f"{s}, {c}" for s, c in columns) + " |",
        "| --- " * (len(columns) + 3) + "|",
    ]
    for name, found in rows.items():
        counts = " | ".join(str(found.by_cause[column]) for column in columns)
        lines.append(f"| {name} | {found.read} | {found.right} | {counts} |")
    for name, found in rows.items():
        lost = ", ".join(f"{digit}: {count}" for digit, count in found.lost.most_common())
        lines.append(f"\n{name}: digits lost in numbers read short: {lost or 'none'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Misses]:
    """Find the misses of each model named on the command line; print and return them."""
    from bench.compare_models import load  # beside this module: its "+" joins models too

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=["model/model.joblib"])
    parser.add_argument("--gap", choices=number_lines.GAPS, default="touching")
    parser.add_argument("--numbers", type=int, default=numbers.EACH, help="numbers a format")
    args = parser.parse_args(argv)
    use_one_blas_thread()  # as a serving instance reads
    samples = [s for s in number_lines.number_samples(args.numbers, SPLIT) if s.gap == args.gap]
    rows = {}
    for spec in args.models:
        model = load(spec)
        rows[f"{spec} ({model.version})"] = misses(model, samples)
    print(table(rows))
    return rows


if __name__ == "__main__":
    main()

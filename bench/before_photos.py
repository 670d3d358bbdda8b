"""Issue 22's "no regression": what people draw, read by today's function and by the function as
it was before issue 22's photo work, on the same images.

Issue 22 asks that the photo path leave the canvas, MNIST and printed kinds within 0.2 points of
what they were, and numbers drawn on the pad no worse. The function before it is commit BASE (the
last before the photo bench), its own code and model taken from git by bench/before_recognizer.py.
Both read each split's single digits of those kinds (bench/single_digits.py) and the numbers of
bench/number_lines.py in the pad's format, image by image; a figure is the share read exactly.
Without git or the commit (a shallow clone) nothing is measured.
"""

from __future__ import annotations

from collections.abc import Callable

from bench import before_recognizer, heldout, number_lines, single_digits
from bench.reading import read_number

# The last commit before issue 22's work began (75b51c1, the photo bench, is the first).
BASE = "336d234f2df6dad29f8a2c74d3b7be864ef4242e"
PACKAGE = "digits_before_photos"
SINGLE_KINDS = ("canvas_png", "mnist_png", "printed")
PAD_FORMAT = "canvas_png"


def reader(max_pixels: int) -> Callable[[bytes], str] | None:
    """Return the number the function before issue 22 reads in an image ("" when it refuses),
    or None if git cannot give the commit."""
    loaded = before_recognizer.reader(max_pixels, BASE, PACKAGE)
    if loaded is None:
        return None
    decode, read = loaded
    return lambda data: "".join(str(found.prediction.digit) for found in read(decode(data)))


def _exact(read: Callable[[bytes], str], pairs: list[tuple[bytes, str]]) -> float:
    return sum(read(data) == truth for data, truth in pairs) / len(pairs)


def measure(
    model, split: str, n: int, number_samples: list[number_lines.NumberSample], max_pixels: int
) -> dict | None:
    """Return, per kind of ``split``, the share read exactly before issue 22 and today (None
    without the commit): ``n`` digits of each single kind, and the pad's numbers among
    ``number_samples`` (bench.number_lines.number_samples of ``split``)."""
    before = reader(max_pixels)
    if before is None:
        return None
    seed = heldout.split(split).seed
    kinds: dict[str, list[tuple[bytes, str]]] = {
        kind: [(s.data, str(s.label)) for s in single_digits.KINDS[kind](n, seed, split)]
        for kind in SINGLE_KINDS
    }
    pad = [s for s in number_samples if s.format == PAD_FORMAT]
    for gap in number_lines.GAPS:
        kinds[f"numbers_{gap}"] = [(s.data, s.number) for s in pad if s.gap == gap]
    return {
        "commit": BASE,
        "kinds": {
            kind: {
                "n": len(pairs),
                "before": _exact(before, pairs),
                "today": _exact(lambda data: read_number(model, data), pairs),
            }
            for kind, pairs in kinds.items()
        },
    }

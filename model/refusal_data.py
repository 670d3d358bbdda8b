"""Training images of what is not one digit, and the digits cut out beside them.

Two classes beside the digits (digits.classifier.inference): NOT_A_DIGIT, no digit at all, and
SEVERAL_DIGITS, digits that touch. Two sources, drawn in two processes:
- ``model.not_digits``: pieces of MNIST training digits, letters and symbols in the training
  fonts, drawn marks (scribbles, boxes, ticks, lines, page edges): no digit; touching pairs and
  triples: several digits;
- ``model.segmenter_pieces``: lines of training digits cut exactly as the function's segmenter
  cuts them; a piece holding one digit is that digit, two digits are several, a fragment is no
  digit. Fragments that lie among real digits (model.resemblance) are left out: a reader would
  call them digits, and the model must not learn to refuse real ones.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from digits.classes import NOT_A_DIGIT, SEVERAL_DIGITS
from model.not_digits import not_digit_images
from model.resemblance import DigitResemblance
from model.segmenter_pieces import segmenter_pieces

# Kinds of model.not_digits and model.segmenter_pieces that are several digits, not none.
SEVERAL = frozenset({"touching", "pair"})


def class_of_kind(kind: str) -> int:
    """Return the class of a kind of not-one-digit image: several digits, or no digit."""
    return SEVERAL_DIGITS if kind in SEVERAL else NOT_A_DIGIT


def _drawn(n: int, seed: int, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    drawn, kinds = not_digit_images(n, seed, images, split="train")
    return drawn, np.asarray([class_of_kind(kind) for kind in kinds], dtype=np.int64)


def _segmented(
    images: np.ndarray, labels: np.ndarray, lines: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    pieces, piece_labels, kinds = segmenter_pieces(images, labels, lines, seed)
    piece_labels = np.where([kind in SEVERAL for kind in kinds], SEVERAL_DIGITS, piece_labels)
    fragment = np.array([kind == "fragment" for kind in kinds], dtype=bool)
    if fragment.any():
        judge = DigitResemblance.measure(images, np.random.default_rng(seed + 1))
        digit_like = np.zeros(len(pieces), dtype=bool)
        digit_like[fragment] = judge.passes_for_a_digit(pieces[fragment])
        pieces, piece_labels = pieces[~digit_like], piece_labels[~digit_like]
    return pieces, piece_labels


MODEL_DIR = Path(__file__).resolve().parent
CACHE = MODEL_DIR.parent / ".cache" / "train"
# The code the images are drawn by: a change to any of it draws them anew.
SOURCES = (
    *(MODEL_DIR / f"{name}.py" for name in ("not_digits", "fragments", "glyphs", "neighbours")),
    *(MODEL_DIR / f"{name}.py" for name in ("scribbles", "pen", "resemblance", "redrawn")),
    MODEL_DIR / "segmenter_pieces.py",
    Path(__file__),
    *sorted((MODEL_DIR.parent / "functions" / "digits" / "vision").glob("*.py")),
)


def refusal_training_set(
    images: np.ndarray,
    labels: np.ndarray,
    drawn: int,
    lines: int,
    seed: int,
    jobs: int = 2,
    cache: Path | None = CACHE,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``drawn`` not-digit images and the pieces of ``lines`` segmented lines, labelled.

    ``images``, ``labels``: MNIST's training digits (uint8 (n, 28, 28)) and their labels.
    Deterministic for ``seed``; kept in ``cache`` (None: never), keyed by the arguments, the
    digits and the code that draws them, since drawing them takes minutes.
    """
    path = None
    if cache is not None:
        digest = hashlib.sha256(repr((drawn, lines, seed)).encode())
        digest.update(images.tobytes())
        digest.update(labels.tobytes())
        for source in SOURCES:
            digest.update(source.read_bytes())
        path = cache / f"refusal-{digest.hexdigest()[:16]}.npz"
        if path.is_file():
            with np.load(path) as saved:
                return saved["images"], saved["labels"]
    made = _make(images, labels, drawn, lines, seed, jobs)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial.npz")
        np.savez(partial, images=made[0], labels=made[1])
        partial.replace(path)
    return made


def _make(
    images: np.ndarray, labels: np.ndarray, drawn: int, lines: int, seed: int, jobs: int
) -> tuple[np.ndarray, np.ndarray]:
    if jobs > 1:
        with ProcessPoolExecutor(2) as pool:
            first = pool.submit(_drawn, drawn, seed, images)
            second = pool.submit(_segmented, images, labels, lines, seed + 7)
            parts = [first.result(), second.result()]
    else:
        parts = [_drawn(drawn, seed, images), _segmented(images, labels, lines, seed + 7)]
    return (
        np.concatenate([part[0] for part in parts]),
        np.concatenate([part[1] for part in parts]),
    )

"""bench.junk_in_lines: words and numbers with a letter, per split, and what the function reads."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from bench import junk_in_lines, number_lines, writers


def test_lines_are_the_same_for_a_split_and_apart_between_splits(mnist_dir, monkeypatch):
    monkeypatch.setenv("MNIST_DIR", str(mnist_dir))
    tune = junk_in_lines.draw(4, "tune")
    assert tune == junk_in_lines.draw(4, "tune")
    report = junk_in_lines.draw(4, "report")
    assert tune.words != report.words
    assert len(tune.words) == len(tune.with_a_letter) == 4
    for data in [*tune.words, *(data for data, _ in tune.with_a_letter)]:
        Image.open(io.BytesIO(data)).verify()
    for _, number in tune.with_a_letter:
        assert number.isdigit()
        assert 2 <= len(number) <= 5


def test_shares_count_words_accepted_and_letters_read_as_digits(mnist_dir, monkeypatch, model):
    monkeypatch.setenv("MNIST_DIR", str(mnist_dir))
    rng = np.random.default_rng(0)
    glyphs = writers.glyphs("printed", "47", 80, rng, "tune")
    clear = number_lines.RENDER["page"](number_lines.line(glyphs, "wide", rng), rng)
    # Read as 47: a word that reads so is accepted; against the truth "4", a digit too many.
    lines = junk_in_lines.Lines(words=[clear], with_a_letter=[(clear, "47"), (clear, "4")])
    figures = junk_in_lines.shares(model, lines)
    assert figures == {
        "n": 1,
        "words_refused_or_unsure": 0.0,
        "with_a_letter_exact": 0.5,
        "with_a_letter_guessed": 0.5,
    }

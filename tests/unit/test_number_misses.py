"""bench/number_misses.py: each number read wrong is given the cause the search's own candidates
show, with tests/unit/stand_in.py's recognizer standing in for a model."""

from __future__ import annotations

import io

import numpy as np
import pytest

from bench import number_misses
from bench.number_lines import NumberSample
from bench.number_misses import (
    ANOTHER_DIGIT,
    NOT_SEARCHED,
    OWN_DIGITS,
    UNREACHABLE,
    Misses,
    best_as,
    cause_of,
    watching_the_search,
)
from digits.vision import segment
from digits.vision.geometry import MAX_CUT_DEPTH
from tests.unit.stand_in import letter_k, one, page, recognizer, seven, zero


class StandInModel:
    """What bench.reading reads with: a predict_proba, here the stand-in recognizer's."""

    def __init__(self, classify: segment.Classify) -> None:
        self.predict_proba = classify


def searched(image, classify) -> dict:
    """Return what watching_the_search kept of reading ``image``."""
    with watching_the_search() as seen:
        segment.find_digits(image, classify)
    return dict(seen)


def one_letter_seven():
    return page((one, 60), (letter_k, 200), (seven, 360)), recognizer({1: one, 7: seven})


def test_the_reading_chosen_is_found_with_the_search_s_own_score():
    image, classify = one_letter_seven()
    seen = searched(image, classify)
    score, likeliest = best_as(seen["search"], "17")
    assert score == pytest.approx(seen["score"])
    assert likeliest


def test_a_truth_the_candidates_cannot_spell_is_unreachable():
    image, classify = one_letter_seven()
    seen = searched(image, classify)
    # Cut at most MAX_CUT_DEPTH times over, the letter is never five digits.
    assert 2**MAX_CUT_DEPTH < 5
    assert best_as(seen["search"], "1222227") is None
    assert cause_of(seen, "1222227") == UNREACHABLE


def test_a_truth_scoring_under_the_reading_chosen_is_outscored_and_says_by_which_digits():
    image, classify = one_letter_seven()
    seen = searched(image, classify)
    # The stand-in is as unsure of every digit in the letter: the first, 0, is its likeliest.
    assert best_as(seen["search"], "107")[0] < seen["score"]
    assert cause_of(seen, "107") == OWN_DIGITS
    assert cause_of(seen, "147") == ANOTHER_DIGIT


def test_a_digit_read_without_a_search_is_not_searched():
    seen = searched(page((seven, 200)), recognizer({7: seven}))
    assert "search" not in seen
    assert cause_of(seen, "77") == NOT_SEARCHED


def test_the_search_is_itself_again_after_watching():
    best = segment._Search.best
    with watching_the_search():
        assert segment._Search.best is not best
    assert segment._Search.best is best


def png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_misses_count_by_shape_and_cause_and_the_digits_lost():
    classify = recognizer({0: zero, 1: one, 7: seven})
    samples = [
        NumberSample(png(page((seven, 40), (zero, 200))), "70", "wide", "page", "strokes"),
        NumberSample(png(page((seven, 40), (zero, 200))), "7000000", "wide", "page", "strokes"),
        NumberSample(png(page((seven, 200))), "1", "wide", "page", "strokes"),
    ]
    found = number_misses.misses(StandInModel(classify), samples)
    assert (found.read, found.right) == (3, 1)
    assert found.by_cause["a digit lost", UNREACHABLE] == 1
    assert found.lost == {"0": 5}
    assert found.by_cause["a digit misread", NOT_SEARCHED] == 1
    assert found.examples["a digit misread", NOT_SEARCHED] == [("1", "7")]
    table = number_misses.table({"stand-in": found})
    assert "| stand-in | 3 | 1 |" in table
    assert "digits lost in numbers read short: 0: 5" in table


def test_a_number_read_too_long_is_one_digit_too_many():
    found = Misses()
    found.add("08", "018", OWN_DIGITS)
    found.add("08", "08", "")
    assert found.by_cause == {("a digit too many", OWN_DIGITS): 1}
    assert not found.lost
    assert np.isclose(found.right / found.read, 0.5)

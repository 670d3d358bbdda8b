"""How many times each labelled image counts when fine-tuning, without --weight."""

from __future__ import annotations

from model.retrain import MAX_WEIGHT, labelled_weight


def test_a_requested_weight_is_kept():
    assert labelled_weight(5, replayed=94_000, labelled=480) == 5


def test_a_few_hundred_labelled_images_count_the_most():
    assert labelled_weight(None, replayed=94_000, labelled=480) == MAX_WEIGHT


def test_thousands_of_labelled_images_count_once():
    assert labelled_weight(None, replayed=94_000, labelled=2_400) == 1
    assert labelled_weight(None, replayed=94_000, labelled=50_000) == 1


def test_the_weight_falls_as_labelled_images_grow():
    weights = [labelled_weight(None, 94_000, n) for n in (100, 1_000, 1_500, 3_000, 10_000)]
    assert weights == sorted(weights, reverse=True)
    assert all(1 <= w <= MAX_WEIGHT for w in weights)

"""bench.refusals: every refusal figure of a split, each kind read at the size asked for."""

from __future__ import annotations

from bench import not_digits, refusals


def test_not_digits_digits_blank_pages_and_lines_each_take_their_own_size(
    mnist_dir, monkeypatch, model
):
    monkeypatch.setenv("MNIST_DIR", str(mnist_dir))
    figures = refusals.measure(model, "tune", n_refusals=2, n_digits=3, n_blank=4, n_not_digits=5)
    assert set(figures["not_digits"]) == set(not_digits.KINDS)
    assert {row["n"] for row in figures["not_digits"].values()} == {5}
    assert {row["n"] for row in figures["digits"].values()} == {3}
    assert figures["blank"]["n"] == 4
    assert figures["lines"]["n"] == 2
    for row in figures["not_digits"].values():
        assert 0 <= row["not_a_digit"] <= row["refused_or_unsure"] <= 1

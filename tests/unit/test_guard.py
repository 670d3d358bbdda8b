"""model/guard.py: when a candidate is promoted, and the reasons it is refused."""

import pytest

from model.guard import Scores, decide, table

KINDS = {"canvas_png": 0.90, "photo_jpeg": 0.80}
CURRENT = Scores(version="mlp-current", held_out=0.50, mnist=0.9800, realistic=KINDS)


def candidate(held_out=0.50, mnist=0.9800, **kinds) -> Scores:
    return Scores(
        version="mlp-candidate", held_out=held_out, mnist=mnist, realistic={**KINDS, **kinds}
    )


@pytest.mark.parametrize(
    ("after", "promote", "reason"),
    [
        (candidate(held_out=0.70), True, None),
        (candidate(), True, None),  # holds: allowed
        (candidate(held_out=0.70, mnist=0.9780), True, None),  # 0.2 points: the limit
        (candidate(held_out=0.70, canvas_png=0.895), True, None),  # 0.5 points: the limit
        (candidate(held_out=0.70, mnist=0.9990, photo_jpeg=0.95), True, None),
        (candidate(held_out=0.49), False, "held-out labelled accuracy falls"),
        (candidate(held_out=0.70, mnist=0.9779), False, "MNIST test falls 0.21 points"),
        (candidate(held_out=0.70, photo_jpeg=0.794), False, "photo_jpeg falls 0.60 points"),
    ],
)
def test_decisions(after, promote, reason):
    decision = decide(CURRENT, after, held_out_count=100)
    assert decision.promote is promote
    if reason is None:
        assert decision.reasons == ()
    else:
        assert any(reason in r for r in decision.reasons), decision.reasons


def test_every_failed_condition_is_a_reason():
    after = candidate(held_out=0.40, mnist=0.95, canvas_png=0.5, photo_jpeg=0.5)
    decision = decide(CURRENT, after, held_out_count=100)
    assert not decision.promote
    assert len(decision.reasons) == 4


def test_no_held_out_images_means_no_promotion():
    decision = decide(CURRENT, candidate(held_out=0.0), held_out_count=0)
    assert not decision.promote
    assert decision.reasons == ("no held-out labelled images to judge the candidate by",)


def test_a_kind_the_candidate_was_not_measured_on_refuses():
    after = Scores(version="x", held_out=0.9, mnist=0.99, realistic={"canvas_png": 0.99})
    assert "photo_jpeg was not measured" in decide(CURRENT, after, 10).reasons[0]


def test_the_table_shows_each_measure_before_after_and_its_limit():
    text = table(CURRENT, candidate(held_out=0.75, mnist=0.9790), 40, 10000)
    lines = text.splitlines()
    assert "mlp-current" in lines[0]
    assert "mlp-candidate" in lines[0]
    assert lines[2] == "| held-out labelled (40) | 50.00% | 75.00% | +25.00 | >= 0 |"
    assert lines[3] == "| MNIST test as served (10000) | 98.00% | 97.90% | -0.10 | >= -0.20 |"
    assert lines[4].startswith("| realistic: canvas_png | 90.00% | 90.00% | +0.00 | >= -0.50 |")
    assert len(lines) == 2 + 2 + len(KINDS)


NUMBERS = {"wide": 0.98, "touching": 0.88}
REFUSALS = {"letters": 0.97, "scribbles": 0.95}
LINES = {"words turned away": 0.86, "numbers with a letter read as their digits": 0.89}
READER = Scores("mlp-current", 0.5, 0.98, KINDS, numbers=NUMBERS, refusals=REFUSALS, in_lines=LINES)


def reader(
    numbers: dict | None = None, refusals: dict | None = None, in_lines: dict | None = None
) -> Scores:
    return Scores(
        "mlp-candidate",
        0.6,
        0.98,
        KINDS,
        numbers={**NUMBERS, **(numbers or {})},
        refusals={**REFUSALS, **(refusals or {})},
        in_lines={**LINES, **(in_lines or {})},
    )


@pytest.mark.parametrize(
    ("after", "promote", "reason"),
    [
        (reader(), True, None),
        (reader(numbers={"touching": 0.86}), True, None),  # 2 points: the limit
        (reader(numbers={"wide": 0.95}), False, "numbers with gaps wide falls 3.00 points"),
        (reader(refusals={"letters": 0.9}), False, "refusals of letters falls 7.00 points"),
        (reader(refusals={"scribbles": 0.99}), True, None),
        (
            reader(in_lines={"numbers with a letter read as their digits": 0.84}),
            False,
            "lines: numbers with a letter read as their digits falls 5.00 points",
        ),
        (reader(in_lines={"words turned away": 0.84}), True, None),  # 2 points: the limit
    ],
)
def test_numbers_and_refusals_guard_what_the_recognizer_reads(after, promote, reason):
    decision = decide(READER, after, held_out_count=100)
    assert decision.promote is promote
    if reason is not None:
        assert any(reason in r for r in decision.reasons), decision.reasons


def test_the_table_shows_numbers_and_refusals():
    lines = table(READER, reader(numbers={"wide": 0.99}), 40, 10000).splitlines()
    assert "| numbers, wide gaps, exact | 98.00% | 99.00% | +1.00 | >= -2.00 |" in lines
    assert "| not digits refused: letters | 97.00% | 97.00% | +0.00 | >= -2.00 |" in lines
    assert "| lines: words turned away | 86.00% | 86.00% | +0.00 | >= -2.00 |" in lines

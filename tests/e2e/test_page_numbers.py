"""A number on the page: drawn left to right, read whole, each digit boxed where it was found."""

from __future__ import annotations

import math

from playwright.sync_api import expect

from tests.e2e.drawing import predict_drawing

# Pad coordinates (0..1 across and down) of a 4 on the left half and a 2 on the right half,
# drawn the way a person draws them: the 4 in two strokes, the 2 in one.
FOUR = [
    [(0.33, 0.22), (0.22, 0.58), (0.42, 0.58)],
    [(0.37, 0.36), (0.37, 0.82)],
]
TWO = [
    [
        (0.58, 0.32),
        *[
            (0.67 + 0.09 * math.cos(a), 0.33 - 0.11 * math.sin(a))
            for a in (math.pi * 0.9, math.pi * 0.6, math.pi * 0.3, 0.0, -math.pi * 0.3)
        ],
        (0.58, 0.80),
        (0.79, 0.80),
    ],
]


def test_a_two_digit_number_is_read_whole_and_boxed(site) -> None:
    page = site.page
    body = predict_drawing(page, FOUR + TWO)
    assert body["number"] == "42", body["number"]
    assert body["digit"] is None
    assert [d["digit"] for d in body["digits"]] == [4, 2]

    expect(page.get_by_test_id("number")).to_have_text("Predicted number: 42")
    expect(page.get_by_test_id("digit")).to_have_text("42")
    expect(page.locator("#digit-list li")).to_have_count(2)
    expect(page.locator("#digit-list li strong")).to_have_text(["4", "2"])
    expect(page.locator("#probs")).to_be_hidden()
    boxes = page.get_by_test_id("digit-box")
    expect(boxes).to_have_count(2)
    expect(boxes.locator(".digit-box-tag")).to_have_text(["4", "2"])
    # Each box sits over the half of the pad its digit was drawn in.
    pad = page.get_by_test_id("pad").bounding_box()
    left, right = (boxes.nth(i).bounding_box() for i in range(2))
    assert left["x"] + left["width"] / 2 < pad["x"] + pad["width"] / 2
    assert right["x"] + right["width"] / 2 > pad["x"] + pad["width"] / 2
    expect(page.locator("#status")).to_contain_text("Predicted 42")
    site.screenshot("number-42")

    # The number is in this browser's history, and its sender labels it whole.
    entry = page.get_by_test_id("history-item").first
    expect(entry.locator(".thumb img")).to_have_count(2)
    entry.get_by_text("Wrong? Type the right number").click()
    entry.get_by_test_id("number-label").fill("47")
    with page.expect_response(lambda r: r.url.endswith("/feedback")) as answer:
        entry.get_by_role("button", name="Send").click()
    assert answer.value.status == 200
    expect(entry.get_by_test_id("history-label")).to_have_text("You said 47")
    [stored] = site.labels(body["image"]["key"])
    assert stored["label"] == "47"
    # Kept digit by digit too, each with the box where it was found, for training.
    found = [d["box"] for d in body["digits"]]
    assert stored["digits"] == [{"label": 4, "box": found[0]}, {"label": 7, "box": found[1]}]
    site.screenshot("number-42-labelled")

    # A single digit afterwards shows as before, without boxes.
    page.get_by_test_id("clear").click()
    expect(boxes).to_have_count(0)
    one = predict_drawing(page, [[(0.52, 0.17), (0.50, 0.50), (0.48, 0.83)]])
    assert (one["number"], one["digit"]) == ("1", 1)
    expect(page.get_by_test_id("digit")).to_have_text("1")
    expect(page.locator("#probs li")).to_have_count(10)
    expect(boxes).to_have_count(0)
    assert site.errors() == []

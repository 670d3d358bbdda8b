"""One box type: edges, moves, scaling to another image's pixels, and the text storage keeps."""

import pytest

from digits.box import Box


def test_edges_and_size_agree():
    box = Box.from_edges(10, 20, 40, 80)
    assert (box.x, box.y, box.width, box.height) == (10, 20, 30, 60)
    assert (box.right, box.bottom) == (40, 80)


def test_scaled_rounds_edges_down_and_keeps_at_least_a_pixel():
    assert Box(3, 5, 7, 1).scaled(2.5, 0.5) == Box(7, 2, 18, 1)
    assert Box(0, 0, 1, 1).scaled(0.1, 0.1) == Box(0, 0, 1, 1)


def test_offset_moves_without_resizing():
    assert Box(1, 2, 3, 4).offset(10, 20) == Box(11, 22, 3, 4)


@pytest.mark.parametrize(
    ("box", "expected"),
    [
        (Box(90, 90, 50, 50), Box(90, 90, 10, 10)),
        (Box(120, 5, 10, 10), Box(99, 5, 1, 10)),
        (Box(2, 3, 4, 5), Box(2, 3, 4, 5)),
    ],
)
def test_within_cuts_to_the_image_and_is_never_empty(box, expected):
    assert box.within(100, 100) == expected


def test_text_round_trip_and_refusal():
    box = Box(12, 0, 7, 300)
    assert Box.from_text(box.to_text()) == box
    assert box.to_dict() == {"x": 12, "y": 0, "width": 7, "height": 300}
    with pytest.raises(ValueError, match="4 numbers"):
        Box.from_text("1,2,3")
    with pytest.raises(ValueError, match="invalid literal"):
        Box.from_text("1,2,x,4")

"""model/labelled.py: the label-history rule, deduplication and the split by a hash of the key."""

import numpy as np
import pytest
from PIL import Image

from infra.collected import Label
from model import labelled
from model.labelled import LabelledImage
from tests.images import encode


def history(*pairs: tuple[int, str]) -> tuple[Label, ...]:
    return tuple(Label(label=label, labelled_at=when) for label, when in pairs)


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ([], None),
        ([(3, "2026-11-30T10:00:00.000000Z")], 3),
        # The receipt holder corrected themselves: the later label wins.
        ([(3, "2026-11-30T10:00:00.000000Z"), (8, "2026-11-30T10:05:00.000000Z")], 8),
        # Order given does not matter, the time does.
        ([(8, "2026-11-30T10:05:00.000000Z"), (3, "2026-11-30T10:00:00.000000Z")], 8),
        # Back and forth: still the latest.
        (
            [
                (1, "2026-11-30T10:00:00.000000Z"),
                (7, "2026-11-30T10:01:00.000000Z"),
                (1, "2026-11-30T10:02:00.000000Z"),
            ],
            1,
        ),
        # Equal times: the order given (oldest first from labels_by_key) breaks the tie.
        ([(2, "2026-11-30T10:00:00.000000Z"), (5, "2026-11-30T10:00:00.000000Z")], 5),
        # A label outside 0-9 (not one the function writes) is ignored.
        ([(4, "2026-11-30T10:00:00.000000Z"), (12, "2026-11-30T11:00:00.000000Z")], 4),
        ([(-1, "2026-11-30T10:00:00.000000Z")], None),
    ],
)
def test_the_latest_valid_label_wins(labels, expected):
    assert labelled.resolve(history(*labels)) == expected


def image(key: str, data: bytes, label: int) -> LabelledImage:
    return LabelledImage(key=f"images/2026/11/30/{key}.png", data=data, label=label)


def test_duplicates_merge_into_the_smallest_key_and_conflicts_are_dropped():
    images = [
        image("c", b"same", 4),
        image("a", b"same", 4),
        image("b", b"other", 1),
        image("d", b"disputed", 2),
        image("e", b"disputed", 3),
    ]
    kept, merged, dropped = labelled.deduplicate(images)
    assert [(i.key[-5], i.label) for i in kept] == [("a", 4), ("b", 1)]
    assert (merged, dropped) == (1, 2)


def test_the_split_depends_on_the_key_alone_and_holds_out_about_the_fraction():
    keys = [f"images/2026/11/30/20261130T10{i:06d}Z-{i:016x}.png" for i in range(4000)]
    held = [key for key in keys if labelled.is_held_out(key)]
    assert 0.17 < len(held) / len(keys) < 0.23
    # The same answer whatever else is in the bucket, and in any order.
    images = [image(str(i), b"x", 0) for i in range(200)]
    train, held_out = labelled.split(images)
    train_again, held_again = labelled.split(images[::-1][:150])
    assert {i.key for i in held_again} <= {i.key for i in held_out}
    assert {i.key for i in train_again} <= {i.key for i in train}
    assert not {i.key for i in train} & {i.key for i in held_out}
    assert labelled.split(images, 0.0)[1] == []
    assert labelled.split(images, 1.0)[0] == []


def png(array: np.ndarray) -> bytes:
    return encode(Image.fromarray(array), "PNG")


def test_served_arrays_go_through_serving_and_leave_out_what_it_refuses():
    digit = np.full((80, 80), 255, np.uint8)
    digit[15:65, 36:44] = 0  # a dark one on white paper
    images = [
        image("a", png(digit), 1),
        image("b", b"not an image", 2),
        image("c", png(np.full((80, 80), 255, np.uint8)), 3),  # nothing drawn
    ]
    arrays, labels, refused = labelled.served_arrays(images)
    assert arrays.shape == (1, 28, 28)
    assert arrays.dtype == np.uint8
    assert arrays[0].max() > 200  # white ink on black, as MNIST
    assert labels.tolist() == [1]
    assert refused == 2

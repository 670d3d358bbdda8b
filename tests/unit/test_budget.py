"""The request's budgets: the memory decoding may use, the time left, and S3 calls that fit it."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from PIL import Image

from digits.deadline import ANSWER_SECONDS, UNLIMITED, Deadline, OutOfTime
from digits.imaging import budget, decoding
from digits.storage.calls import CallLimits, Clients, ladder
from tests.images import encode

REPO = Path(__file__).resolve().parents[2]
MB = budget.MB


def opened(image: Image.Image, fmt: str = "PNG") -> decoding.Opened:
    return decoding.open_image(encode(image, fmt), max_pixels=10**9)


class Clock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("mode", "rate"), [("L", 2), ("RGB", 6), ("RGBA", 8), ("LA", 12), ("P", 9), ("I;16", 26)]
)
def test_an_image_costs_its_decoded_pixels_at_its_modes_measured_rate(mode, rate):
    image = Image.new("I;16" if mode == "I;16" else mode, (300, 200))
    assert budget.image_bytes(opened(image)) == 300 * 200 * rate


def test_the_rates_are_the_measured_ones_rounded_up():
    measured = json.loads((REPO / "bench" / "decode_memory.json").read_text())
    for name, figures in measured.items():
        rate = (
            budget.WEBP_BYTES_PER_PIXEL
            if name.startswith("WebP")
            else budget.BYTES_PER_PIXEL[figures["mode"]]
        )
        # Rounded up, but for a hundredth of a byte of noise.
        assert figures["bytes_per_pixel"] <= rate + 0.05, name


def test_a_large_jpeg_costs_what_its_reduced_decode_makes():
    photo = opened(Image.new("RGB", (4000, 3000), "white"), "JPEG")
    assert photo.declared == (4000, 3000)
    assert photo.decoded_pixels < 4000 * 3000 / 3
    assert budget.image_bytes(photo) == photo.decoded_pixels * budget.BYTES_PER_PIXEL["RGB"]


def test_a_webp_costs_its_decoders_own_buffer_too():
    image = opened(Image.new("RGB", (100, 100)), "WEBP")
    assert budget.image_bytes(image) == 100 * 100 * budget.WEBP_BYTES_PER_PIXEL


def test_the_capacity_is_the_memory_less_the_instance_and_a_margin():
    assert budget.capacity_bytes(1024) == int((1024 * 0.8 - 128) * MB)
    assert budget.capacity_bytes(2048) > 2 * budget.capacity_bytes(1024)
    assert budget.capacity_bytes(128) == 0


def test_the_errors_name_the_limit():
    image = opened(Image.new("RGBA", (2000, 1000)))
    message = budget.too_large(image, 10 * MB, 512).message
    assert "2000x1000 RGBA" in message
    assert "at most 10 MB per request" in message
    assert "memory 512 MB" in message
    over = budget.over_budget(image, 3 * MB, 10 * MB)
    assert (over.status, over.code) == (413, "over_budget")
    assert "all but 3 MB of the 10 MB" in over.message


def test_decodes_wait_for_memory_and_give_up_at_the_deadline():
    held = budget.DecodeBudget(100)
    clock = Clock()
    with held.holding(60, UNLIMITED):
        # 40 bytes are free; 60 more cannot be had, and no time is left to wait for them.
        with pytest.raises(OutOfTime), held.holding(60, Deadline.after(ANSWER_SECONDS, clock)):
            pass
        with held.holding(40, UNLIMITED):
            pass
    got = threading.Event()

    def second() -> None:
        with held.holding(100, UNLIMITED):
            got.set()

    with held.holding(50, UNLIMITED):
        waiting = threading.Thread(target=second)
        waiting.start()
        assert not got.is_set()
    waiting.join(10)
    assert got.is_set()


def test_an_image_larger_than_the_whole_budget_is_held_as_the_whole_budget():
    held = budget.DecodeBudget(100)
    with held.holding(500, UNLIMITED):
        pass


def test_a_deadline_counts_down_and_keeps_time_to_answer():
    clock = Clock()
    deadline = Deadline.after(10, clock)
    assert deadline.remaining() == 10 - ANSWER_SECONDS
    clock.now = 9
    assert deadline.remaining() == pytest.approx(1 - ANSWER_SECONDS)
    with pytest.raises(OutOfTime, match="before storing") as caught:
        deadline.require(1, "storing", saved=False)
    assert caught.value.details == {"saved": False}
    clock.now = 20
    assert deadline.remaining() == 0


def test_a_lambda_deadline_is_the_contexts():
    class Context:
        left = 3000

        def get_remaining_time_in_millis(self) -> int:
            return self.left

    context = Context()
    deadline = Deadline.of_invocation(context)
    assert deadline.remaining() == 3 - ANSWER_SECONDS
    context.left = 100
    assert deadline.remaining() == 0


def test_the_ladder_goes_from_the_settings_down_to_one_short_attempt():
    rungs = ladder(CallLimits(3, 2, 5))
    assert rungs[:3] == (CallLimits(3, 2, 5), CallLimits(2, 2, 5), CallLimits(1, 2, 5))
    assert rungs[-1].attempts == 1
    assert rungs[-1].read >= 0.5
    worst = [rung.worst_seconds() for rung in rungs]
    assert worst == sorted(worst, reverse=True)
    # Three attempts of 7 s, and botocore's waits before the second and third: 1 s and 2 s.
    assert worst[0] == 3 * 7 + 1 + 2


def test_each_call_goes_to_the_first_client_that_fits_the_time_left():
    made = []
    rungs = ladder(CallLimits(3, 2, 5))
    clients = Clients("first", rungs, make=lambda limits: made.append(limits) or limits)
    clock = Clock()
    deadline = Deadline.after(100, clock)
    assert clients.within(deadline, "a call") == "first"
    clock.now = 100 - ANSWER_SECONDS - 8
    assert clients.within(deadline, "a call") == CallLimits(1, 2, 5)
    assert clients.within(deadline, "a call") == CallLimits(1, 2, 5)
    assert made == [CallLimits(1, 2, 5)]  # made once, when first needed
    clock.now = 100 - ANSWER_SECONDS - rungs[-1].worst_seconds() + 0.01
    with pytest.raises(OutOfTime, match="before a call") as caught:
        clients.within(deadline, "a call", label_stored=True)
    assert caught.value.details == {"label_stored": True}

"""bench/cost.py's arithmetic: Lambda's request fee and billed GB-seconds per million images."""

from __future__ import annotations

import pytest

from bench import cost


def test_a_million_single_images_pay_a_million_requests_and_their_duration():
    # 80 ms at 1 GB: a million requests (0.20) and 80,000 GB-s (1.33).
    assert cost.cost_per_million_images(80, 1, 1024) == pytest.approx(0.2 + 80 * 0.0166667)


def test_a_batch_pays_one_request_and_one_duration_for_its_images():
    single = cost.cost_per_million_images(80, 1, 1024)
    batch = cost.cost_per_million_images(80 * 32, 32, 1024)
    # The same time per image: only the request fee is shared.
    assert single - batch == pytest.approx(0.2 * (1 - 1 / 32))
    assert cost.cost_per_million_images(80, 1, 2048) > single


def test_the_report_says_whether_batches_are_three_times_cheaper():
    side = {"images_per_invocation": 1, "billed_ms_median": 80, "ms_per_image": 80}
    result = {
        "single": {**side, "usd_per_million_images": 1.53},
        "batch": {
            "images_per_invocation": 32,
            "billed_ms_median": 640,
            "ms_per_image": 20,
            "usd_per_million_images": 0.35,
        },
        "cheaper": 1.53 / 0.35,
        "memory_mb": 1024,
        "s3_latency_ms": 30,
        "prices": cost.PRICES,
        "rounds": 5,
        "cpus": 2,
        "load_average": [1.0, 1.2],
    }
    text = cost.markdown(result)
    assert "| POST /predict/batch, 32 each | 31,250 | 640 | 20.0 | 0.35 |" in text
    assert "4.4x less per image (target: at least 3x, met)" in text
    assert cost.PRICES["read_on"] in text
    result["cheaper"] = 2.0
    assert "**missed**" in cost.markdown(result)

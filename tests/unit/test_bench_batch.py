"""bench.batch counts CPU time per part: the function's process group, moto's, this process."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench.batch import cpu_seconds, markdown

# Burns at least 0.2 s of its own CPU, says so, then waits to be told to exit.
BURN = (
    "import sys, time\n"
    "while time.process_time() < 0.2: pass\n"
    "print('burnt', flush=True)\n"
    "sys.stdin.readline()\n"
)


@pytest.fixture
def burner():
    process = subprocess.Popen(
        [sys.executable, "-c", BURN],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stdout.readline().strip() == "burnt"
    yield process
    process.communicate("\n", timeout=30)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads Linux's /proc")
def test_a_process_group_given_as_the_function_is_counted_as_the_function(burner):
    used = cpu_seconds(burner.pid)
    assert used["function"] >= 0.1  # counted in clock ticks
    assert used["client"] > 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads Linux's /proc")
def test_another_child_group_is_counted_as_s3(burner):
    used = cpu_seconds(None)
    assert used["s3"] >= 0.1
    assert used["function"] == 0


def test_the_table_shows_each_parts_cpu_per_image():
    side = {"requests": 8, "images_per_second": 98.0, "runs": [98.0]}
    result = {
        "images": 256,
        "concurrency": 4,
        "batch_size": 32,
        "rounds": 1,
        "cpus": 2,
        "load_average": [0.5, 1.0],
        "single": {**side, "requests": 256, "images_per_second": 49.0,
                   "cpu_ms_per_image": {"function": 12.5, "s3": 5.3, "client": 2.2}},
        "batch": {**side, "cpu_ms_per_image": {"function": 8.9, "s3": 4.7, "client": 0.2}},
        "speedup": 2.0,
    }  # fmt: skip
    table = markdown(result)
    assert "| POST /predict, one image each | 256 | 49 | 12.5, 5.3, 2.2 |" in table
    assert "| POST /predict/batch | 8 | 98 | 8.9, 4.7, 0.2 |" in table
    assert "2.0x as many images per second" in table
    assert "20.0 ms one image a request, 13.8 ms in batches" in table
    assert "bounded by 1.4x" in table

"""SnapStart: the Lambda handler's hooks, run as Lambda's runtime runs them around a snapshot.

``snapshot_restore_py`` (the module Lambda's Python runtime provides; pinned in
requirements-dev.txt for these tests, never shipped) keeps what the function registered at init;
the runtime calls the before-snapshot hooks once init is done, and the after-restore hooks in each
copy restored from the snapshot. Here both run in one process, between two requests.
"""

from __future__ import annotations

import importlib.util
import json
import random
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import snapshot_restore_py

from digits import instance
from digits.storage import keys, receipts

REPO = Path(__file__).resolve().parents[2]
EVENTS = REPO / "tests" / "events"
HANDLER = REPO / "functions" / "lambda_handler.py"
CONTEXT = SimpleNamespace(aws_request_id="5b1d7e2a-9c3f-4e6a-8b0d-2f4e6a8c0e1b")


def run_hooks(hooks: list) -> None:
    """Call registered hooks as the runtime does: each with the arguments it was registered with."""
    for func, args, kwargs in hooks:
        func(*args, **kwargs)


@pytest.fixture
def module(s3):
    """lambda_handler imported afresh (a new init), with only its own hooks registered."""
    snapshot_restore_py.get_before_snapshot().clear()
    snapshot_restore_py.get_after_restore().clear()
    spec = importlib.util.spec_from_file_location("lambda_handler_snapstart", HANDLER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    snapshot_restore_py.get_before_snapshot().clear()
    snapshot_restore_py.get_after_restore().clear()


def predict(module) -> dict:
    event = json.loads((EVENTS / "predict-raw-png.json").read_text())
    response = module.handler(event, CONTEXT)
    assert response["statusCode"] == 200
    return json.loads(response["body"])


def test_init_registers_one_hook_of_each_kind(module):
    assert len(snapshot_restore_py.get_before_snapshot()) == 1
    assert len(snapshot_restore_py.get_after_restore()) == 1


def test_snapshot_then_restore_gives_a_new_s3_client_and_requests_still_work(module):
    before = module.INSTANCE
    model, client = before.model, before.store.client

    run_hooks(snapshot_restore_py.get_before_snapshot())
    assert module.INSTANCE is before  # the snapshot keeps what init made

    run_hooks(snapshot_restore_py.get_after_restore())
    restored = module.INSTANCE
    assert restored.store.client is not client
    assert restored.model is model  # loaded before the snapshot, never again
    assert restored.settings == before.settings

    answer = predict(module)
    assert answer["saved"] is True
    assert answer["digit"] == 1


def test_restore_reseeds_the_random_state_made_at_init(module):
    # Two copies of one snapshot start with the same state; each reseeds from the OS.
    random.seed(1234)
    np.random.seed(1234)
    shared_random, shared_numpy = random.getstate(), np.random.get_state()[1].copy()

    run_hooks(snapshot_restore_py.get_after_restore())

    assert random.getstate() != shared_random
    assert not np.array_equal(np.random.get_state()[1], shared_numpy)


def test_model_is_loaded_at_init_not_after_restore(module):
    loads = instance.cached_model.cache_info().misses
    run_hooks(snapshot_restore_py.get_before_snapshot())
    run_hooks(snapshot_restore_py.get_after_restore())
    predict(module)
    assert instance.cached_model.cache_info().misses == loads


def test_keys_and_receipts_come_from_the_os_per_request_not_from_seeded_state():
    # Copies restored from one snapshot share every seeded generator; what must be unique
    # (image keys, receipts) must differ even then.
    made = set()
    for _ in range(2):
        random.seed(7)
        np.random.seed(7)
        made.add((receipts.new_receipt(), keys.new_key("png")))
    assert len(made) == 2
    (first_receipt, first_key), (second_receipt, second_key) = made
    assert first_receipt != second_receipt
    assert first_key.rsplit("-", 1)[1] != second_key.rsplit("-", 1)[1]


def test_without_the_runtime_module_registering_does_nothing():
    # A process of its own in which snapshot_restore_py cannot be imported, as anywhere but on
    # Lambda's runtime (None in sys.modules makes the import raise ImportError).
    script = (
        "import sys\n"
        "sys.modules['snapshot_restore_py'] = None\n"
        "from digits import snapstart\n"
        "def hook():\n"
        "    raise AssertionError('never called')\n"
        "assert snapstart.register_before_snapshot(hook) is hook\n"
        "assert snapstart.register_after_restore(hook) is hook\n"
        "print(snapstart.register_before_snapshot.__module__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "digits.snapstart"  # its own do-nothing registration

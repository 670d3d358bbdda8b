"""bench.compare_models: candidates read the same tune inputs; "a+b" averages their members."""

import pytest

from bench import compare_models
from digits.config import Settings

SERVED = str(Settings.from_env({}).model_path)


def test_a_model_and_it_averaged_with_itself_read_the_same(mnist_dir, monkeypatch, capsys):
    monkeypatch.setenv("MNIST_DIR", str(mnist_dir))
    small = ["--numbers", "1", "--not-digits", "2", "--digits", "2", "--lines", "2"]
    rows = compare_models.main([SERVED, f"{SERVED}+{SERVED}", *small])
    alone, doubled = rows.values()
    assert set(alone) == {key for key, _ in compare_models.COLUMNS}
    assert doubled == pytest.approx(alone)
    assert 0.9 < alone["mnist"] <= 1
    for key, value in alone.items():
        limit = len(compare_models.single_digits.KINDS) if key == "digits_refused_sum" else 1
        assert 0 <= value <= limit
    table = capsys.readouterr().out
    assert f"| {SERVED} (" in table
    assert f"| {SERVED}+{SERVED} (" in table


def test_joined_artifacts_share_the_average_equally():
    model = compare_models.load(f"{SERVED}+{SERVED}")
    served = compare_models.load(SERVED)
    assert len(model.members) == 2 * len(served.members)
    assert sum(model.weights) == pytest.approx(1)
    assert model.weights == tuple(w / 2 for w in served.weights) * 2
    assert model.version == f"{served.version}+{served.version}"

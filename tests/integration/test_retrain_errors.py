"""make retrain's errors: exit 2 with a clear message, and nothing written (S3 under moto)."""

from __future__ import annotations

import json
import shutil

import pytest

from model import retrain

KEY = "images/2026/11/30/20261130T101500123456Z-0123456789abcdef.png"


@pytest.fixture
def paths(tmp_path, mnist_dir):
    """A copy of the committed model as the current one, and where outputs would go."""
    current = tmp_path / "current" / "model.joblib"
    current.parent.mkdir()
    shutil.copy(retrain.DEFAULT_MODEL_PATH, current)
    out = tmp_path / "out"
    report = tmp_path / "report.md"
    argv = ["--model", str(current), "--out-dir", str(out), "--report", str(report)]
    return [*argv, "--data-dir", str(mnist_dir)], current, out, report


def nothing_written(current, out, report, before: bytes) -> bool:
    return not out.exists() and not report.exists() and current.read_bytes() == before


def test_a_bucket_without_labels_is_an_error(s3, bucket, paths, capsys):
    argv, current, out, report = paths
    before = current.read_bytes()
    assert retrain.main(["--bucket", bucket, *argv]) == retrain.ERROR
    assert "no labelled images" in capsys.readouterr().err
    assert nothing_written(current, out, report, before)


def test_labelled_objects_that_are_not_images_are_an_error(s3, bucket, paths, capsys):
    argv, current, out, report = paths
    before = current.read_bytes()
    s3.put_object(Bucket=bucket, Key=KEY, Body=b"not an image at all")
    label = {"key": KEY, "label": 3, "labelled_at": "2026-11-30T10:16:00.000000Z"}
    s3.put_object(
        Bucket=bucket,
        Key=f"labels/{KEY.removeprefix('images/')}/20261130T101600000000Z-00.json",
        Body=json.dumps(label).encode(),
    )
    s3.put_object(Bucket=bucket, Key="labels/2026/11/30/garbage.json", Body=b"{")
    assert retrain.main(["--bucket", bucket, *argv]) == retrain.ERROR
    error = capsys.readouterr().err
    assert "could be used for training" in error
    assert "refused by serving's preprocessing" in error
    assert nothing_written(current, out, report, before)


def test_an_unreachable_bucket_is_an_error(aws_credentials, monkeypatch, paths, capsys):
    argv, current, out, report = paths
    before = current.read_bytes()
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    assert retrain.main(["--bucket", "some-bucket", *argv]) == retrain.ERROR
    assert "cannot read the images bucket" in capsys.readouterr().err
    assert nothing_written(current, out, report, before)


def test_a_missing_model_is_an_error(s3, bucket, paths, capsys):
    argv, current, out, report = paths
    current.unlink()
    assert retrain.main(["--bucket", bucket, *argv]) == retrain.ERROR
    assert "cannot load the current model" in capsys.readouterr().err
    assert not out.exists()
    assert not report.exists()

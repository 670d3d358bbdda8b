import json

import numpy as np
import pytest

from digits.inference import load_model
from model import mnist, train

SMALL = ["--subset", "2000", "--trees", "12", "--augment", "none", "--jobs", "1"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory, mnist_dir):
    out = tmp_path_factory.mktemp("model")
    metrics = train.main(["--data-dir", str(mnist_dir), "--out-dir", str(out), *SMALL])
    return out, metrics


def test_training_writes_artifact_metrics_card_and_confusion_matrix(trained):
    out, metrics = trained
    assert {p.name for p in out.iterdir()} >= {
        "forest.joblib",
        "metrics.json",
        "README.md",
        "confusion.png",
    }
    assert json.loads((out / "metrics.json").read_text()) == metrics
    assert metrics["artifact"]["bytes"] == (out / "forest.joblib").stat().st_size
    assert metrics["data_md5"] == mnist.FILES
    assert metrics["parameters"]["trees"] == 12
    assert set(metrics["versions"]) >= {"numpy", "scikit-learn", "joblib", "python"}
    card = (out / "README.md").read_text()
    assert metrics["version"] in card
    assert f"{metrics['test']['accuracy'] * 100:.2f}%" in card


def test_small_forest_learns_and_export_is_exact(trained):
    _, metrics = trained
    assert metrics["test"]["accuracy"] > 0.85
    assert metrics["export_max_abs_difference"] <= 1e-6
    confusion = np.array(metrics["test"]["confusion_matrix"])
    assert confusion.sum() == 10000
    assert confusion.trace() / 10000 == pytest.approx(metrics["test"]["accuracy"])
    assert len(metrics["test"]["precision"]) == len(metrics["test"]["recall"]) == 10


def test_training_is_deterministic(trained, tmp_path, mnist_dir):
    _, metrics = trained
    again = train.main(["--data-dir", str(mnist_dir), "--out-dir", str(tmp_path), *SMALL])
    assert again["version"] == metrics["version"]
    assert again["test"] == metrics["test"]


def test_trained_artifact_loads_and_predicts(trained, mnist_dir):
    out, metrics = trained
    model = load_model(out / "forest.joblib")
    assert model.version == metrics["version"]
    data = mnist.load(mnist_dir)
    predicted = model.predict_proba(data.test_images[:200]).argmax(axis=1)
    assert (predicted == data.test_labels[:200]).mean() > 0.8


def test_augmentation_adds_shifted_copies():
    images = np.zeros((2, 28, 28), np.uint8)
    images[:, 10, 10] = 255
    augmented, labels = train.augment.one_pixel_shifts(images, np.array([3, 4]))
    assert augmented.shape == (10, 28, 28)
    assert labels.tolist() == [3, 4] * 5
    assert {tuple(np.argwhere(a)[0]) for a in augmented} == {
        (10, 10),
        (11, 10),
        (9, 10),
        (10, 11),
        (10, 9),
    }

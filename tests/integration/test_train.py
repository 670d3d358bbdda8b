import json

import numpy as np
import pytest

from digits.classes import CLASSES
from digits.classifier.forest import FlatForest
from digits.classifier.inference import load_model
from digits.classifier.mlp import Perceptron
from model import mnist, train

SMALL = ["--subset", "2000", "--trees", "12", "--augment", "none", "--jobs", "1"]
FOREST = [*SMALL, "--model", "forest", "--realistic", "0"]
ENSEMBLE = [*SMALL, "--model", "mlp+forest", "--hidden", "32", "--epochs", "3", "--realistic", "5"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory, mnist_dir):
    out = tmp_path_factory.mktemp("model")
    metrics = train.main(["--data-dir", str(mnist_dir), "--out-dir", str(out), *FOREST])
    return out, metrics


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory, mnist_dir):
    out = tmp_path_factory.mktemp("ensemble")
    metrics = train.main(["--data-dir", str(mnist_dir), "--out-dir", str(out), *ENSEMBLE])
    return out, metrics


def test_training_writes_artifact_metrics_card_and_confusion_matrix(trained):
    out, metrics = trained
    assert {p.name for p in out.iterdir()} >= {
        "model.joblib",
        "metrics.json",
        "README.md",
        "confusion.png",
    }
    assert json.loads((out / "metrics.json").read_text()) == metrics
    assert metrics["artifact"]["bytes"] == (out / "model.joblib").stat().st_size
    assert metrics["data_md5"] == mnist.FILES
    assert metrics["parameters"]["trees"] == 12
    assert set(metrics["versions"]) >= {"numpy", "scikit-learn", "joblib", "python"}
    card = (out / "README.md").read_text()
    assert metrics["version"] in card
    assert f"{metrics['test_served']['accuracy'] * 100:.2f}%" in card


def test_small_forest_learns_and_export_is_exact(trained):
    _, metrics = trained
    assert metrics["version"].startswith("rf-")
    assert metrics["test"]["accuracy"] > 0.85
    assert metrics["test_served"]["accuracy"] > 0.85
    assert metrics["export_max_abs_difference"] == {"forest": 0.0}
    confusion = np.array(metrics["test"]["confusion_matrix"])
    assert confusion.sum() == 10000
    assert confusion.trace() / 10000 == pytest.approx(metrics["test"]["accuracy"])
    # Twelve classes: the ten digits, "no digit" and "several digits" (MNIST test has only digits).
    assert len(metrics["test"]["precision"]) == len(metrics["test"]["recall"]) == CLASSES
    assert 0 <= metrics["test"]["ece"] < 0.2


def test_training_is_deterministic(trained, ensemble):
    # The ensemble's run trains the same forest again (same data, subset, trees and seed) in a
    # run of its own: the same artifact (its version hashes the arrays) and the same scores.
    _, metrics = trained
    _, again = ensemble
    assert again["forest"]["version"] == metrics["version"]
    assert again["forest"]["test"] == metrics["test"]


def test_trained_artifact_loads_and_predicts(trained, mnist_dir):
    out, metrics = trained
    model = load_model(out / "model.joblib")
    assert model.version == metrics["version"]
    assert [type(m) for m in model.members] == [FlatForest]
    data = mnist.load(mnist_dir)
    predicted = model.predict_proba(data.test_images[:200]).argmax(axis=1)
    assert (predicted == data.test_labels[:200]).mean() > 0.8


def test_ensemble_is_exported_exactly_and_set_beside_the_forest(ensemble, trained):
    out, metrics = ensemble
    assert metrics["version"].startswith("mlp+rf-")
    assert metrics["export_max_abs_difference"]["mlp"] <= 1e-6
    assert 0 < metrics["export_max_abs_difference"]["mlp as stored"] < 1e-2
    assert metrics["forest"]["version"] == trained[1]["version"]
    assert metrics["forest"]["test"] == trained[1]["test"]
    assert set(metrics["realistic"]) == set(metrics["forest"]["realistic"])
    assert metrics["test_served"]["accuracy"] > 0.85
    model = load_model(out / "model.joblib")
    # Three perceptrons by default, each from its own seed, sharing the perceptrons' half.
    assert metrics["parameters"]["perceptrons"] == train.DEFAULTS["perceptrons"] == 3
    assert [type(m) for m in model.members] == [Perceptron, Perceptron, Perceptron, FlatForest]
    assert model.weights == pytest.approx((1 / 6, 1 / 6, 1 / 6, 0.5))
    first, second, third = model.members[:3]
    assert first.weights[0].shape == second.weights[0].shape == third.weights[0].shape
    assert not np.array_equal(first.weights[0], second.weights[0])
    assert not np.array_equal(second.weights[0], third.weights[0])
    card = (out / "README.md").read_text()
    assert trained[1]["version"] in card
    assert "realistic: low_resolution" in card
    assert "The average of 3 perceptrons, each with" in card
    assert "seeds 0, 1 and 2" in card


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


def test_distorted_copies_keep_ink_and_are_reproducible(mnist_dir):
    from model.distort import distort

    data = mnist.load(mnist_dir)
    copies = distort(data.test_images[:50], seed=3)
    assert copies.shape == (50, 28, 28)
    assert copies.dtype == np.uint8
    assert np.array_equal(copies, distort(data.test_images[:50], seed=3))
    assert not np.array_equal(copies, data.test_images[:50])
    ink = copies.reshape(50, -1).sum(axis=1) / data.test_images[:50].reshape(50, -1).sum(axis=1)
    # Scaling changes the amount of ink a little; a digit pushed off the edge would lose most.
    assert 0.8 < np.median(ink) < 1.25
    assert (ink > 0.4).all()


def test_model_switch_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("MODEL", "forest")
    assert train.parse_args([]).model == "forest"
    monkeypatch.delenv("MODEL")
    assert train.parse_args([]).model == train.DEFAULTS["model"] == "mlp"
    assert train.parse_args(["--model", "mlp+forest"]).model == "mlp+forest"

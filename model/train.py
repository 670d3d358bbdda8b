"""Train the digit forest on MNIST and write the artifact, its metrics and its model card.

    python -m model.train --data-dir ../shared/data/mnist      # or MNIST_DIR=...

Deterministic: the same data, seed and library versions give the same forest, byte for byte.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
import time
from pathlib import Path

import joblib
import numpy as np
import PIL
import sklearn
from sklearn.ensemble import RandomForestClassifier

from digits import features
from digits.forest import export_sklearn_forest
from digits.inference import artifact, load_model
from model import augment, card, mnist

MODEL_DIR = Path(__file__).resolve().parent
DEFAULTS = {
    "trees": 100,
    "seed": 0,
    "feature_set": "deskewed+hog",
    "augment": "printed+pens",
    "max_features": "sqrt",
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="directory of the four MNIST .gz files (or MNIST_DIR)")
    parser.add_argument("--out-dir", type=Path, default=MODEL_DIR, help="where to write outputs")
    parser.add_argument("--trees", type=int, default=DEFAULTS["trees"])
    parser.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    parser.add_argument("--feature-set", default=DEFAULTS["feature_set"])
    parser.add_argument("--augment", default=DEFAULTS["augment"], choices=sorted(augment.PLANS))
    parser.add_argument("--max-features", default=DEFAULTS["max_features"])
    parser.add_argument("--jobs", type=int, default=-1, help="training processes (-1: all cores)")
    parser.add_argument("--subset", type=int, help="train on the first N images only (for tests)")
    return parser.parse_args(argv)


def log(message: str) -> None:
    """Print a progress line to stderr."""
    print(f"[train] {message}", file=sys.stderr, flush=True)


def fit_forest(x: np.ndarray, y: np.ndarray, args: argparse.Namespace) -> RandomForestClassifier:
    """Fit the forest in steps of ten trees, reporting progress; same trees as one fit."""
    max_features = args.max_features
    if max_features not in ("sqrt", "log2"):
        max_features = float(max_features) if "." in max_features else int(max_features)
    forest = RandomForestClassifier(
        n_estimators=0,
        max_features=max_features,
        random_state=args.seed,
        n_jobs=args.jobs,
        warm_start=True,
    )
    started = time.perf_counter()
    for n_trees in range(min(10, args.trees), args.trees + 10, 10):
        forest.n_estimators = min(n_trees, args.trees)
        forest.fit(x, y)
        log(f"trees {forest.n_estimators}/{args.trees}  {time.perf_counter() - started:.0f}s")
        if forest.n_estimators == args.trees:
            break
    return forest


def classification_metrics(labels: np.ndarray, predicted: np.ndarray) -> dict:
    """Return accuracy, per-class precision/recall and the confusion matrix."""
    confusion = np.zeros((10, 10), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    true_positive = np.diag(confusion)
    return {
        "accuracy": float(true_positive.sum() / confusion.sum()),
        "precision": [float(v) for v in true_positive / np.maximum(confusion.sum(axis=0), 1)],
        "recall": [float(v) for v in true_positive / np.maximum(confusion.sum(axis=1), 1)],
        "confusion_matrix": confusion.tolist(),
    }


def forest_version(arrays: dict) -> str:
    """Name a forest by a hash of its arrays, so identical training gives the same version."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(arrays[name]).tobytes())
    return f"rf-{digest.hexdigest()[:12]}"


def main(argv: list[str] | None = None) -> dict:
    """Train, export, evaluate and write artifact, metrics, confusion matrix and model card."""
    args = parse_args(argv)
    started = time.perf_counter()
    data = mnist.load(args.data_dir)
    train_images, train_labels = data.train_images, data.train_labels
    if args.subset:
        train_images, train_labels = train_images[: args.subset], train_labels[: args.subset]
    train_images, train_labels = augment.PLANS[args.augment](train_images, train_labels)
    log(f"training set: {len(train_images)} images ({args.augment}), features {args.feature_set}")
    x_train = features.extract(train_images, args.feature_set)
    x_test = features.extract(data.test_images, args.feature_set)

    fit_started = time.perf_counter()
    forest = fit_forest(x_train, train_labels, args)
    fit_seconds = time.perf_counter() - fit_started

    flat = export_sklearn_forest(forest)
    arrays = flat.to_dict()
    version = forest_version(arrays)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    artifact_path = args.out_dir / "forest.joblib"
    joblib.dump(artifact(flat, args.feature_set, version), artifact_path)
    log(f"wrote {artifact_path} ({artifact_path.stat().st_size / 1e6:.2f} MB), version {version}")

    model = load_model(artifact_path)
    probabilities = model.predict_proba(data.test_images)
    reference = forest.predict_proba(x_test)
    max_abs_difference = float(np.abs(probabilities - reference).max())
    log(f"exported forest vs scikit-learn: max abs difference {max_abs_difference:.2e}")

    metrics = {
        "version": version,
        "test": classification_metrics(data.test_labels, probabilities.argmax(axis=1)),
        "export_max_abs_difference": max_abs_difference,
        "training": {
            "images": len(train_images),
            "seconds": round(fit_seconds, 1),
            "total_seconds": round(time.perf_counter() - started, 1),
            "command": " ".join(
                ["python -m model.train", *(argv if argv is not None else sys.argv[1:])]
            ),
        },
        "parameters": {
            "trees": args.trees,
            "seed": args.seed,
            "feature_set": args.feature_set,
            "augment": args.augment,
            "max_features": args.max_features,
            "subset": args.subset,
            "criterion": forest.criterion,
            "bootstrap": forest.bootstrap,
        },
        "forest": {
            "nodes": flat.n_nodes,
            "max_depth": flat.depth,
            "distinct_leaf_values": len(flat.values),
        },
        "artifact": {"path": artifact_path.name, "bytes": artifact_path.stat().st_size},
        "data_md5": data.md5,
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
            "joblib": joblib.__version__,
            "pillow": PIL.__version__,
        },
    }
    (args.out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    card.write_confusion_png(metrics["test"]["confusion_matrix"], args.out_dir / "confusion.png")
    card.write_model_card(metrics, args.out_dir / "README.md")
    log(f"test accuracy {metrics['test']['accuracy']:.4f}; wrote metrics.json, confusion.png")
    return metrics


if __name__ == "__main__":
    try:
        main()
    except mnist.MnistError as error:
        sys.exit(f"error: {error}")

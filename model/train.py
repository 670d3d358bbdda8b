"""Train the served digit model on MNIST and write the artifact, its metrics and its model card.

    python -m model.train --data-dir ../shared/data/mnist      # or MNIST_DIR=...
    MODEL=forest python -m model.train                          # the forest alone (--model)

Members: ``mlp`` (perceptrons), ``forest`` (the random forest), or ``mlp+forest`` (their
probabilities averaged). ``--perceptrons`` perceptrons are trained, each from its own seed (seed,
seed + 1, ...: its own not-digit images and initial weights, the same digits), and averaged: they
err on different images. The forest is trained once in every run, so the card can set it beside
the served model. Deterministic: the same data, seed and library versions give the same version.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import joblib
import numpy as np
import PIL
import sklearn

from digits.classes import DIGITS, NOT_A_DIGIT
from digits.classifier import features
from digits.classifier.inference import load_model
from digits.classifier.mlp import Perceptron
from model import augment, card, mnist
from model.export import artifact, export_sklearn_forest, export_sklearn_mlp
from model.figures import CARD_NOT_DIGITS, figures, held_out_not_digits
from model.fit import fit_forest, fit_mlp, hidden_layers, log, mlp_inputs
from model.refusal_data import refusal_training_set

MODEL_DIR = Path(__file__).resolve().parent
ARTIFACT = "model.joblib"  # the served model; template.yaml and the Lambda package name it
# The perceptron's sums depend on how BLAS splits them among threads: these settings are part of
# how a model was made, and the command recorded for it names them.
BLAS_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")
MODELS = ("mlp", "forest", "mlp+forest")
MLP_EXTRAS = ("none", "served", "served+distorted")
DEFAULTS = {
    "model": "mlp",
    "trees": 100,
    "seed": 0,
    "feature_set": "deskewed+hog",
    "augment": "printed+pens+blocky",
    "max_features": "sqrt",
    "hidden": (800, 256),
    "perceptrons": 3,
    "epochs": 14,
    "learning_rate": 1e-3,
    "batch_size": 256,
    "mlp_extra": "served+distorted",
    "distorted_copies": 4,
    "forest_weight": 0.5,
    "not_digits": 60000,
    "segmented_lines": 6000,
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="directory of the four MNIST .gz files (or MNIST_DIR)")
    parser.add_argument("--out-dir", type=Path, default=MODEL_DIR, help="where to write outputs")
    parser.add_argument(
        "--model", default=os.environ.get("MODEL") or DEFAULTS["model"], choices=MODELS
    )
    parser.add_argument("--trees", type=int, default=DEFAULTS["trees"])
    parser.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    parser.add_argument("--feature-set", default=DEFAULTS["feature_set"])
    parser.add_argument("--augment", default=DEFAULTS["augment"], choices=sorted(augment.PLANS))
    parser.add_argument("--max-features", default=DEFAULTS["max_features"])
    parser.add_argument(
        "--hidden",
        type=hidden_layers,
        default=DEFAULTS["hidden"],
        help="the perceptron's hidden layer sizes, first to last: 800,256",
    )
    parser.add_argument(
        "--perceptrons",
        type=int,
        default=DEFAULTS["perceptrons"],
        help="perceptrons averaged, the i-th trained from --seed + i",
    )
    parser.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    parser.add_argument("--learning-rate", type=float, default=DEFAULTS["learning_rate"])
    parser.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"])
    parser.add_argument("--mlp-extra", default=DEFAULTS["mlp_extra"], choices=MLP_EXTRAS)
    parser.add_argument(
        "--distorted-copies",
        type=int,
        default=DEFAULTS["distorted_copies"],
        help="with served+distorted: distorted copies of MNIST, the perceptron sees one an epoch",
    )
    parser.add_argument("--forest-weight", type=float, default=DEFAULTS["forest_weight"])
    parser.add_argument(
        "--not-digits",
        type=int,
        help="drawn images of the class 'not a digit' (model.not_digits; default: "
        f"{DEFAULTS['not_digits']}, a tenth of --subset with one; 0: ten classes only)",
    )
    parser.add_argument(
        "--segmented-lines",
        type=int,
        help="lines of digits cut as the segmenter cuts them (model.segmenter_pieces; default: "
        f"{DEFAULTS['segmented_lines']}, a fortieth of --subset with one)",
    )
    parser.add_argument("--jobs", type=int, default=-1, help="training processes (-1: all cores)")
    parser.add_argument("--subset", type=int, help="train on the first N images only (for tests)")
    parser.add_argument(
        "--realistic", type=int, default=200, help="inputs per realistic kind (0: skip them)"
    )
    return parser.parse_args(argv)


def model_version(saved: dict) -> str:
    """Name a model by a hash of its artifact's arrays, so identical training gives one version;
    the name starts with what its members are (mlp, rf or mlp+rf, each kind named once)."""
    digest = hashlib.sha256()

    def feed(value) -> None:
        if isinstance(value, dict):
            for key in sorted(value):
                digest.update(str(key).encode())
                feed(value[key])
        elif isinstance(value, list | tuple):
            for item in value:
                feed(item)
        elif isinstance(value, np.ndarray):
            digest.update(np.ascontiguousarray(value).tobytes())
        else:
            digest.update(repr(value).encode())

    feed(saved)
    kind = "+".join(sorted({member["kind"] for member in saved["members"]}, reverse=True))
    prefix = {"forest": "rf", "mlp": "mlp", "mlp+forest": "mlp+rf"}[kind]
    return f"{prefix}-{digest.hexdigest()[:12]}"


def refusal_sizes(args: argparse.Namespace) -> tuple[int, int]:
    """Return how many not-digit images to draw and lines to segment, by default or as asked."""
    drawn, lines = args.not_digits, args.segmented_lines
    if drawn is None:
        drawn = args.subset // 10 if args.subset else DEFAULTS["not_digits"]
    if lines is None:
        lines = args.subset // 40 if args.subset else DEFAULTS["segmented_lines"]
    return drawn, lines


def extra_mlp_images(images, labels, extra: str, jobs: int, copies: int = 1):
    """Return the copies only the perceptron trains on in every epoch, and those it trains on one
    an epoch, in turn (augment.as_served, augment.distorted_copies)."""
    if extra == "served":
        return augment.as_served(images, labels, jobs), []
    if extra == "served+distorted":
        if copies < 1:
            raise ValueError(f"--distorted-copies must be at least 1, not {copies}")
        served = augment.as_served(images, labels, jobs)
        return served, augment.distorted_copies(images, labels, copies, jobs)
    return (images[:0], labels[:0]), []


def stored(perceptron: Perceptron) -> Perceptron:
    """Return the perceptron as the artifact gives it back (its weights in half precision)."""
    return Perceptron.from_dict(perceptron.to_dict())


def save(members: list, weights: list[float], args, path: Path) -> tuple[str, int]:
    """Write an artifact; return its version and size in bytes."""
    saved = artifact(members, weights, args.feature_set, "")
    version = model_version(saved)
    saved["version"] = version
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(saved, path)
    return version, path.stat().st_size


def main(argv: list[str] | None = None) -> dict:
    """Train, export, evaluate and write artifact, metrics, confusion matrix and model card."""
    args = parse_args(argv)
    started = time.perf_counter()
    jobs = os.cpu_count() if args.jobs == -1 else args.jobs
    data = mnist.load(args.data_dir)
    mnist_images, mnist_labels = data.train_images, data.train_labels
    if args.subset:
        mnist_images, mnist_labels = mnist_images[: args.subset], mnist_labels[: args.subset]
    digit_images, digit_labels = augment.PLANS[args.augment](mnist_images, mnist_labels)

    def training_set(seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the digits, and the not-digit images drawn from ``seed``, with their labels."""
        drawn, lines = refusal_sizes(args)
        if not (drawn or lines):
            return digit_images, digit_labels
        refusal_images, refusal_labels = refusal_training_set(
            mnist_images, mnist_labels, drawn, lines, seed, jobs
        )
        log(
            f"seed {seed}: no digit: {int((refusal_labels == NOT_A_DIGIT).sum())} images,"
            f" several digits: {int((refusal_labels > NOT_A_DIGIT).sum())}, digits cut from"
            f" {lines} lines: {int((refusal_labels < DIGITS).sum())}"
        )
        return (
            np.concatenate([digit_images, refusal_images]),
            np.concatenate([digit_labels, refusal_labels]),
        )

    train_images, train_labels = training_set(args.seed)
    log(f"training set: {len(train_images)} images ({args.augment}), features {args.feature_set}")
    x_train = features.extract(train_images, args.feature_set)
    served_test, _ = augment.served_or_blank(data.test_images, jobs)
    seconds = {}

    fit_started = time.perf_counter()
    sk_forest = fit_forest(
        x_train, train_labels, args.trees, args.max_features, args.seed, args.jobs
    )
    seconds["forest"] = time.perf_counter() - fit_started
    forest = export_sklearn_forest(sk_forest)
    x_test = features.extract(data.test_images, args.feature_set)
    differences = {
        "forest": float(
            np.abs(forest.predict_proba(x_test) - sk_forest.predict_proba(x_test)).max()
        )
    }
    members, weights = [forest], [1.0]
    mlp_images = len(train_images)

    if args.model != "forest":
        if args.perceptrons < 1:
            raise ValueError(f"--perceptrons must be at least 1, not {args.perceptrons}")
        (extra_images, extra_labels), copies = extra_mlp_images(
            mnist_images, mnist_labels, args.mlp_extra, jobs, args.distorted_copies
        )
        x_extra = features.extract(extra_images, args.feature_set)
        in_turn = [
            (features.extract(images, args.feature_set), labels) for images, labels in copies
        ]
        mlp_images = len(x_train) + len(x_extra) + (len(in_turn[0][1]) if in_turn else 0)
        log(
            f"perceptron training set: {mlp_images} images an epoch (+{args.mlp_extra}"
            + (f", one of {len(in_turn)} distorted copies in turn" if in_turn else "")
            + f"), {args.perceptrons} perceptron(s)"
        )
        check = (x_test[::5], data.test_labels[::5])
        perceptrons = []
        fit_started = time.perf_counter()
        for i in range(args.perceptrons):
            seed = args.seed + i
            # The first trains on the forest's set; each other on its own seed's not-digits.
            x_own, y_own = x_train, train_labels
            if i:
                images, y_own = training_set(seed)
                x_own = features.extract(images, args.feature_set)
            sk_mlp = fit_mlp(
                np.vstack([x_own, x_extra]),
                np.concatenate([y_own, extra_labels]),
                args.hidden,
                args.epochs,
                seed,
                args.learning_rate,
                args.batch_size,
                check,
                in_turn,
            )
            perceptron = export_sklearn_mlp(sk_mlp)
            expected = sk_mlp.predict_proba(mlp_inputs(x_test))
            # Exact as exported; as stored, its weights in the artifact's half precision.
            for name, served in (("mlp", perceptron), ("mlp as stored", stored(perceptron))):
                difference = float(np.abs(served.predict_proba(x_test) - expected).max())
                differences[name] = max(differences.get(name, 0.0), difference)
            perceptrons.append(perceptron)
        seconds["mlp"] = time.perf_counter() - fit_started
        share = 1.0 if args.model == "mlp" else 1 - args.forest_weight
        members = [*perceptrons, forest] if args.model == "mlp+forest" else perceptrons
        weights = [share / len(perceptrons)] * len(perceptrons)
        if args.model == "mlp+forest":
            weights.append(args.forest_weight)
    log(
        "exported vs scikit-learn, max abs difference: "
        + ", ".join(f"{k} {v:.1e}" for k, v in differences.items())
    )

    artifact_path = args.out_dir / ARTIFACT
    version, size = save(members, weights, args, artifact_path)
    log(f"wrote {artifact_path} ({size / 1e6:.2f} MB), version {version}")
    model = load_model(artifact_path)
    log("evaluating the served model")
    held_out = held_out_not_digits(data, CARD_NOT_DIGITS if args.realistic else 0)
    served = figures(model, data, served_test, args.realistic, held_out)
    if args.model == "forest":
        compared = None
    else:
        log("evaluating the forest alone")
        with tempfile.TemporaryDirectory() as folder:
            forest_version, forest_size = save([forest], [1.0], args, Path(folder) / ARTIFACT)
            forest_model = load_model(Path(folder) / ARTIFACT)
        compared = {
            "version": forest_version,
            "artifact_bytes": forest_size,
            **figures(forest_model, data, served_test, args.realistic, held_out),
        }

    metrics = {
        "version": version,
        "model": args.model,
        **served,
        "forest": compared,
        "realistic_n": args.realistic,
        "export_max_abs_difference": differences,
        "training": {
            "images": len(train_images),
            "mlp_images": mlp_images,
            "seconds": {k: round(v, 1) for k, v in seconds.items()},
            "total_seconds": round(time.perf_counter() - started, 1),
            "command": " ".join(
                [
                    *(f"{name}={os.environ[name]}" for name in BLAS_THREADS if name in os.environ),
                    "python -m model.train",
                    *(argv if argv is not None else sys.argv[1:]),
                ]
            ),
        },
        "parameters": {
            "model": args.model,
            "weights": weights,
            "trees": args.trees,
            "seed": args.seed,
            "feature_set": args.feature_set,
            "augment": args.augment,
            "max_features": args.max_features,
            "criterion": sk_forest.criterion,
            "bootstrap": sk_forest.bootstrap,
            "hidden": list(args.hidden),
            "perceptrons": args.perceptrons if args.model != "forest" else 0,
            "epochs": args.epochs,
            "learning_rate": args.learning_rate,
            "batch_size": args.batch_size,
            "mlp_extra": args.mlp_extra,
            "distorted_copies": args.distorted_copies,
            "subset": args.subset,
            "not_digits": refusal_sizes(args)[0],
            "segmented_lines": refusal_sizes(args)[1],
        },
        "forest_shape": {
            "trees": forest.n_trees,
            "nodes": forest.n_nodes,
            "max_depth": forest.depth,
        },
        "artifact": {"path": artifact_path.name, "bytes": size},
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
    confusion = metrics.get("with_not_digits", metrics["test_served"])["confusion_matrix"]
    card.write_confusion_png(confusion, args.out_dir / "confusion.png")
    card.write_model_card(metrics, args.out_dir / "README.md")
    log(
        f"MNIST test accuracy as served {metrics['test_served']['accuracy']:.4f}, raw arrays"
        f" {metrics['test']['accuracy']:.4f}; total {metrics['training']['total_seconds']:.0f}s"
    )
    return metrics


if __name__ == "__main__":
    try:
        main()
    except mnist.MnistError as error:
        sys.exit(f"error: {error}")

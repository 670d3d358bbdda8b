"""What a retrain decided, written down: its report, and a promoted model's files.

model/retrain.py decides; this writes the Markdown report it prints, and on promotion stages the
candidate's artifact, metrics.json, model card and confusion matrix in a folder inside ``--out-dir``
and moves each into place once all are written: a failure while writing leaves the served files
as they were.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import joblib

from model import card, measure, train
from model.export import artifact


def report(decision, table, counts, where, args, out_dir, seconds, fit_seconds) -> str:
    """Return the Markdown report: the decision, its reasons, the table and what was used."""
    if decision.promote:
        verdict = f"**Promoted**: the candidate replaces `{out_dir / train.ARTIFACT}`."
    else:
        verdict = "**Refused**: the current model stays. " + " ".join(
            f"{reason[0].upper()}{reason[1:]}." for reason in decision.reasons
        )
    left_out = ", ".join(f"{k} {v}" for k, v in counts["left_out"].items()) or "none"
    return f"""# Retrain report

{verdict}

{table}

Labelled images from {where}: {counts["labelled_keys"]} labelled keys; {counts["training"]}
for training, {counts["held_out"]} held out (hash of the key, fraction {args.held_out}); left
out: {left_out}. Label rule: the latest label wins (model/labelled.py).
Fine-tuned {args.epochs} epochs at learning rate {args.learning_rate}, each labelled image
weighted {args.weight}, beside every MNIST training digit and synthetic copies of {args.replay};
fit {fit_seconds:.0f} s, whole retrain {seconds:.0f} s.
"""


def promote(
    candidate,
    current,
    sets,
    out_dir: Path,
    args,
    counts,
    table,
    seconds,
    log: Callable[[str], None],
) -> None:
    """Write the candidate's artifact, metrics, card and confusion matrix into ``out_dir``."""
    # The current model's own metrics carry what the card says about its training.
    previous_path = args.model.parent / "metrics.json"
    previous = json.loads(previous_path.read_text()) if previous_path.is_file() else {}
    if previous.get("version") != current.version:
        previous = {}
    metrics = {**previous, **measure.card_figures(candidate, sets), "version": candidate.version}
    metrics["realistic_n"] = args.realistic
    metrics["retrain"] = {
        "from_version": current.version,
        "labelled": counts,
        "weight": args.weight,
        "epochs": args.epochs,
        "learning_rate": args.learning_rate,
        "replay": args.replay,
        "mnist_test": len(sets.mnist_labels),
        "seconds": round(seconds, 1),
        "command": " ".join(["python -m model.retrain", *getattr(args, "argv", [])]),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir) as folder:
        staged = Path(folder)
        saved = artifact(
            list(candidate.members),
            list(candidate.weights),
            candidate.feature_set,
            candidate.version,
        )
        joblib.dump(saved, staged / train.ARTIFACT)
        metrics["artifact"] = {
            "path": train.ARTIFACT,
            "bytes": (staged / train.ARTIFACT).stat().st_size,
        }
        (staged / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
        card.write_confusion_png(
            metrics["test_served"]["confusion_matrix"], staged / "confusion.png"
        )
        section = (
            f"\n## Retrained on labelled images\n\nFine-tuned from `{current.version}` by"
            f" `make retrain` (model/retrain.py); the guard's table:\n\n{table}\n"
        )
        try:
            card.write_model_card(metrics, staged / "README.md")
            (staged / "README.md").write_text((staged / "README.md").read_text() + section)
        except KeyError as error:  # metrics.json of another kind of training: a card of its own
            log(f"model card: metrics.json lacks {error}; writing the retrain section alone")
            (staged / "README.md").write_text(
                f"# Model card: digit model `{candidate.version}`\n{section}"
            )
        for name in ("metrics.json", "confusion.png", "README.md", train.ARTIFACT):
            os.replace(staged / name, out_dir / name)

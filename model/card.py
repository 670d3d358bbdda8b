"""Write the model card (model/README.md) and the confusion-matrix picture from measured figures.

    python -m model.card     # after `make model` or `make bench`: rewrites model/README.md

The card only states figures read from model/metrics.json and bench/model.json, so it cannot
drift from what was measured.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

MODEL_DIR = Path(__file__).resolve().parent
SPEED_PATH = MODEL_DIR.parent / "bench" / "model.json"

AUGMENT_TEXT = {
    "none": "MNIST's training digits as published",
    "shift1": (
        "MNIST's training digits plus four copies of each moved one pixel up, down, left"
        " and right (centring by centre of mass is never exact on real input)"
    ),
    "printed": (
        "MNIST's training digits plus 6,000 digits printed in 13 fonts shipped with matplotlib"
        " (`model/printed.py`: bold, italic and monospace faces of DejaVu, STIX and Computer"
        " Modern, 24-160 px, tilted up to 6 degrees, on page-like backgrounds), passed through"
        " the same preprocessing as served images. The printed-digit benchmark uses other font"
        " files, so the model is not graded on glyphs it was trained on"
    ),
    "printed+pens": (
        "MNIST's training digits; 6,000 digits printed in 13 fonts shipped with matplotlib"
        " (`model/printed.py`: bold, italic and monospace faces of DejaVu, STIX and Computer"
        " Modern, 24-160 px, tilted up to 6 degrees, on page-like backgrounds); and 4,000 MNIST"
        " training digits each redrawn with a thin and with a thick pen on a large canvas"
        " (`model/redrawn.py`; a thick pen can close a loop, a thin one breaks faint joins)."
        " Added digits pass through the same preprocessing as served images. The benchmark"
        " draws its pens from MNIST *test* digits and prints in other font files, so the model"
        " is not graded on what it was trained on"
    ),
}
FEATURE_TEXT = {
    "pixels": "the 784 raw pixels.",
    "deskewed": (
        "the 784 pixels after deskewing: each digit is sheared so its principal axis is vertical"
        " (from its second moments), which removes slant, the largest variation a forest cannot"
        " learn cheaply. `digits.features.extract` does it with NumPy for training and serving."
    ),
    "deskewed+hog": (
        "1,176 uint8 features: the 784 pixels after deskewing (each digit sheared so its"
        " principal axis is vertical, from its second moments: slant is the largest variation a"
        " forest cannot learn cheaply), and 392 gradient-orientation histograms of the deskewed"
        " digit (8 signed directions in each of 7x7 cells of 4x4 pixels), which describe strokes"
        " by direction and so survive the small shifts and thickness changes that move raw"
        " pixels. `digits.features.extract` computes them with NumPy for training and serving."
    ),
}


def write_confusion_png(confusion: list[list[int]], path: Path, cell: int = 36) -> None:
    """Draw the confusion matrix as a PNG: rows true digits, columns predicted."""
    matrix = np.asarray(confusion, dtype=np.float64)
    margin = cell
    size = margin + 10 * cell
    image = Image.new("RGB", (size, size + 20), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    off_diagonal_max = max((matrix - np.diag(np.diag(matrix))).max(), 1)
    for true in range(10):
        draw.text(
            (margin // 3, margin + true * cell + cell // 3), str(true), fill="black", font=font
        )
        draw.text(
            (margin + true * cell + cell // 3, margin // 3), str(true), fill="black", font=font
        )
        for predicted in range(10):
            count = int(matrix[true, predicted])
            if true == predicted:
                colour = (46, 125, 50)
            else:
                shade = int(255 - 200 * min(count / off_diagonal_max, 1))
                colour = (255, shade, shade)
            x, y = margin + predicted * cell, margin + true * cell
            draw.rectangle([x, y, x + cell - 1, y + cell - 1], fill=colour, outline="#ddd")
            text_colour = "white" if true == predicted else "black"
            draw.text((x + 4, y + cell // 3), str(count), fill=text_colour, font=font)
    draw.text((margin, size + 4), "rows: true digit, columns: predicted", fill="black", font=font)
    image.save(path, optimize=True)


def _table(rows: list[tuple[str, str]]) -> str:
    lines = ["| | |", "| --- | --- |"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)


def render(metrics: dict, speed: dict | None) -> str:
    """Return the model card's Markdown."""
    test = metrics["test"]
    params = metrics["parameters"]
    per_class = "\n".join(
        f"| {digit} | {test['precision'][digit]:.4f} | {test['recall'][digit]:.4f} |"
        for digit in range(10)
    )
    speed_section = "Not measured yet: run `make bench`."
    if speed:
        speed_section = f"Measured by `{speed['command']}` on {speed['machine']}:\n\n" + _table(
            [
                (
                    f"fresh process: import + load artifact (median of {speed['cold_runs']})",
                    f"{speed['cold_load_seconds']:.3f} s (target <= 0.3 s)",
                ),
                (
                    "one image, median after load",
                    f"{speed['single_ms_median']:.3f} ms (target <= 1 ms)",
                ),
                (
                    "10,000 test images as one batch",
                    f"{speed['batch_10k_seconds']:.2f} s (target <= 2 s)",
                ),
            ]
        )
    versions = ", ".join(f"{name} {v}" for name, v in metrics["versions"].items())
    md5 = "\n".join(f"| `{name}` | `{value}` |" for name, value in metrics["data_md5"].items())
    return f"""# Model card: digit forest `{metrics["version"]}`

A scikit-learn `RandomForestClassifier` trained on MNIST, exported to flat NumPy arrays
(`forest.joblib`) and evaluated with NumPy alone, so the function needs no scikit-learn at run time.
This card is generated by `python -m model.card` from `metrics.json` and `../bench/model.json`.

## Figures

{
        _table(
            [
                ("MNIST test accuracy (10,000 digits)", f"**{test['accuracy'] * 100:.2f}%**"),
                ("artifact size", f"{metrics['artifact']['bytes'] / 1e6:.2f} MB (target <= 10 MB)"),
                (
                    "exported forest vs scikit-learn `predict_proba`, max abs difference",
                    f"{metrics['export_max_abs_difference']:.1e}",
                ),
                (
                    "trees / nodes / max depth",
                    (
                        f"{params['trees']} / {metrics['forest']['nodes']:,} / "
                        f"{metrics['forest']['max_depth']}"
                    ),
                ),
                ("training time (fit only)", f"{metrics['training']['seconds']:.0f} s"),
            ]
        )
    }

Reproduce: `MNIST_DIR=../shared/data/mnist make model` (runs `{metrics["training"]["command"]}`).
Training is deterministic (seed {params["seed"]}): the same data and pinned libraries give the
same forest and the same version name, which is a hash of the exported arrays.

## Speed

{speed_section}

## Training data

{AUGMENT_TEXT.get(params["augment"], params["augment"])}: {metrics["training"]["images"]:,} images.

The forest sees {FEATURE_TEXT.get(params["feature_set"], params["feature_set"])}

Images served to the function are first brought to MNIST's own format (`digits.imaging`): ink
separated from background, cropped, fitted into a 20x20 box keeping the aspect ratio, and centred
by centre of mass in 28x28, so training and serving see the same kind of image.

MNIST files, with the md5s they were checked against:

| file | md5 |
| --- | --- |
{md5}

## Parameters

{params["trees"]} trees, `max_features={params["max_features"]}`, criterion `{params["criterion"]}`,
bootstrap {params["bootstrap"]}, fully grown trees (no depth limit), seed {params["seed"]}.
Libraries: {versions}.

## Per-class precision and recall (MNIST test set)

| digit | precision | recall |
| --- | --- | --- |
{per_class}

![confusion matrix](confusion.png)

## Limits

- Trained on MNIST: centred, size-normalised single digits written by American census staff and
  students. Inputs far from that (several digits, letters, heavy clutter) get a confident-looking
  but meaningless answer; the function returns the confidence so callers can judge.
- Accuracy on realistic inputs (canvas drawings, photos, printed digits) is measured per kind by
  `make bench`; see the README's measured figures.
"""


def write_model_card(metrics: dict, path: Path, speed_path: Path = SPEED_PATH) -> None:
    """Write the model card for ``metrics``, with speed figures if a benchmark wrote them."""
    speed = json.loads(speed_path.read_text()) if speed_path.is_file() else None
    if speed and speed.get("version") != metrics["version"]:
        speed = None
    path.write_text(render(metrics, speed))


if __name__ == "__main__":
    write_model_card(json.loads((MODEL_DIR / "metrics.json").read_text()), MODEL_DIR / "README.md")

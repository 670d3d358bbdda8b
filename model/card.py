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

from model.card_text import (
    AUGMENT_TEXT,
    FEATURE_TEXT,
    hidden_layers_text,
    mlp_extra_text,
    perceptron_count,
)

MODEL_DIR = Path(__file__).resolve().parent
SPEED_PATH = MODEL_DIR.parent / "bench" / "model.json"

# How the classes beyond the digits are named in the confusion matrix's picture.
CLASS_MARKS = {10: "no", 11: "2+"}


def write_confusion_png(confusion: list[list[int]], path: Path, cell: int = 36) -> None:
    """Draw the confusion matrix as a PNG: rows true classes, columns predicted."""
    matrix = np.asarray(confusion, dtype=np.float64)
    classes = len(matrix)
    names = [CLASS_MARKS.get(c, str(c)) for c in range(classes)]
    margin = cell
    size = margin + classes * cell
    image = Image.new("RGB", (size, size + 20), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    off_diagonal_max = max((matrix - np.diag(np.diag(matrix))).max(), 1)
    for true in range(classes):
        at = margin + true * cell + cell // 3
        draw.text((margin // 3, at), names[true], fill="black", font=font)
        draw.text((at, margin // 3), names[true], fill="black", font=font)
        for predicted in range(classes):
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
    legend = "rows: true class, columns: predicted"
    if classes > 10:
        legend += "; no: no digit, 2+: several digits"
    draw.text((margin, size + 4), legend, fill="black", font=font)
    image.save(path, optimize=True)


def model_text(params: dict, layers: str) -> str:
    """Return the card's first words: what the members are."""
    if params["model"] == "forest":
        return f"A scikit-learn `RandomForestClassifier` of {params['trees']} trees"
    count = perceptron_count(params)
    if count == 1:
        perceptrons, seeds = "a perceptron", ""
    else:
        perceptrons = f"{count} perceptrons, each"
        seeds = " from its own seed (its own not-digit images and initial weights, the same digits)"
    if params["model"] == "mlp":
        text = f"{perceptrons} with {layers} ReLU units, trained with scikit-learn's"
        text += " `MLPClassifier`"
        text += f"{seeds}, their probabilities averaged" if count > 1 else ""
        return text[0].upper() + text[1:]
    return (
        f"The average of {perceptrons} with {layers} ReLU units (scikit-learn's `MLPClassifier`"
        f"{seeds}, weight {params['weights'][0]}) and a `RandomForestClassifier` of"
        f" {params['trees']} trees (weight {params['weights'][-1]})"
    )


def _table(rows: list[tuple[str, str]]) -> str:
    lines = ["| | |", "| --- | --- |"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.2f}%"


def _comparison(metrics: dict) -> str:
    """Return the served model and the forest figure by figure."""
    forest = metrics["forest"]
    columns = [("served", metrics)] + ([("forest alone", forest)] if forest else [])
    header = "| figure | " + " | ".join(
        f"{name} `{figures['version']}`" for name, figures in columns
    )
    lines = [header + " |", "| --- |" + " --- |" * len(columns)]

    def row(name: str, value) -> None:
        lines.append(f"| {name} | " + " | ".join(value(f) for _, f in columns) + " |")

    row(
        "**MNIST test as served** (to_mnist on each of the 10,000 digits)",
        lambda f: f"**{_percent(f['test_served']['accuracy'])}**",
    )
    for split, words in (("tune", "first half, tuned on"), ("report", "second half, held out")):
        row(
            f"MNIST test as served, {words}",
            lambda f, s=split: _percent(f.get("test_served_splits", {}).get(s, {}).get("accuracy")),
        )
    row("MNIST test digits refused as not a digit", lambda f: _percent(_digits_refused(f)))
    row(
        "held-out images of no digit or several, refused",
        lambda f: _percent(f.get("not_digits", {}).get("refused")),
    )
    row("MNIST test, raw arrays", lambda f: _percent(f["test"]["accuracy"]))
    for kind in metrics.get("realistic", {}):
        row(f"realistic: {kind}", lambda f, k=kind: _percent(f.get("realistic", {}).get(k)))
    row("expected calibration error, as served", lambda f: f"{f['test_served']['ece']:.4f}")
    sizes = {id(metrics): metrics["artifact"]["bytes"]}
    if forest:
        sizes[id(forest)] = forest["artifact_bytes"]
    row("artifact size", lambda f: f"{sizes[id(f)] / 1e6:.2f} MB")
    return "\n".join(lines)


def _digits_refused(figures: dict) -> float | None:
    """Return the share of MNIST test digits (as served) read as one of the refusing classes."""
    confusion = np.asarray(figures["test_served"]["confusion_matrix"])
    if len(confusion) <= 10:
        return None
    return float(confusion[:10, 10:].sum() / confusion[:10].sum())


def _reliability(rows: list[dict]) -> str:
    lines = ["| confidence | answers | right | mean confidence |", "| --- | --- | --- | --- |"]
    for r in rows:
        right = "" if r["accuracy"] is None else _percent(r["accuracy"])
        mean = "" if r["mean_confidence"] is None else f"{r['mean_confidence']:.3f}"
        lines.append(f"| {r['low']:.2f}-{r['high']:.2f} | {r['count']:,} | {right} | {mean} |")
    return "\n".join(lines)


def _mark(cls: int) -> str:
    """A class as the tables show it: the digit, or "no" / "2+" for the two refusal classes."""
    return CLASS_MARKS.get(cls, str(cls))


def _refusal_training(params: dict) -> str:
    drawn, lines = params.get("not_digits"), params.get("segmented_lines")
    if not drawn and not lines:
        return ""
    return (
        f"{_perceptrons(params)} and forest also learn what is not one digit: {drawn or 0:,}"
        " drawn images"
        " (`model/not_digits.py`: fragments of digits cut where a segmenter cuts, digits cut off"
        " at the frame, two or three touching digits (half set by their boxes, half where their"
        " strokes meet), handwritten or printed in the training fonts, letters and symbols"
        " rendered from the training fonts and bent to look written,"
        " scribbles, hatching, ticks, boxes and lines),"
        f" and the pieces the function's own segmenter cuts from {lines or 0:,} generated lines"
        " of MNIST training digits (`model/segmenter_pieces.py`: a piece that is one digit keeps"
        " its label, a pair is several digits, a fragment is no digit)."
    )


def _low_confidence(cases: list[dict]) -> str:
    lines = [
        "| test index | true digit | answer | confidence | runner-up |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {c['index']} | {c['label']} | {_mark(c['predicted'])} | {c['confidence']:.2f} |"
        f" {_mark(c['second'])} |"
        for c in cases
    ]
    return "\n".join(lines)


def _features(params: dict) -> str:
    return FEATURE_TEXT.get(params["feature_set"], params["feature_set"])


def _perceptrons(params: dict) -> str:
    return "Perceptrons" if perceptron_count(params) > 1 else "Perceptron"


def _perceptron_heading(params: dict) -> str:
    return "Perceptrons, each" if perceptron_count(params) > 1 else "Perceptron"


def _seeds(params: dict) -> str:
    """Return the perceptrons' seeds: --seed, and one more for each further perceptron."""
    seeds = [str(params["seed"] + i) for i in range(max(1, perceptron_count(params)))]
    if len(seeds) == 1:
        return f"seed {seeds[0]}"
    return "seeds " + ", ".join(seeds[:-1]) + " and " + seeds[-1]


def _weights(params: dict) -> str:
    if params["model"] != "mlp+forest":
        return ""
    return f" Weights in the average (perceptrons, forest): {params['weights']}."


def _unsure(rows: list[dict]) -> str:
    """Say how many answers are given below 0.7 confidence and how often they are right."""
    below = [r for r in rows if r["high"] <= 0.7 and r["count"]]
    count = sum(r["count"] for r in below)
    if not count:
        return "No answer is given with confidence below 0.7."
    right = sum(r["count"] * r["accuracy"] for r in below) / count
    return (
        f"{count:,} answers of {sum(r['count'] for r in rows):,} come with a confidence below 0.7,"
        f" and {right * 100:.0f}% of those are right: the page shows the confidence so a reader"
        " can tell these apart."
    )


def _speed(speed: dict | None) -> str:
    if not speed:
        return "Not measured yet for this version: run `python -m bench.model` (or `make bench`)."
    return (
        f"Measured by `{speed['command']}` on {speed['machine']}, on one BLAS thread as a"
        " serving instance computes:\n\n"
    ) + _table(
        [
            (
                f"fresh process: import + load artifact (median of {speed['cold_runs']})",
                f"{speed['cold_load_seconds']:.3f} s (target <= 0.3 s)",
            ),
            (
                "one image, median after load",
                f"{speed['single_ms_median']:.3f} ms (target <= 1 ms)",
            ),
            ("10,000 test images as one batch", f"{speed['batch_10k_seconds']:.2f} s"),
        ]
    )


def render(metrics: dict, speed: dict | None) -> str:
    """Return the model card's Markdown."""
    served = metrics["test_served"]
    params = metrics["parameters"]
    forest = metrics["forest"] or metrics
    per_class = "\n".join(
        f"| {d} | {served['precision'][d]:.4f} | {served['recall'][d]:.4f} |"
        f" {forest['test_served']['precision'][d]:.4f} | {forest['test_served']['recall'][d]:.4f} |"
        for d in range(10)
    )
    versions = ", ".join(f"{name} {v}" for name, v in metrics["versions"].items())
    md5 = "\n".join(f"| `{name}` | `{value}` |" for name, value in metrics["data_md5"].items())
    training = metrics["training"]
    fit_seconds = ", ".join(f"{k} {v:.0f} s" for k, v in training["seconds"].items())
    layers = hidden_layers_text(params["hidden"])
    description = model_text(params, layers)
    shape = metrics["forest_shape"]
    return f"""# Model card: digit model `{metrics["version"]}`

{description}, on MNIST and copies of it. Exported to NumPy arrays (`{metrics["artifact"]["path"]}`,
the name the Lambda package expects) and evaluated with NumPy alone (`digits.classifier.mlp`,
`digits.classifier.forest`), so the function needs no scikit-learn at run time. The artifact keeps
the perceptrons' weights in half precision, which halves its size, and they are widened to
float32 as it loads: answers move by the "as stored" difference below. The weights that weight
decay left near zero are zero in half precision, so none is a subnormal float, which the CPU
multiplies slowly.
This card is generated by `python -m model.card` from `metrics.json` and `../bench/model.json`.

## Figures

The served model and the forest, trained in the same run on the same features. The model reads
twelve classes: the ten digits, "no digit" (fragments of digits, letters, symbols, scribbles) and
"several digits" (digits that touch); a digit read as either of the last two is refused. Realistic
kinds are `bench/realistic.py`'s inputs, {metrics.get("realistic_n", 200)} per kind, drawn from
the bench's held-out reporting split (`bench/heldout.py`: MNIST test's second half, its own seed
and the test fonts), decoded and passed through to_mnist as the function does. The held-out
not-digit images are {metrics.get("not_digits", {}).get("n", 0):,} drawn like the training ones
(`model/not_digits.py`) but from MNIST test's second half, the test fonts and a seed of their own.
What the whole function refuses (letters, symbols, scribbles, blank pages, digits it should not
refuse) is measured through its own path by `make bench` (README, Measured figures).

{_comparison(metrics)}

Exported vs scikit-learn `predict_proba`, max abs difference over the test set ("as stored":
the perceptrons' weights rounded to half precision, as the artifact keeps and the function
serves them):
{", ".join(f"{k} {v:.1e}" for k, v in metrics["export_max_abs_difference"].items())}.
Training time: {fit_seconds} (fit only); {training["total_seconds"] / 60:.1f} min for the whole
command, data preparation and evaluation included, on 2 cores shared with whatever else runs.

Made by `{training["command"]}`. Reproduce: `MNIST_DIR=../shared/data/mnist make model` (runs
`python -m model.train`); `MODEL=forest make model` trains and serves the forest alone. Training
is deterministic (seed {params["seed"]}): the same data, pinned libraries and number of BLAS
threads give the same arrays and the same version name, which is a hash of the stored arrays,
on x86-64 Linux (elsewhere subnormal floats are not flushed to zero: model/denormals.py).

## Speed

{_speed(speed)}

## Calibration (MNIST test as served)

Expected calibration error {served["ece"]:.4f} (15 equal-width bins): answers given with confidence
p are right about a fraction p of the time. By band:

{_reliability(served["reliability"])}

## Low-confidence cases

{_unsure(served["reliability"])} The {len(served["low_confidence"])} test digits (as served) the
model is least sure of:

{_low_confidence(served["low_confidence"])}

## Training data

{AUGMENT_TEXT.get(params["augment"], params["augment"])}: {training["images"]:,} images.
{mlp_extra_text(params) if params["model"] != "forest" else ""}
{_refusal_training(params)}

{_perceptrons(params)} and forest alike see {_features(params)}

Images served to the function are first brought to MNIST's own format (`digits.vision.normalise`):
ink separated from background, cropped, fitted into a 20x20 box keeping the aspect ratio, and
centred by centre of mass in 28x28, so training and serving see the same kind of image.

MNIST files, with the md5s they were checked against:

| file | md5 |
| --- | --- |
{md5}

## Parameters

Forest: {params["trees"]} trees ({shape["nodes"]:,} nodes, depth up to {shape["max_depth"]}),
`max_features={params["max_features"]}`, criterion `{params["criterion"]}`, bootstrap
{params["bootstrap"]}, fully grown trees, seed {params["seed"]}.
{_perceptron_heading(params)}: {layers} ReLU units, Adam, batch {params["batch_size"]}, L2 1e-4,
{params["epochs"]} epochs (no early stopping), learning rate {params["learning_rate"]} decayed
along a cosine, float32, {_seeds(params)}.{_weights(params)}
Libraries: {versions}.

## Per-class precision and recall (MNIST test as served)

| digit | precision | recall | forest precision | forest recall |
| --- | --- | --- | --- | --- |
{per_class}

![confusion matrix of the served model: MNIST test as served, and the held-out images of no digit
and of several digits](confusion.png)

## Limits

- Trained on MNIST: centred, size-normalised single digits written by American census staff and
  students, and on drawn not-digits. Letters that a digit can be written like (L, U, n, P, t…,
  `model/glyphs.py`) are not taught as not-digits, so such a letter may be read as that digit.
  Not-digits unlike anything drawn for training (a photo of a face, clutter) may still be read as
  a digit; the function returns the confidence so callers can judge.
- Some real digits are refused as not a digit: badly formed ones (an open-looped 5, a 4 like a
  y), and more often those unlike MNIST (scikit-learn's 8x8 digits upscaled, very thick or
  low-resolution strokes). An image refused is not stored, so it cannot be labelled to teach the
  model. The rates per kind are in README's Measured figures (`make bench`).
- Photos: the model reads what the photo path (`digits.vision.photo`) hands it, ink dark on white
  with the sheet found, its light evened out and its printed lines set aside. A photo of pen on
  paper (plain, ruled, squared or a sticky note, in shadow, tilted a little, the desk around it)
  reads about as well as a scan of the same digit when the writing is at least about 5% of the
  frame's height and lies wholly inside the photo; writing cut by the frame or the sheet's edge is
  dropped; a hard shadow's edge can pass for the sheet's, and writing wholly beyond it is read
  only when nothing inside reads as a digit and that edge is the only one across the frame; marks
  under 2.5% of the frame's height are left out as the paper's. A blank sheet is mostly answered
  with nothing, but a clump of grain, a shadow's rim or a strip of desk is sometimes read as a
  digit (README's blank photo sets). Glare,
  strong perspective (past about 10 degrees) and light writing on a dark ground are not in the
  photo bench, so unmeasured. Per-set figures: README's Measured figures.
- Accuracy on realistic inputs is measured per kind above and by `make bench`.
"""


def write_model_card(metrics: dict, path: Path, speed_path: Path = SPEED_PATH) -> None:
    """Write the model card for ``metrics``, with speed figures if a benchmark wrote them."""
    speed = json.loads(speed_path.read_text()) if speed_path.is_file() else None
    if speed and speed.get("version") != metrics["version"]:
        speed = None
    path.write_text(render(metrics, speed))


if __name__ == "__main__":
    write_model_card(json.loads((MODEL_DIR / "metrics.json").read_text()), MODEL_DIR / "README.md")

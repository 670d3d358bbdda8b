"""The model card's words for each training choice: augmentation, perceptron extras, features.

model/card.py states them beside the measured figures; a choice with no entry is named as is.
"""

from model.augment import BLOCKY_COPIES, PEN_COPIES, PRINTED_DIGITS

AUGMENT_TEXT = {
    "none": "MNIST's training digits as published",
    "shift1": (
        "MNIST's training digits plus four copies of each moved one pixel up, down, left"
        " and right (centring by centre of mass is never exact on real input)"
    ),
    "printed": (
        f"MNIST's training digits plus {PRINTED_DIGITS:,} digits printed in 13 fonts shipped with"
        " matplotlib (`model/printed.py`: bold, italic and monospace faces of DejaVu, STIX and"
        " Computer Modern, 24-160 px, tilted up to 6 degrees, on page-like backgrounds), passed"
        " through the same preprocessing as served images. The printed-digit benchmark uses other"
        " font files, so the model is not graded on glyphs it was trained on"
    ),
    "printed+pens": (
        f"MNIST's training digits; {PRINTED_DIGITS:,} digits printed in 13 fonts shipped with"
        " matplotlib (`model/printed.py`: bold, italic and monospace faces of DejaVu, STIX and"
        " Computer Modern, 24-160 px, tilted up to 6 degrees, on page-like backgrounds); and"
        f" {PEN_COPIES:,} MNIST training digits each redrawn with a thin and with a thick pen on a"
        " large canvas (`model/redrawn.py`; a thick pen can close a loop, a thin one breaks faint"
        " joins). Added digits pass through the same preprocessing as served images. The"
        " benchmark draws its pens from MNIST *test* digits and prints in other font files, so"
        " the model is not graded on what it was trained on"
    ),
    "printed+pens+blocky": (
        f"MNIST's training digits; {PRINTED_DIGITS:,} digits printed in 13 fonts shipped with"
        " matplotlib (`model/printed.py`: bold, italic and monospace faces of DejaVu, STIX and"
        " Computer Modern, 24-160 px, tilted up to 6 degrees, on page-like backgrounds);"
        f" {PEN_COPIES:,} MNIST training digits each redrawn with a thin and with a thick pen on a"
        " large canvas (`model/redrawn.py`; a thick pen can close a loop, a thin one breaks faint"
        f" joins); and {BLOCKY_COPIES:,} made blocky (`model/blocky.py`: counted into 8x8 blocks"
        " of ink as the UCI 8x8 digits were, half of them first stretched to a box of nearly"
        " fixed width as NIST's normalisation stretched those, then enlarged and cut to ink, as a"
        " thumbnail or a coarse scan is). Added digits pass through the same preprocessing as"
        " served images. The benchmark draws its pens from MNIST *test* digits, prints in other"
        " font files and takes its 8x8 writers from scikit-learn's set itself, so the model is"
        " not graded on what it was trained on"
    ),
}


MLP_EXTRA_TEXT = {
    "none": "",
    "served": (
        "{subject} also trains on every MNIST training digit passed through the serving"
        " preprocessing (to_mnist re-crops, re-centres and normalises stroke width)."
    ),
    "served+distorted": (
        "{subject} also trains on every MNIST training digit passed through the serving"
        " preprocessing (to_mnist re-crops, re-centres and normalises stroke width), and on"
        " {copies} of each rotated (up to 12 degrees), scaled (0.9-1.1), sheared, shifted and"
        " elastically distorted (`model/distort.py`, Simard et al. 2003), then passed through"
        " to_mnist too{turn}."
    ),
}


def perceptron_count(params: dict) -> int:
    """Return how many perceptrons a model's parameters average (one in metrics from before
    model.train's --perceptrons)."""
    return params.get("perceptrons", 1)


def mlp_extra_text(params: dict) -> str:
    """Return what the perceptrons train on beside the forest's set, in words."""
    copies = params.get("distorted_copies", 1)  # older models' metrics: one copy
    return MLP_EXTRA_TEXT.get(params["mlp_extra"], "").format(
        subject="Each perceptron" if perceptron_count(params) > 1 else "The perceptron",
        copies="one copy" if copies == 1 else f"{copies} copies",
        turn=""
        if copies == 1
        else ", one copy an epoch in turn, so that no copy is learnt by heart",
    )


FEATURE_TEXT = {
    "pixels": "the 784 raw pixels.",
    "deskewed": (
        "the 784 pixels after deskewing: each digit is sheared so its principal axis is vertical"
        " (from its second moments), which removes slant, the largest variation a forest cannot"
        " learn cheaply. `digits.classifier.features.extract` does it with NumPy for training and"
        " serving."
    ),
    "deskewed+hog": (
        "1,176 uint8 features: the 784 pixels after deskewing (each digit sheared so its"
        " principal axis is vertical, from its second moments: slant is the largest variation a"
        " forest cannot learn cheaply), and 392 gradient-orientation histograms of the deskewed"
        " digit (8 signed directions in each of 7x7 cells of 4x4 pixels), which describe strokes"
        " by direction and so survive the small shifts and thickness changes that move raw"
        " pixels. `digits.classifier.features.extract` computes them with NumPy for training and"
        " serving."
    ),
}


def hidden_layers_text(hidden: int | list[int] | tuple[int, ...]) -> str:
    """Return the perceptron's hidden layers in words: "one hidden layer of 800" or "hidden
    layers of 800 and 256" (metrics of older models store one size)."""
    sizes = [hidden] if isinstance(hidden, int) else list(hidden)
    if len(sizes) == 1:
        return f"one hidden layer of {sizes[0]}"
    return f"hidden layers of {', '.join(map(str, sizes[:-1]))} and {sizes[-1]}"

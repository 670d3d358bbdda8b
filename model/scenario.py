"""The learning loop end to end on a local stack: a style MNIST lacks, labelled, then retrained.

    python -m model.scenario                      # 600 outlined digits, labelled right
    python -m model.scenario --wrong 300          # and 300 more MNIST-like digits labelled wrong

The style is *outlined* digits: each MNIST training digit drawn as the outline of a thick marker
stroke (hollow "bubble" digits), dark on white paper, as a PNG. MNIST has none, so the served
model reads them poorly. The images are sent to the function over HTTP (POST /predict/batch),
and each is labelled with its receipt (POST /feedback), as a visitor would; then model.retrain
runs against that stack's S3 with the given current model, writing to a temporary folder.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import sys
import tempfile
import urllib.request
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from digits.config import MAX_BATCH_IMAGES
from digits.errors import NotADigit
from model import mnist, retrain
from model.redrawn import stroke_mask

BOX = 120
BATCH = MAX_BATCH_IMAGES


def outlined_png(digit: np.ndarray) -> bytes:
    """Return PNG bytes of an MNIST digit drawn as the outline of a thick stroke, dark on white."""
    solid = stroke_mask(digit, BOX) > 0.5
    thick = ndimage.distance_transform_edt(~solid) <= 0.09 * BOX
    outline = thick & ~(ndimage.distance_transform_edt(thick) > 3)
    ink = ndimage.gaussian_filter(outline.astype(np.float32), 0.7)
    paper = 255 - np.clip(ink * 255, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(paper).save(buffer, "PNG")
    return buffer.getvalue()


def plain_png(digit: np.ndarray) -> bytes:
    """Return PNG bytes of an MNIST digit as it is, dark on white, four times the size."""
    buffer = io.BytesIO()
    Image.fromarray(255 - digit).resize((112, 112), Image.Resampling.BILINEAR).save(buffer, "PNG")
    return buffer.getvalue()


def pick(data: mnist.Mnist, n: int, seed: int) -> np.ndarray:
    """Return ``n`` indices of MNIST training digits drawn with ``seed``."""
    return np.random.default_rng(seed).choice(len(data.train_images), n, replace=False)


def _post(url: str, document: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(document).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def send_and_label(function_url: str, images: list[bytes], labels: list[int]) -> list[dict]:
    """Predict each image through the function and label it with its receipt; return answers.

    An image the function refuses (``not_a_digit``) is not stored, so it cannot be labelled: its
    answer is the batch's error entry, and no label is sent for it.
    """
    answers = []
    for start in range(0, len(images), BATCH):
        chunk = [base64.b64encode(data).decode() for data in images[start : start + BATCH]]
        answers.extend(_post(f"{function_url}/predict/batch", {"images": chunk})["results"])
    for answer, label in zip(answers, labels, strict=True):
        if "error" in answer:
            if answer["error"]["code"] != NotADigit.code:
                raise RuntimeError(f"the function could not read an image: {answer['error']}")
            continue
        _post(
            f"{function_url}/feedback",
            {"key": answer["image"]["key"], "label": int(label), "receipt": answer["receipt"]},
        )
    return answers


def upload(function_url: str, data: mnist.Mnist, outlined: int, wrong: int, seed: int = 14) -> dict:
    """Send ``outlined`` digits labelled right and ``wrong`` plain digits labelled wrong."""
    chosen = pick(data, outlined + wrong, seed)
    right, poison = chosen[:outlined], chosen[outlined:]
    images = [outlined_png(data.train_images[i]) for i in right]
    labels = [int(data.train_labels[i]) for i in right]
    # The poison: plain MNIST-like digits, each labelled as the next digit.
    images += [plain_png(data.train_images[i]) for i in poison]
    labels += [(int(data.train_labels[i]) + 1) % 10 for i in poison]
    answers = send_and_label(function_url, images, labels)
    served = np.array([a.get("digit", -1) for a in answers[:outlined]])
    return {
        "sent": len(answers),
        "refused": sum("error" in a for a in answers),
        "served_accuracy": float(np.mean(served == labels[:outlined])),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the scenario on a fresh local stack and print the retrain's report."""
    from infra.local_stack import start_stack
    from infra.servers import FAKE_CREDENTIALS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outlined", type=int, default=600)
    parser.add_argument("--wrong", type=int, default=0)
    parser.add_argument("--model", type=Path, default=retrain.DEFAULT_MODEL_PATH)
    parser.add_argument("--data-dir")
    parser.add_argument("retrain_args", nargs="*", help="passed on to model.retrain (after --)")
    args = parser.parse_args(argv)
    data = mnist.load(args.data_dir)
    with start_stack(env={"MODEL_PATH": str(args.model)}) as stack:
        sent = upload(stack.function_url, data, args.outlined, args.wrong)
        print(
            f"sent {sent['sent']}, refused as not a digit {sent['refused']}, the rest labelled;"
            f" served accuracy on the outlined digits {sent['served_accuracy']:.2%}"
        )
        os.environ.update(FAKE_CREDENTIALS)
        os.environ["AWS_ENDPOINT_URL_S3"] = stack.s3_endpoint
        with tempfile.TemporaryDirectory() as folder:
            return retrain.main(
                [
                    "--bucket", stack.bucket, "--model", str(args.model),
                    "--out-dir", folder, "--report", str(Path(folder) / "report.md"),
                    *(["--data-dir", args.data_dir] if args.data_dir else []),
                    *args.retrain_args,
                ]
            )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())

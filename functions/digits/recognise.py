"""Read the digits in one image and keep the image: the core of ``POST /predict``."""

from __future__ import annotations

import base64
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from PIL import Image

from digits.box import Box
from digits.classifier.inference import Model, Prediction
from digits.errors import RequestError
from digits.imaging import decoding
from digits.instance import Instance, Preprocess
from digits.storage.errors import StorageUnavailable
from digits.storage.receipts import new_receipt, receipt_digest
from digits.vision import normalise, segment

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReadDigit:
    """One digit read: the model's prediction, the 28x28 image it saw, and where it is."""

    prediction: Prediction
    image28: np.ndarray
    box: Box  # in the decoded image's pixels


def read_digits(
    model: Model, image: Image.Image, preprocess: Preprocess = normalise.to_mnist
) -> list[ReadDigit]:
    """Return the digits of a decoded image, left to right, as ``model`` reads them.

    Segmentation belongs to digits.vision.normalise's preprocessing: another ``preprocess`` (the
    benchmark's reference) reads the whole image as one digit, as it always has.
    """
    if preprocess is not normalise.to_mnist:
        image28 = preprocess(image)
        return [ReadDigit(model.predict(image28), image28, Box(0, 0, *image.size))]
    found = segment.find_digits(image, model.predict_proba)
    return [
        ReadDigit(Prediction.from_probabilities(f.probabilities), f.image28, f.box) for f in found
    ]


def recognise(instance: Instance, data: bytes, source: str) -> dict:
    """Decode, preprocess and predict ``data``, store it, and return the answer's JSON body.

    What is stored is ``data`` without identifying metadata, as it was decoded, under a new key;
    the answer carries the receipt that lets its sender, and no one else, label it. Request
    errors (bad image, nothing drawn, too many digits) raise; a storage failure does not: the
    prediction is still answered, with ``saved`` false and a warning, and the failure is logged.
    """
    decoded = decoding.decode_image(data, max_pixels=instance.settings.max_pixels)
    digits = read_digits(instance.model, decoded.image, instance.preprocess)
    boxes = [d.box.scaled(*decoded.scale) for d in digits]
    number = "".join(str(d.prediction.digit) for d in digits)
    number_confidence = float(np.prod([d.prediction.confidence for d in digits]))
    one = digits[0] if len(digits) == 1 else None
    body = {
        "digit": one.prediction.digit if one else None,
        "confidence": one.prediction.confidence if one else None,
        "probabilities": list(one.prediction.probabilities) if one else None,
        "image": {"key": None, "url": None},
        "receipt": None,
        "saved": False,
        "model": {"version": instance.model.version},
        "preview": _data_url(one.image28) if one else None,
        "number": number,
        "number_confidence": number_confidence,
        "digits": [_digit_entry(d, box) for d, box in zip(digits, boxes, strict=True)],
    }
    receipt = new_receipt()
    try:
        saved = instance.store.save_image(
            decoded.data,
            content_type=decoded.kind.content_type,
            extension=decoded.kind.extension,
            prediction=number,
            confidence=number_confidence,
            source=source,
            model_version=instance.model.version,
            receipt_digest=receipt_digest(receipt),
            boxes=boxes,
        )
    except StorageUnavailable:
        log.exception("could not save a %s image to bucket %s", source, instance.store.bucket)
        body["warning"] = "the image could not be saved; the prediction is still valid"
    else:
        body["image"] = {"key": saved.key, "url": saved.url}
        body["receipt"] = receipt
        body["saved"] = True
    return body


def _data_url(image28: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(normalise.preview_png(image28)).decode(
        "ascii"
    )


def _digit_entry(digit: ReadDigit, box: Box) -> dict:
    """Return one digit's entry in the answer; ``box`` in the sent image's pixels."""
    return {
        "digit": digit.prediction.digit,
        "confidence": digit.prediction.confidence,
        "probabilities": list(digit.prediction.probabilities),
        "box": box.to_dict(),
        "preview": _data_url(digit.image28),
    }


# Images of one batch are recognised on a few threads: their S3 puts overlap.
BATCH_THREADS = 4


# One image of a batch: its bytes, or the request error that makes it unusable, and its source.
BatchItem = tuple[bytes | RequestError, str]


def recognise_batch(instance: Instance, items: list[BatchItem]) -> list[dict]:
    """Return, in order, ``recognise``'s answer or the error of each image of a batch.

    One image's failure, of whatever kind, is that image's answer alone.
    """
    with ThreadPoolExecutor(max_workers=min(BATCH_THREADS, len(items))) as pool:
        return list(pool.map(lambda item: _one_of_batch(instance, *item), items))


def _one_of_batch(instance: Instance, data: bytes | RequestError, source: str) -> dict:
    if isinstance(data, RequestError):
        return data.to_dict()
    try:
        return recognise(instance, data, source)
    except RequestError as error:
        return error.to_dict()
    except Exception:  # one image's crash must not fail the others; it is logged
        log.exception("unexpected error on one image of a batch")
        return {"error": {"code": "internal", "message": "internal error; it has been logged"}}

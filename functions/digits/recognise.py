"""Read the digits in one image and keep the image: the core of ``POST /predict`` and its batch."""

from __future__ import annotations

import base64
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from PIL import Image

from digits.box import Box
from digits.classifier.inference import Model, Prediction
from digits.config import BATCH_PUTS
from digits.deadline import UNLIMITED, Deadline, OutOfTime
from digits.errors import RequestError
from digits.imaging import budget, decoding
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


def recognise(instance: Instance, data: bytes, source: str, deadline: Deadline = UNLIMITED) -> dict:
    """Decode, preprocess and predict ``data``, store it, and return the answer's JSON body.

    What is stored is ``data`` without identifying metadata, as it was decoded, under a new key;
    the answer carries the receipt that lets its sender, and no one else, label it. Request
    errors (bad image, over the memory budget, nothing drawn, too many digits) raise, and so does
    OutOfTime when the image cannot be read and stored before ``deadline``; a storage failure does
    not: the prediction is still answered, with ``saved`` false and a warning, and it is logged.
    """
    opened = decoding.open_image(data, max_pixels=instance.settings.max_pixels)
    cost = budget.image_bytes(opened)
    if cost > instance.decoding.capacity:
        raise budget.too_large(opened, instance.decoding.capacity, instance.settings.memory_mb)
    return _recognise_opened(instance, opened, cost, source, deadline)


def _recognise_opened(
    instance: Instance, opened: decoding.Opened, cost: int, source: str, deadline: Deadline
) -> dict:
    """Read an image whose header is read, within the memory and time it has, and store it."""
    # Reading is not started unless there is time left after it for at least the shortest put.
    deadline.require(instance.store.shortest_call_seconds(), "reading the image", saved=False)
    with instance.decoding.holding(cost, deadline):
        decoded = decoding.load(opened)
        try:
            digits = read_digits(instance.model, decoded.image, instance.preprocess)
        finally:
            # The pixels are not needed past here: freed now, not after the S3 put.
            decoded.image.close()
            opened.image.close()
    boxes = [d.box.scaled(*decoded.scale) for d in digits]
    number = "".join(str(d.prediction.digit) for d in digits)
    number_confidence = float(np.prod([d.prediction.confidence for d in digits]))
    one = digits[0] if len(digits) == 1 else None
    entries = [_digit_entry(d, box) for d, box in zip(digits, boxes, strict=True)]
    body = {
        "digit": one.prediction.digit if one else None,
        "confidence": one.prediction.confidence if one else None,
        "probabilities": list(one.prediction.probabilities) if one else None,
        "image": {"key": None, "url": None},
        "receipt": None,
        "saved": False,
        "model": {"version": instance.model.version},
        "preview": entries[0]["preview"] if one else None,
        "number": number,
        "number_confidence": number_confidence,
        "digits": entries,
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
            deadline=deadline,
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


# Images of one batch read at once: reading is CPU work (the memory budget bounds its bytes).
READ_THREADS = 4

# One image of a batch: its bytes, or the request error that makes it unusable, and its source.
BatchItem = tuple[bytes | RequestError, str]
OUT_OF_TIME = "out_of_time"


def recognise_batch(
    instance: Instance,
    items: list[BatchItem],
    deadline: Deadline = UNLIMITED,
    done: dict[int, dict] | None = None,
) -> list[dict]:
    """Return, in order, ``recognise``'s answer or the error of each image of a batch.

    One image's failure, of whatever kind, is that image's answer alone. The headers are read
    first and the request's memory budget given out in the order sent: an image past it gets its
    own 413 before anything is decoded. An image that cannot be read and stored before
    ``deadline`` gets the error ``out_of_time``. ``done`` holds answers an earlier attempt of the
    same request already gave, by position: those images are not read or stored again.
    """
    done = done or {}
    left = instance.decoding.capacity
    plans: list[dict | tuple[decoding.Opened, int, str]] = []
    for index, (data, source) in enumerate(items):
        if index in done:
            plans.append(done[index])
            continue
        try:
            if isinstance(data, RequestError):
                raise data
            opened = decoding.open_image(data, max_pixels=instance.settings.max_pixels)
            cost = budget.image_bytes(opened)
            if cost > instance.decoding.capacity:
                raise budget.too_large(
                    opened, instance.decoding.capacity, instance.settings.memory_mb
                )
            if cost > left:
                raise budget.over_budget(opened, left, instance.decoding.capacity)
        except RequestError as error:
            plans.append(error.to_dict())
            continue
        left -= cost
        plans.append((opened, cost, source))
    reading = threading.Semaphore(READ_THREADS)
    todo = [plan for plan in plans if isinstance(plan, tuple)]
    with ThreadPoolExecutor(max_workers=max(1, min(BATCH_PUTS, len(todo)))) as pool:
        answers = iter(
            pool.map(lambda plan: _one_of_batch(instance, reading, deadline, *plan), todo)
        )
        return [plan if isinstance(plan, dict) else next(answers) for plan in plans]


def _one_of_batch(
    instance: Instance,
    reading: threading.Semaphore,
    deadline: Deadline,
    opened: decoding.Opened,
    cost: int,
    source: str,
) -> dict:
    try:
        # A few images are read at once; the many threads are for their S3 puts.
        with reading:
            return _recognise_opened(instance, opened, cost, source, deadline)
    except RequestError as error:
        return error.to_dict()
    except OutOfTime as error:
        return {"error": {"code": OUT_OF_TIME, "message": f"not stored: {error.message}"}}
    except Exception:  # one image's crash must not fail the others; it is logged
        log.exception("unexpected error on one image of a batch")
        return {"error": {"code": "internal", "message": "internal error; it has been logged"}}

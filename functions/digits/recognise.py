"""Recognise the digit in one image and keep the image: the core of ``POST /predict``."""

from __future__ import annotations

import base64
import logging
from concurrent.futures import ThreadPoolExecutor

from digits import decoding, formats, normalise
from digits.errors import ClientError
from digits.instance import Instance
from digits.metadata import strip_metadata
from digits.receipts import new_receipt, receipt_digest
from digits.storage import StorageError

log = logging.getLogger(__name__)


def recognise(instance: Instance, data: bytes, source: str) -> dict:
    """Decode, preprocess and predict ``data``, store it, and return the answer's JSON body.

    What is stored is ``data`` without identifying metadata, under a new key; the answer carries
    the receipt that lets its sender, and no one else, label it. Client errors (bad image, nothing
    drawn) raise; a storage failure does not: the prediction is still answered, with ``saved``
    false and a warning, and the failure is logged.
    """
    image = decoding.decode_image(data, max_pixels=instance.settings.max_pixels)
    image28 = instance.preprocess(image)
    prediction = instance.model.predict(image28)
    kind = formats.image_type(data)
    body = {
        "digit": prediction.digit,
        "confidence": prediction.confidence,
        "probabilities": list(prediction.probabilities),
        "image": {"key": None, "url": None},
        "receipt": None,
        "saved": False,
        "model": {"version": instance.model.version},
        "preview": "data:image/png;base64,"
        + base64.b64encode(normalise.preview_png(image28)).decode("ascii"),
    }
    receipt = new_receipt()
    try:
        saved = instance.store.save_image(
            strip_metadata(data, kind),
            content_type=kind.content_type,
            extension=kind.extension,
            prediction=prediction.digit,
            confidence=prediction.confidence,
            source=source,
            model_version=instance.model.version,
            receipt_digest=receipt_digest(receipt),
        )
    except StorageError:
        log.exception("could not save a %s image to bucket %s", source, instance.store.bucket)
        body["warning"] = "the image could not be saved; the prediction is still valid"
    else:
        body["image"] = {"key": saved.key, "url": saved.url}
        body["receipt"] = receipt
        body["saved"] = True
    return body


# Images of one batch are recognised on a few threads: their S3 puts overlap.
BATCH_THREADS = 4


def recognise_batch(instance: Instance, items: list[tuple[bytes | ClientError, str]]) -> list[dict]:
    """Return, in order, ``recognise``'s answer or the error of each image of a batch.

    One image's failure, of whatever kind, is that image's answer alone.
    """
    with ThreadPoolExecutor(max_workers=min(BATCH_THREADS, len(items))) as pool:
        return list(pool.map(lambda item: _one_of_batch(instance, *item), items))


def _one_of_batch(instance: Instance, data: bytes | ClientError, source: str) -> dict:
    if isinstance(data, ClientError):
        return data.to_dict()
    try:
        return recognise(instance, data, source)
    except ClientError as error:
        return error.to_dict()
    except Exception:  # one image's crash must not fail the others; it is logged
        log.exception("unexpected error on one image of a batch")
        return {"error": {"code": "internal", "message": "internal error; it has been logged"}}

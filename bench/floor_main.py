"""functions-framework entry point for the cold-start floor: the stack digits needs, and no digits.

Only the benchmark runs it: ``functions-framework --target predict --source bench/floor_main.py``.
It imports every library the function needs to answer (numpy, Pillow, joblib, botocore; Flask and
functions-framework come with the server), builds the S3 client, and answers each request by
storing its body in S3, as a prediction is stored, without decoding, preprocessing or a model.
No cold start of the function can be shorter than this one's.
"""

import flask
import joblib  # noqa: F401 -- imported for its cost, as the function imports it
import numpy  # noqa: F401
import PIL.Image  # noqa: F401

from digits.config import Settings
from digits.storage.images import ImageStore
from digits.storage.receipts import new_receipt, receipt_digest

store = ImageStore.connect(Settings.from_env())


def predict(request: flask.Request) -> flask.Response:
    """Store the request body as an image and say so."""
    saved = store.save_image(
        request.get_data(),
        content_type="image/png",
        extension="png",
        prediction=0,
        confidence=0.0,
        source="canvas",
        model_version="floor",
        receipt_digest=receipt_digest(new_receipt()),
    )
    return flask.jsonify(saved=True, key=saved.key)

"""The seed's design at its leanest: a bare Lambda handler, no web framework, no digits code.

What the usual digit recogniser on Lambda looks like once everything optional is cut: import
scikit-learn, joblib, Pillow, NumPy and boto3; load the 100-tree forest (bench/reference.py trains
and caches it; ``REFERENCE_MODEL_PATH``); for a canvas JSON event, decode the data URL, grayscale
and resize to 28x28, predict, put the image in S3 (``IMAGES_BUCKET``) and answer the digit. No
validation, CORS, metadata stripping, receipts or presigned URLs: every cost it does not pay is
one the function pays for something the issue asked for. Only the benchmark runs it.
"""

import base64
import io
import json
import os
import uuid

import boto3
import joblib
import numpy as np
import sklearn.ensemble  # noqa: F401 -- what unpickling the forest imports, imported up front
from PIL import Image

MODEL = joblib.load(os.environ["REFERENCE_MODEL_PATH"])
S3 = boto3.client("s3")
BUCKET = os.environ["IMAGES_BUCKET"]


def handler(event: dict, context: object) -> dict:
    """Predict the digit of the canvas image in a Function URL event and put the image in S3."""
    body = event["body"]
    document = json.loads(base64.b64decode(body) if event.get("isBase64Encoded") else body)
    data = base64.b64decode(document["image"].split(",", 1)[-1])
    image = Image.open(io.BytesIO(data)).convert("L").resize((28, 28))
    pixels = np.asarray(image, dtype=np.float32).reshape(1, -1) / 255.0
    probabilities = MODEL.predict_proba(pixels)[0]
    digit = int(probabilities.argmax())
    key = f"images/{uuid.uuid4().hex}.png"
    S3.put_object(Bucket=BUCKET, Key=key, Body=data, ContentType="image/png")
    answer = {"digit": digit, "confidence": float(probabilities[digit]), "key": key, "saved": True}
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(answer),
    }

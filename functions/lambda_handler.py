"""AWS Lambda entry point: the functions-framework app from main.py, wrapped by apig-wsgi.

The Function URL sends payload format 2.0 events; apig-wsgi turns each into a WSGI request for the
same Flask app that functions-framework serves locally, so routing, validation, CORS and errors
exist once, in main.py. Everything below runs at init, once per instance, before the first request.
"""

from __future__ import annotations

from pathlib import Path

import apig_wsgi
from functions_framework import create_app

from digits import storage
from digits.config import Settings

SOURCE = Path(__file__).resolve().parent / "main.py"

# Executing main.py loads the settings and the model.
app = create_app("predict", str(SOURCE))
# The S3 client too (the cached one the app's store will use), so the first request after a cold
# start does not wait for botocore to load its service model.
_settings = Settings.from_env()
storage.s3_client(
    _settings.s3_connect_timeout, _settings.s3_read_timeout, _settings.s3_max_attempts
)
# binary_support: bodies that are not text or JSON (none today) go back base64-encoded; with
# payload 2.0 apig-wsgi does this regardless, and decodes isBase64Encoded request bodies.
handler = apig_wsgi.make_lambda_handler(app, binary_support=True)

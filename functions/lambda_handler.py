"""AWS Lambda entry point: the functions-framework app from main.py, wrapped by apig-wsgi.

The Function URL sends payload format 2.0 events; apig-wsgi turns each into a WSGI request for the
same Flask app that functions-framework serves locally, so routing, validation, CORS and errors
exist once. Executing main.py, at init, builds the instance: settings, model and S3 client.
"""

from __future__ import annotations

from pathlib import Path

import apig_wsgi
from functions_framework import create_app

SOURCE = Path(__file__).resolve().parent / "main.py"

app = create_app("predict", str(SOURCE))
# binary_support: bodies that are not text or JSON (none today) go back base64-encoded; with
# payload 2.0 apig-wsgi does this regardless, and decodes isBase64Encoded request bodies.
handler = apig_wsgi.make_lambda_handler(app, binary_support=True)

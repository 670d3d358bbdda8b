"""functions-framework entry point that serves the reference model behind the same API and storage.

Only the benchmark runs it, with ``REFERENCE_MODEL_PATH`` set:
``functions-framework --target predict --source bench/reference_main.py``.
It mirrors functions/main.py, swapping the model and the preprocessing, so the two differ in
nothing else.
"""

import os

import flask
import functions_framework

from bench import reference
from digits import instance
from digits.http import api
from digits.http.responses import error_response, with_cors

INSTANCE = instance.build(
    model=reference.load(os.environ["REFERENCE_MODEL_PATH"]),
    preprocess=reference.preprocess,
)


@functions_framework.errorhandler(Exception)
def json_error(error: Exception) -> flask.Response:
    """Answer anything that escaped ``predict`` as a JSON error."""
    return with_cors(error_response(error), flask.request, INSTANCE.settings.allowed_origins)


def predict(request: flask.Request) -> flask.Response:
    """Serve every route of the digits API with the reference model."""
    return api.handle(request, INSTANCE)

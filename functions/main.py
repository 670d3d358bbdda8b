"""functions-framework entry point: ``functions-framework --target predict --source main.py``."""

import flask
import functions_framework

from digits import instance
from digits.http import api, request_log
from digits.http.responses import error_response, with_cors

# One JSON line per request on stdout, the keys Lambda's JSON log format shows (make dev's output).
request_log.log_to_stdout()
# Cold start: settings, the model and the S3 client, once per instance, never per request.
INSTANCE = instance.build()


# create_app binds functions_framework.errorhandler to the app while it executes this module, so
# the framework's own answers (its 404 for /favicon.ico, its crash page) become JSON too.
@functions_framework.errorhandler(Exception)
def json_error(error: Exception) -> flask.Response:
    """Answer anything that escaped ``predict`` as a JSON error."""
    return with_cors(error_response(error), flask.request, INSTANCE.settings.allowed_origins)


def predict(request: flask.Request) -> flask.Response:
    """Serve every route of the digits API."""
    return api.handle(request, INSTANCE)

"""functions-framework entry point: ``functions-framework --target predict --source main.py``."""

import flask
import functions_framework

from digits import api
from digits.config import Settings

# Cold start: settings and the model load once per instance, here, never per request.
service = api.Service.from_settings(Settings.from_env())


# create_app binds functions_framework.errorhandler to the app while it executes this module, so
# the framework's own answers (its 404 for /favicon.ico, its crash page) become JSON too.
@functions_framework.errorhandler(Exception)
def json_error(error: Exception) -> flask.Response:
    """Answer anything that escaped ``predict`` as a JSON error."""
    return api.with_cors(api.error_response(error), flask.request, service.settings.allowed_origins)


def predict(request: flask.Request) -> flask.Response:
    """Serve every route of the digits API."""
    return api.handle(request, service)

"""AWS Lambda entry point: the digits API as a bare Werkzeug WSGI app, wrapped by apig-wsgi.

The Function URL sends payload format 2.0 events; apig-wsgi turns each into a WSGI request.
Routing, validation, CORS, errors and the log line are ``digits.http.api.handle``'s, the same
function ``main.py`` serves through functions-framework locally: only the adapter differs. Lambda
needs neither Flask nor functions-framework, so its init does not import them.

Init builds the instance (settings, model, S3 client). With SnapStart, the snapshot is taken after
init and ``digits.snapstart``'s hooks run around it.

The garbage collector is paused over init: the imports, the model and the S3 client make over a
hundred thousand objects that live as long as the process, and the collections they would set off
find next to nothing to free (a few hundred objects of reference cycles). Frozen afterwards, they
are left out of every later collection too; those few cycles are kept with them.
"""

from __future__ import annotations

import gc

gc.disable()
try:
    from digits.deferred_init import defer

    # Before anything imports them: Werkzeug's package __init__ would import the development
    # server, joblib's its Parallel and Memory machinery; the handler uses neither.
    defer("werkzeug")
    defer("joblib")

    # isort: split
    import apig_wsgi
    from werkzeug.wrappers import Request, Response

    from digits import instance, snapstart
    from digits.http import api

    INSTANCE = instance.build()
finally:
    gc.freeze()
    gc.enable()


@Request.application
def app(request: Request) -> Response:
    """Answer one request with the instance of this process."""
    return api.handle(request, INSTANCE)


# binary_support: bodies that are not text or JSON (none today) go back base64-encoded; with
# payload 2.0 apig-wsgi does this regardless, and decodes isBase64Encoded request bodies.
handler = apig_wsgi.make_lambda_handler(app, binary_support=True)


@snapstart.register_before_snapshot
def before_snapshot() -> None:
    """Run the image path once, so that the snapshot holds what it loads lazily."""
    snapstart.warm(INSTANCE)


@snapstart.register_after_restore
def after_restore() -> None:
    """Give this restored copy its own S3 client and random state."""
    global INSTANCE
    INSTANCE = snapstart.renew(INSTANCE)

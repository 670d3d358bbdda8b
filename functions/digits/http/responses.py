"""The one place that turns an exception into a JSON error, and the one that adds CORS headers."""

from __future__ import annotations

import json
import logging

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from digits.deadline import OutOfTime
from digits.errors import (
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    RequestError,
    UnsupportedMediaType,
)
from digits.storage.errors import ImageNotFound, NotYours, StorageUnavailable

log = logging.getLogger(__name__)

PREFLIGHT_MAX_AGE = "600"
# What a 503 asks the sender to wait before sending again (Retry-After).
RETRY_AFTER_SECONDS = 2
# Werkzeug's own answers (its 404 for an unknown path, its 413 for an oversized form), by status.
HTTP_ERROR_CODES = {
    404: NotFound.code,
    405: MethodNotAllowed.code,
    413: PayloadTooLarge.code,
    415: UnsupportedMediaType.code,
}


class JsonResponse(Response):
    """A JSON answer that keeps the document it was made from, for the request's log line."""

    def __init__(self, body: dict, status: int = 200, headers: dict | None = None) -> None:
        super().__init__(json.dumps(body), status=status, mimetype="application/json")
        self.body = body
        self.headers["Cache-Control"] = "no-store"
        for name, value in (headers or {}).items():
            self.headers[name] = value


def json_response(body: dict, status: int = 200, headers: dict | None = None) -> JsonResponse:
    """Return ``body`` as a JSON response that no cache keeps."""
    return JsonResponse(body, status, headers)


def _error(code: str, message: str, status: int) -> JsonResponse:
    return json_response({"error": {"code": code, "message": message}}, status)


def error_response(error: BaseException) -> JsonResponse:
    """Map any exception to a JSON error response; log what is not the client's fault."""
    if isinstance(error, RequestError):
        # 409 is a repeat that found its first attempt at work (Idempotency-Key): ask again soon.
        retry = {"Retry-After": str(RETRY_AFTER_SECONDS)} if error.status == 409 else None
        return json_response(error.to_dict(), error.status, retry)
    if isinstance(error, ImageNotFound):
        return _error(NotFound.code, str(error), 404)
    if isinstance(error, NotYours):
        return _error("forbidden", str(error), 403)
    if isinstance(error, StorageUnavailable):
        log.error("storage failed: %s", error)
        response = _error("storage_unavailable", "image storage is unavailable", 503)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if isinstance(error, OutOfTime):
        log.warning("out of time: %s", error.message)
        return out_of_time(error.message, error.details)
    if isinstance(error, HTTPException) and error.code is not None and error.code < 500:
        code = HTTP_ERROR_CODES.get(error.code, "bad_request")
        return _error(code, error.name.lower(), error.code)
    log.error("unexpected error", exc_info=error)
    return _error("internal", "internal error; it has been logged", 500)


def out_of_time(message: str, details: dict) -> JsonResponse:
    """Return the 503 of a request that ran out of time; ``details`` say what was stored."""
    body = {"error": {"code": "out_of_time", "message": message}, **details}
    return json_response(body, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)})


def with_cors(response: Response, request: Request, allowed_origins: tuple[str, ...]) -> Response:
    """Add CORS headers for an allowed ``Origin`` (exactly one Allow-Origin), else none."""
    response.vary.add("Origin")
    origin = request.headers.get("Origin", "")
    if origin and ("*" in allowed_origins or origin.rstrip("/") in allowed_origins):
        response.headers.set("Access-Control-Allow-Origin", origin)
        if request.method == "OPTIONS":
            allow = response.headers.get("Allow", "GET, POST, OPTIONS")
            response.headers.set("Access-Control-Allow-Methods", allow)
            response.headers.set("Access-Control-Allow-Headers", "Content-Type")
            response.headers.set("Access-Control-Max-Age", PREFLIGHT_MAX_AGE)
    else:
        response.headers.remove("Access-Control-Allow-Origin")
    if request.method == "OPTIONS":
        response.vary.update(["Access-Control-Request-Method", "Access-Control-Request-Headers"])
    return response

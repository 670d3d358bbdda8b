"""Errors in what a request sent: each carries the HTTP status, a stable code and a plain message.

They are raised wherever the fault is found (decoding, vision, the request's body) and answered by
the HTTP layer alone. Storage's failures are not the sender's: they are ``digits.storage.errors``.
"""

from __future__ import annotations


class RequestError(Exception):
    """A request its sender can fix; answered with ``status`` and a JSON error body."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict:
        """Return the JSON error body."""
        return {"error": {"code": self.code, "message": self.message}}


class BadRequest(RequestError):
    status, code = 400, "bad_request"


class InvalidImage(RequestError):
    status, code = 400, "invalid_image"


class NotFound(RequestError):
    status, code = 404, "not_found"


class MethodNotAllowed(RequestError):
    status, code = 405, "method_not_allowed"


class PayloadTooLarge(RequestError):
    status, code = 413, "too_large"


class UnsupportedMediaType(RequestError):
    status, code = 415, "unsupported_media_type"


class NothingDrawn(RequestError):
    status, code = 422, "nothing_drawn"


class NotADigit(RequestError):
    status, code = 422, "not_a_digit"


class TooManyDigits(RequestError):
    status, code = 422, "too_many_digits"

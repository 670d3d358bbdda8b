"""Client errors: each carries the HTTP status, a stable code and a plain message."""

from __future__ import annotations


class ClientError(Exception):
    """A request the client can fix; answered with ``status`` and a JSON error body."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict:
        """Return the JSON error body."""
        return {"error": {"code": self.code, "message": self.message}}


class BadRequest(ClientError):
    status, code = 400, "bad_request"


class InvalidImage(ClientError):
    status, code = 400, "invalid_image"


class NotFound(ClientError):
    status, code = 404, "not_found"


class MethodNotAllowed(ClientError):
    status, code = 405, "method_not_allowed"


class PayloadTooLarge(ClientError):
    status, code = 413, "too_large"


class UnsupportedMediaType(ClientError):
    status, code = 415, "unsupported_media_type"


class NothingDrawn(ClientError):
    status, code = 422, "nothing_drawn"


class Forbidden(ClientError):
    status, code = 403, "forbidden"


class TooManyDigits(ClientError):
    status, code = 422, "too_many_digits"

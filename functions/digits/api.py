"""Routing and request parsing for the function, over a Werkzeug request; no framework glue.

``handle(request, service)`` answers every route. ``error_response`` is the one place that turns
an exception into a JSON error; ``with_cors`` is the one place that adds CORS headers. Both are
also used by the framework's own error handler in ``main.py``, so every response is JSON.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import io
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
from botocore.exceptions import BotoCoreError
from PIL import Image
from werkzeug.exceptions import HTTPException
from werkzeug.formparser import MultiPartParser
from werkzeug.http import parse_options_header
from werkzeug.wrappers import Request, Response

from digits import imaging, openapi
from digits.config import Settings
from digits.errors import (
    BadRequest,
    ClientError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from digits.inference import Model, load_model
from digits.storage import ImageStore, StorageError

log = logging.getLogger(__name__)

RAW_IMAGE_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/jpg",
        "image/webp",
        "image/gif",
        "image/bmp",
        "image/x-ms-bmp",
    }
)
# Bodies labelled only as "some bytes" are sniffed; curl --data-binary sends the form type.
SNIFFED_TYPES = frozenset({"", "application/octet-stream", "application/x-www-form-urlencoded"})
DEFAULT_LIMIT, MAX_LIMIT = 20, 100
# Reading an oversized body to its end lets the client see the 413 instead of a reset
# connection; past this many bytes it is not worth the time and is left unread.
DRAIN_BYTES = 64 * 1024 * 1024
CHUNK_BYTES = 64 * 1024
PREFLIGHT_MAX_AGE = "600"
# Decoded image -> the uint8 (28, 28) array the model is given.
Preprocess = Callable[[Image.Image], np.ndarray]


class Service:
    """What one function instance serves with: settings, the loaded model, the image store."""

    def __init__(
        self, settings: Settings, model: Model, preprocess: Preprocess = imaging.to_mnist
    ) -> None:
        self.settings = settings
        self.model = model
        # Swappable so the benchmark can serve a reference pipeline behind this same code.
        self.preprocess = preprocess
        self._store: ImageStore | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Service:
        """Return a service for ``settings``, loading the model now (once per process)."""
        return cls(settings, cached_model(settings.model_path))

    @property
    def store(self) -> ImageStore:
        """Return the image store, creating the S3 client on first use."""
        if self._store is None:
            # ValueError is botocore's answer to a malformed endpoint URL.
            try:
                self._store = ImageStore.from_settings(self.settings)
            except (ValueError, BotoCoreError) as error:
                raise StorageError(f"cannot create the S3 client: {error}") from error
        return self._store


@functools.cache
def cached_model(path: Path) -> Model:
    """Load the model at ``path`` once per process."""
    return load_model(path)


def json_response(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    """Return ``body`` as a JSON response that no cache keeps."""
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def error_response(error: BaseException) -> Response:
    """Map any exception to a JSON error response; log what is not the client's fault."""
    if isinstance(error, ClientError):
        return json_response(error.to_dict(), error.status)
    if isinstance(error, StorageError):
        log.error("storage failed: %s", error)
        return json_response(
            {"error": {"code": "storage_unavailable", "message": "image storage is unavailable"}},
            503,
        )
    if isinstance(error, HTTPException) and error.code is not None and error.code < 500:
        # The framework's own answers (its 404 for /favicon.ico, for one), as JSON.
        code = HTTP_ERROR_CODES.get(error.code, "bad_request")
        return json_response({"error": {"code": code, "message": error.name.lower()}}, error.code)
    log.error("unexpected error", exc_info=error)
    return json_response(
        {"error": {"code": "internal", "message": "internal error; it has been logged"}}, 500
    )


HTTP_ERROR_CODES = {
    404: NotFound.code,
    405: MethodNotAllowed.code,
    413: PayloadTooLarge.code,
    415: UnsupportedMediaType.code,
}


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


def handle(request: Request, service: Service) -> Response:
    """Answer one request to the function, whatever its route; never raise."""
    try:
        response = _dispatch(request, service)
    except Exception as error:  # noqa: BLE001 -- error_response logs everything unexpected
        response = error_response(error)
    # Whatever a route left unread (a body sent to GET /health, say) is drained in bounded
    # chunks here rather than buffered whole by the framework; a client gone by now is fine.
    with contextlib.suppress(HTTPException, OSError):
        _discard(request)
    return with_cors(response, request, service.settings.allowed_origins)


def _dispatch(request: Request, service: Service) -> Response:
    methods = ROUTES.get(request.path)
    if methods is None:
        raise NotFound(f"no route {request.path}; see GET /openapi.json")
    allow = ", ".join([*methods, "OPTIONS"])
    if request.method == "OPTIONS":
        return Response(status=204, headers={"Allow": allow})
    view = methods.get("GET" if request.method == "HEAD" else request.method)
    if view is None:
        response = error_response(
            MethodNotAllowed(f"{request.method} is not allowed on {request.path}; use {allow}")
        )
        response.headers["Allow"] = allow
        return response
    return view(request, service)


def predict(request: Request, service: Service) -> Response:
    """Decode the image in the request, predict its digit, keep it in S3, answer JSON."""
    settings = service.settings
    data, source = read_image(request, settings.max_body_bytes)
    image = imaging.decode_image(data, max_pixels=settings.max_pixels)
    image28 = service.preprocess(image)
    prediction = service.model.predict(image28)
    kind = imaging.image_type(data)
    body = {
        "digit": prediction.digit,
        "confidence": prediction.confidence,
        "probabilities": list(prediction.probabilities),
        "image": {"key": None, "url": None},
        "saved": False,
        "model": {"version": service.model.version},
        "preview": "data:image/png;base64,"
        + base64.b64encode(imaging.preview_png(image28)).decode("ascii"),
    }
    try:
        saved = service.store.save_image(
            data,
            content_type=kind.content_type,
            extension=kind.extension,
            prediction=prediction.digit,
            confidence=prediction.confidence,
            source=source,
            model_version=service.model.version,
        )
    except StorageError:
        # The person still gets the answer; the failure is logged and said out loud.
        log.exception("could not save a %s image to bucket %s", source, settings.images_bucket)
        body["warning"] = "the image could not be saved; the prediction is still valid"
    else:
        body["image"] = {"key": saved.key, "url": saved.url}
        body["saved"] = True
    return json_response(body)


def health(request: Request, service: Service) -> Response:
    """Say the instance is ready, with the model version and how long it took to load."""
    model = service.model
    return json_response(
        {
            "status": "ok",
            "model": {"version": model.version, "load_seconds": round(model.load_seconds, 6)},
        }
    )


def images(request: Request, service: Service) -> Response:
    """List the newest stored images with their predictions and feedback labels."""
    raw = request.args.get("limit", str(DEFAULT_LIMIT))
    if not re.fullmatch(r"[0-9]{1,4}", raw.strip()) or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadRequest(f"limit must be an integer from 1 to {MAX_LIMIT}")
    rows = service.store.list_images(int(raw))
    return json_response({"images": [row.to_dict() for row in rows]})


def feedback(request: Request, service: Service) -> Response:
    """Record the correct label of a stored image."""
    document = read_json(request, service.settings.max_body_bytes)
    key, label = document.get("key"), document.get("label")
    if not isinstance(key, str) or not key:
        raise BadRequest("field 'key' (the image key from /predict) is required")
    if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label <= 9:
        raise BadRequest("field 'label' must be an integer from 0 to 9")
    service.store.record_label(key, label)
    return json_response({"key": key, "label": label})


def openapi_document(request: Request, service: Service) -> Response:
    """Return the OpenAPI 3 description of this API."""
    return json_response(openapi.document())


View = Callable[[Request, Service], Response]
ROUTES: dict[str, dict[str, View]] = {
    "/": {"POST": predict},
    "/predict": {"POST": predict},
    "/health": {"GET": health},
    "/images": {"GET": images},
    "/feedback": {"POST": feedback},
    "/openapi.json": {"GET": openapi_document},
}


def read_body(request: Request, limit: int) -> bytes:
    """Return the request body, refusing (413) one over ``limit`` bytes before reading it all."""
    too_large = PayloadTooLarge(f"the body is larger than {limit} bytes")
    if request.content_length is not None and request.content_length > limit:
        _discard(request)
        raise too_large
    # The declared length can be absent (chunked), so the read itself is bounded too.
    chunks, size = [], 0
    while chunk := request.stream.read(min(CHUNK_BYTES, limit + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            _discard(request)
            raise too_large
    return b"".join(chunks)


def _discard(request: Request) -> None:
    drained = 0
    while drained < DRAIN_BYTES and (chunk := request.stream.read(CHUNK_BYTES)):
        drained += len(chunk)
    # functions-framework reads the rest with get_data() after every response; an empty cache
    # stops it from buffering an oversized body in memory.
    request._cached_data = b""


def read_image(request: Request, limit: int) -> tuple[bytes, str]:
    """Return the image bytes in the request and their source: canvas, upload or raw."""
    body = read_body(request, limit)
    if not body:
        raise BadRequest("the body is empty; send an image (see GET /openapi.json)")
    mimetype = request.mimetype
    if _is_json(mimetype):
        document = _parse_json(body)
        value = document.get("image")
        if not isinstance(value, str) or not value.strip():
            raise BadRequest("field 'image' (a data URL or base64 string) is required")
        return decode_base64_image(value), "canvas"
    if mimetype == "multipart/form-data":
        return _multipart_file(body, request.headers.get("Content-Type", "")), "upload"
    if mimetype in RAW_IMAGE_TYPES or mimetype in SNIFFED_TYPES:
        return body, "raw"
    raise UnsupportedMediaType(
        f"unsupported Content-Type {mimetype!r}: send application/json, multipart/form-data "
        "or a PNG, JPEG, WebP, GIF or BMP body"
    )


def read_json(request: Request, limit: int) -> dict:
    """Return the JSON object in the request body."""
    body = read_body(request, limit)
    if not _is_json(request.mimetype):
        raise UnsupportedMediaType("send application/json")
    return _parse_json(body)


def decode_base64_image(value: str) -> bytes:
    """Return the bytes of a data URL (``data:image/png;base64,...``) or bare base64 string."""
    text = value.strip()
    if text[:5].lower() == "data:":
        header, comma, text = text[5:].partition(",")
        if not comma:
            raise BadRequest("the data URL has no comma before its data")
        if not header.lower().endswith(";base64"):
            raise BadRequest("the data URL must be base64-encoded (data:<type>;base64,...)")
    # Tolerate line breaks, the URL-safe alphabet and missing padding; reject anything else.
    text = re.sub(r"\s+", "", text).replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise BadRequest("field 'image' is not valid base64") from error
    if not data:
        raise BadRequest("field 'image' is empty")
    return data


def _is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or mimetype.endswith("+json")


def _parse_json(body: bytes) -> dict:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadRequest("the body is not valid JSON") from error
    except RecursionError as error:  # absurdly deep nesting, e.g. [[[[...]]]]
        raise BadRequest("the JSON body is nested too deeply") from error
    except ValueError as error:
        # Python refuses integer literals longer than sys.get_int_max_str_digits() (4300 digits).
        raise BadRequest("the JSON body holds a number too long to read") from error
    if not isinstance(document, dict):
        raise BadRequest("the body must be a JSON object")
    return document


def _memory_stream(*_args: object, **_kwargs: object) -> io.BytesIO:
    return io.BytesIO()


def _multipart_file(body: bytes, content_type: str) -> bytes:
    _, options = parse_options_header(content_type)
    boundary = options.get("boundary", "")
    if not boundary:
        raise BadRequest("multipart/form-data without a boundary")
    # The body is already in memory and bounded, so the parts may stay in memory too.
    parser = MultiPartParser(stream_factory=_memory_stream, max_form_parts=50)
    try:
        form, files = parser.parse(io.BytesIO(body), boundary.encode("latin-1"), len(body))
    except (ValueError, UnicodeError) as error:
        raise BadRequest(f"malformed multipart body: {error}") from error
    upload = files.get("file")
    if upload is None:
        where = "as text, not a file" if "file" in form else "missing"
        raise BadRequest(f"multipart field 'file' is {where}")
    data = upload.read()
    if not data:
        raise BadRequest("the uploaded file is empty")
    return data

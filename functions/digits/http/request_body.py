"""Read what a request carries: an image (JSON data URL, multipart upload or raw body) or JSON.

Werkzeug bounds the body (``max_content_length``) and parses multipart forms (from the body read
already, so one limit holds for every kind); this module says plainly what is wrong with a body.
"""

from __future__ import annotations

import base64
import binascii
import json

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request

from digits.config import MAX_BATCH_IMAGES
from digits.errors import BadRequest, PayloadTooLarge, RequestError, UnsupportedMediaType
from digits.imaging.formats import ACCEPTED_CONTENT_TYPES, ACCEPTED_NAMES
from digits.recognise import BatchItem

# Bodies labelled only as "some bytes" are sniffed; curl --data-binary sends the form type.
SNIFFED_TYPES = frozenset({"", "application/octet-stream", "application/x-www-form-urlencoded"})
MAX_FORM_PARTS = 50


def limit_body(request: Request, limit: int) -> None:
    """Make Werkzeug stop reading the body one byte past ``limit``, however it is sent."""
    # One byte over: a body of exactly ``limit`` bytes is accepted, a longer one (chunked
    # bodies have no length to refuse up front) is read no further than that byte.
    request.max_content_length = limit + 1
    request.max_form_parts = MAX_FORM_PARTS


def read_body(request: Request, limit: int) -> bytes:
    """Return the request body; refuse (413) one of more than ``limit`` bytes."""
    try:
        body = request.get_data()
    except RequestEntityTooLarge as error:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes") from error
    if len(body) > limit:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes")
    return body


def read_image(request: Request, limit: int) -> tuple[bytes, str]:
    """Return the image bytes in the request and their source: canvas, upload or raw."""
    body = read_body(request, limit)
    if not body:
        raise BadRequest("the body is empty; send an image (see GET /openapi.json)")
    mimetype = request.mimetype
    if _is_json(mimetype):
        value = _parse_json(body).get("image")
        if not isinstance(value, str) or not value.strip():
            raise BadRequest("field 'image' (a data URL or base64 string) is required")
        return decode_base64_image(value), "canvas"
    if mimetype == "multipart/form-data":
        return _uploaded_file(request), "upload"
    if mimetype in ACCEPTED_CONTENT_TYPES or mimetype in SNIFFED_TYPES:
        return body, "raw"
    raise UnsupportedMediaType(
        f"unsupported Content-Type {mimetype!r}: send application/json, multipart/form-data "
        f"or a {ACCEPTED_NAMES} body"
    )


def read_images(request: Request, limit: int) -> list[BatchItem]:
    """Return the images of a batch in the order sent: multipart ``file`` fields or JSON images.

    The batch as a whole is refused (an empty one, one of more than MAX_BATCH_IMAGES, a body over
    ``limit``); an unusable image is returned as its error, so that it fails alone.
    """
    body = read_body(request, limit)
    mimetype = request.mimetype
    if _is_json(mimetype):
        values = _parse_json(body).get("images")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise BadRequest("field 'images' (a list of data URLs or base64 strings) is required")
        items = [(_image_value(value), "canvas") for value in values]
    elif mimetype == "multipart/form-data":
        uploads = _uploaded_files(request)
        items = [(data or BadRequest("the uploaded file is empty"), "upload") for data in uploads]
    else:
        raise UnsupportedMediaType(
            f"unsupported Content-Type {mimetype!r} for a batch: send application/json "
            "({\"images\": [...]}) or multipart/form-data (field 'file', repeated)"
        )
    if not items:
        raise BadRequest("the batch has no images")
    if len(items) > MAX_BATCH_IMAGES:
        raise BadRequest(
            f"a batch holds at most {MAX_BATCH_IMAGES} images; this one has {len(items)}"
        )
    return items


def _image_value(value: str) -> bytes | RequestError:
    if not value.strip():
        return BadRequest("this image is empty: send a data URL or base64 string")
    try:
        return decode_base64_image(value)
    except RequestError as error:
        return error


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
    text = "".join(text.split()).replace("-", "+").replace("_", "/")
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


def _uploaded_file(request: Request) -> bytes:
    """Return the file in field ``file``."""
    data = _uploaded_files(request)[0]
    if not data:
        raise BadRequest("the uploaded file is empty")
    return data


def _uploaded_files(request: Request) -> list[bytes]:
    """Return the files in fields ``file``, in order; Werkzeug parses the body already read."""
    if not request.mimetype_params.get("boundary"):
        raise BadRequest("multipart/form-data without a boundary")
    try:
        uploads, form = request.files.getlist("file"), request.form
    except RequestEntityTooLarge as error:
        raise PayloadTooLarge(
            f"the form has more than {MAX_FORM_PARTS} parts "
            f"or a text field over {request.max_form_memory_size} bytes"
        ) from error
    if not uploads:
        where = "as text, not a file" if "file" in form else "missing"
        raise BadRequest(f"multipart field 'file' is {where}")
    return [upload.read() for upload in uploads]

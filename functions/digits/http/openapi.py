"""The OpenAPI 3 description of the HTTP API, served at GET /openapi.json."""

from __future__ import annotations

import copy

from digits.config import MAX_BATCH_IMAGES, MAX_DIGITS
from digits.imaging.formats import ACCEPTED, ACCEPTED_NAMES

_ERROR = {"$ref": "#/components/responses/Error"}
# The routes that store take an Idempotency-Key, and may answer a repeat 409 or 422, and 503 out
# of time (with Retry-After, and what was stored).
_IDEMPOTENT = {"parameters": [{"$ref": "#/components/parameters/IdempotencyKey"}]}
_REPEATS = {"409": _ERROR, "422": _ERROR, "503": _ERROR}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


_PREDICT = {
    "summary": "Read the digit, or the number, in an image and keep the image in S3",
    "description": f"The image is {ACCEPTED_NAMES}: as JSON (a data URL), a multipart upload "
    f"(field file) or the raw body. Up to {MAX_DIGITS} digits are read left to right; more are "
    "refused (422 too_many_digits), as is a blank image (422 nothing_drawn) and one in which "
    "the model reads no digit (422 not_a_digit: this does not look like a digit or a number; "
    "letters, symbols and scribbles are refused so, and a piece of a number that is not a "
    "digit is left out, never guessed). Nothing refused is stored.",
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["image"],
                    "properties": {
                        "image": {
                            "type": "string",
                            "description": "a data URL (data:image/png;base64,...) or bare base64",
                        }
                    },
                },
                "example": {"image": "data:image/png;base64,iVBORw0KGgo..."},
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
            **{
                kind.content_type: {"schema": {"type": "string", "format": "binary"}}
                for kind in ACCEPTED
            },
        },
    },
    "responses": {
        "200": {
            "description": "the prediction; saved is false (with a warning) if S3 failed",
            "content": _json({"$ref": "#/components/schemas/Prediction"}),
        },
        "400": _ERROR,
        "413": _ERROR,
        "415": _ERROR,
        **_REPEATS,
    },
    **_IDEMPOTENT,
}

_PREDICT_BATCH = {
    "operationId": "predictBatch",
    "summary": "Recognise and keep several images in one request",
    "description": f"At most {MAX_BATCH_IMAGES} images, within the body limit. Each result is "
    "what POST /predict answers for that image, or its own error: one bad image never fails the "
    "others.",
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["images"],
                    "properties": {
                        "images": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": MAX_BATCH_IMAGES,
                            "items": {"type": "string", "description": "data URL or base64"},
                        }
                    },
                }
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "the field repeated, one image each",
                        }
                    },
                }
            },
        },
    },
    "responses": {
        "200": {
            "description": "one result per image, in the order sent",
            "content": _json(
                {
                    "type": "object",
                    "required": ["results"],
                    "properties": {
                        "results": {
                            "type": "array",
                            "items": {
                                "oneOf": [
                                    {"$ref": "#/components/schemas/Prediction"},
                                    {"$ref": "#/components/schemas/Error"},
                                ]
                            },
                        }
                    },
                }
            ),
        },
        "400": _ERROR,
        "413": _ERROR,
        "415": _ERROR,
        **_REPEATS,
    },
    **_IDEMPOTENT,
}

_DOCUMENT = {
    "openapi": "3.0.3",
    "info": {
        "title": "digits",
        "version": "1.0.0",
        "description": "Read a handwritten digit or number; every accepted image is kept in S3.",
    },
    "paths": {
        "/predict": {"post": {**_PREDICT, "operationId": "predict"}},
        "/predict/batch": {"post": _PREDICT_BATCH},
        "/": {"post": {**_PREDICT, "operationId": "predictAtRoot"}},
        "/health": {
            "get": {
                "operationId": "health",
                "summary": "Readiness, with the model version and its load time",
                "responses": {
                    "200": {
                        "description": "ready",
                        "content": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "status": {"type": "string", "enum": ["ok"]},
                                    "model": {
                                        "type": "object",
                                        "properties": {
                                            "version": {"type": "string"},
                                            "load_seconds": {"type": "number"},
                                        },
                                    },
                                },
                            }
                        ),
                    }
                },
            }
        },
        "/feedback": {
            "post": {
                "operationId": "feedback",
                "summary": "Add the correct label to a stored image (its sender only)",
                "description": "Labels are only ever added: each is kept with its time. The "
                "receipt is the one the /predict answer for that image carried.",
                "requestBody": {
                    "required": True,
                    "content": _json(
                        {
                            "type": "object",
                            "required": ["key", "label", "receipt"],
                            "properties": {
                                "key": {"type": "string", "minLength": 1},
                                "label": {
                                    "oneOf": [
                                        {"type": "integer", "minimum": 0, "maximum": 9},
                                        {
                                            "type": "string",
                                            "pattern": "^[0-9]{1,12}$",
                                            "description": "a number's digits, e.g. 2026",
                                        },
                                    ]
                                },
                                "receipt": {"type": "string", "minLength": 1},
                            },
                        }
                    ),
                },
                "responses": {
                    "200": {
                        "description": "recorded",
                        "content": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "key": {"type": "string"},
                                    "label": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
                                    "labelled_at": {"type": "string", "format": "date-time"},
                                },
                            }
                        ),
                    },
                    "400": _ERROR,
                    "403": _ERROR,
                    "404": _ERROR,
                    "415": _ERROR,
                    **_REPEATS,
                },
                **_IDEMPOTENT,
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3", "content": _json({})}},
            }
        },
    },
    "components": {
        "schemas": {
            "Prediction": {
                "type": "object",
                "description": "What was read. One digit: digit, confidence, probabilities and "
                "preview as always, and number and digits besides. Several digits (a number): "
                "digit, confidence, probabilities and preview are null; number, "
                "number_confidence and digits say what was read.",
                "required": [
                    "digit",
                    "confidence",
                    "probabilities",
                    "image",
                    "receipt",
                    "saved",
                    "model",
                    "preview",
                    "number",
                    "number_confidence",
                    "digits",
                ],
                "properties": {
                    "digit": {
                        "type": "integer",
                        "minimum": 0,
                        "maximum": 9,
                        "nullable": True,
                        "description": "the digit; null when several were read",
                    },
                    "confidence": {
                        "type": "number",
                        "nullable": True,
                        "description": "the digit's probability; null when several were read",
                    },
                    "probabilities": {
                        "type": "array",
                        "items": {"type": "number"},
                        "minItems": 10,
                        "maxItems": 10,
                        "nullable": True,
                        "description": "one per digit 0-9; null when several were read",
                    },
                    "number": {
                        "type": "string",
                        "pattern": f"^[0-9]{{1,{MAX_DIGITS}}}$",
                        "description": 'the digits read left to right ("2026"; "7" for one)',
                    },
                    "number_confidence": {
                        "type": "number",
                        "description": "the product of the digits' confidences (the chance that "
                        "every digit is right, were they independent); confidence for one digit",
                    },
                    "digits": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": MAX_DIGITS,
                        "items": {"$ref": "#/components/schemas/Digit"},
                        "description": "each digit read, left to right",
                    },
                    "image": {
                        "type": "object",
                        "properties": {
                            "key": {"type": "string", "nullable": True},
                            "url": {"type": "string", "nullable": True},
                        },
                    },
                    "receipt": {
                        "type": "string",
                        "nullable": True,
                        "description": "proof that the caller sent this image, for /feedback; "
                        "null when the image was not saved",
                    },
                    "saved": {"type": "boolean"},
                    "warning": {"type": "string"},
                    "model": {"type": "object", "properties": {"version": {"type": "string"}}},
                    "preview": {
                        "type": "string",
                        "nullable": True,
                        "description": "PNG data URL of the 28x28 image the model saw; null when "
                        "several digits were read (each has its own)",
                    },
                },
            },
            "Digit": {
                "type": "object",
                "required": ["digit", "confidence", "probabilities", "box", "preview"],
                "properties": {
                    "digit": {"type": "integer", "minimum": 0, "maximum": 9},
                    "confidence": {"type": "number"},
                    "probabilities": {
                        "type": "array",
                        "items": {"type": "number"},
                        "minItems": 10,
                        "maxItems": 10,
                    },
                    "box": {
                        "type": "object",
                        "description": "where the digit is, in the pixels of the image sent "
                        "(after its EXIF orientation is applied)",
                        "required": ["x", "y", "width", "height"],
                        "properties": {
                            "x": {"type": "integer", "minimum": 0},
                            "y": {"type": "integer", "minimum": 0},
                            "width": {"type": "integer", "minimum": 1},
                            "height": {"type": "integer", "minimum": 1},
                        },
                    },
                    "preview": {
                        "type": "string",
                        "description": "PNG data URL of the 28x28 image the model saw",
                    },
                },
            },
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {
                            "code": {
                                "type": "string",
                                "description": "stable: bad_request, invalid_image, forbidden, "
                                "not_found, method_not_allowed, too_large, over_budget, "
                                "unsupported_media_type, nothing_drawn, not_a_digit, "
                                "too_many_digits, in_progress, idempotency_key_reused, "
                                "storage_unavailable, out_of_time, internal",
                            },
                            "message": {"type": "string"},
                        },
                    }
                },
            },
        },
        "responses": {
            "Error": {
                "description": 'an error: {"error": {"code", "message"}}; out of time (503), '
                "also what was stored: saved, label_stored, or a batch's results",
                "content": _json({"$ref": "#/components/schemas/Error"}),
            }
        },
        "parameters": {
            "IdempotencyKey": {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                "description": "a key of the sender's making (a UUID), the same on every repeat: "
                "a repeat within a day gets the first answer and stores nothing new",
            }
        },
    },
}


def document() -> dict:
    """Return the OpenAPI document (a copy the caller may change)."""
    return copy.deepcopy(_DOCUMENT)

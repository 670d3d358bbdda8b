"""The OpenAPI 3 description of the HTTP API, served at GET /openapi.json."""

from __future__ import annotations

import copy

from digits.formats import ACCEPTED, ACCEPTED_NAMES
from digits.request_body import MAX_BATCH_IMAGES

_ERROR = {"$ref": "#/components/responses/Error"}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


_PREDICT = {
    "summary": "Recognise the digit in an image and keep the image in S3",
    "description": f"The image is {ACCEPTED_NAMES}: as JSON (a data URL), a multipart upload "
    "(field file) or the raw body.",
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
        "422": _ERROR,
    },
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
    },
}

_DOCUMENT = {
    "openapi": "3.0.3",
    "info": {
        "title": "digits",
        "version": "1.0.0",
        "description": "Recognise a handwritten digit; every accepted image is kept in S3.",
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
                                "label": {"type": "integer", "minimum": 0, "maximum": 9},
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
                                    "label": {"type": "integer"},
                                    "labelled_at": {"type": "string", "format": "date-time"},
                                },
                            }
                        ),
                    },
                    "400": _ERROR,
                    "403": _ERROR,
                    "404": _ERROR,
                    "415": _ERROR,
                    "503": _ERROR,
                },
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
                "required": [
                    "digit",
                    "confidence",
                    "probabilities",
                    "image",
                    "receipt",
                    "saved",
                    "model",
                    "preview",
                ],
                "properties": {
                    "digit": {"type": "integer", "minimum": 0, "maximum": 9},
                    "confidence": {"type": "number"},
                    "probabilities": {
                        "type": "array",
                        "items": {"type": "number"},
                        "minItems": 10,
                        "maxItems": 10,
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
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                        },
                    }
                },
            },
        },
        "responses": {
            "Error": {
                "description": 'an error: {"error": {"code", "message"}}',
                "content": _json({"$ref": "#/components/schemas/Error"}),
            }
        },
    },
}


def document() -> dict:
    """Return the OpenAPI document (a copy the caller may change)."""
    return copy.deepcopy(_DOCUMENT)

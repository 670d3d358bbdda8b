"""One JSON log line per request, through both entry points; never the image or the receipt.

The Lambda handler is fed Function URL events (tests/events/) with a Lambda context, whose request
id the line must carry; the local function (functions-framework's app) prints the same keys as JSON
lines on stdout, which is what `make dev` shows.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest

from digits.http import request_log

REPO = Path(__file__).resolve().parents[2]
EVENTS = REPO / "tests" / "events"
HANDLER = REPO / "functions" / "lambda_handler.py"
CONTEXT = SimpleNamespace(aws_request_id="0e9a7c1d-2b3f-4a5e-8d6c-1f2e3d4c5b6a")
KEYS = {"route", "method", "path", "status", "latency_ms", "request_id"}


def load_handler():
    """Import functions/lambda_handler.py afresh, as a new Lambda instance does."""
    spec = importlib.util.spec_from_file_location("lambda_handler_for_logs", HANDLER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


@pytest.fixture
def handler(s3):
    """The Lambda handler, its bucket under moto."""
    return load_handler()


def request_lines(caplog) -> list[dict]:
    """Return the request lines logged so far, formatted as the local JSON lines are."""
    formatter = request_log.JsonLines()
    return [
        json.loads(formatter.format(record))
        for record in caplog.records
        if record.name == request_log.log.name
    ]


def secrets_of(answer: dict) -> list[str]:
    """Return what must never be logged from an answer: receipt, preview, key and URL."""
    image = answer.get("image") or {}
    values = [answer.get("receipt"), answer.get("preview"), image.get("key"), image.get("url")]
    return [value for value in values if value]


def test_a_prediction_logs_one_line_with_lambdas_request_id(handler, caplog):
    caplog.set_level(logging.INFO, logger=request_log.log.name)
    event = json.loads((EVENTS / "predict-canvas-json.json").read_text())

    response = handler(event, CONTEXT)

    answer = json.loads(response["body"])
    (line,) = request_lines(caplog)
    assert set(line) >= KEYS
    assert line["message"] == "request"
    assert line["level"] == "INFO"
    assert line["route"] == "predict"
    assert line["status"] == 200
    assert line["request_id"] == CONTEXT.aws_request_id
    assert line["digit"] == answer["digit"] == 7
    assert line["confidence"] == answer["confidence"]
    assert line["model_version"] == answer["model"]["version"]
    assert line["saved"] is True
    assert 0 < line["latency_ms"] < 60_000
    text = json.dumps(line)
    for secret in secrets_of(answer):
        assert secret not in text
    image = json.loads(event["body"])["image"]
    assert image.split(",", 1)[1][:64] not in text


@pytest.mark.parametrize("name", sorted(p.name for p in EVENTS.glob("*.json")))
def test_every_event_logs_exactly_one_line_without_the_body(name, handler, caplog):
    caplog.set_level(logging.INFO, logger=request_log.log.name)
    event = json.loads((EVENTS / name).read_text())

    response = handler(event, CONTEXT)

    (line,) = request_lines(caplog)
    assert line["status"] == response["statusCode"]
    assert line["method"] == event["requestContext"]["http"]["method"]
    assert line["path"] == event["rawPath"]
    body = event.get("body") or ""
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
    text = json.dumps(line)
    if len(raw) > 64:
        assert body[32:96] not in text
    answer = json.loads(response["body"]) if response["body"] else {}
    for secret in secrets_of(answer):
        assert secret not in text
    if response["statusCode"] >= 400:
        assert line["error"] == answer["error"]["code"]


def test_storage_failure_logs_saved_false(handler, s3, caplog):
    caplog.set_level(logging.INFO, logger=request_log.log.name)
    s3.delete_bucket(Bucket="digits-test-images")

    handler(json.loads((EVENTS / "predict-raw-png.json").read_text()), CONTEXT)

    (line,) = request_lines(caplog)
    assert line["saved"] is False
    assert line["route"] == "predict"


def test_the_local_function_prints_the_same_line_on_stdout(client, capsys):
    event = json.loads((EVENTS / "predict-raw-png.json").read_text())
    capsys.readouterr()

    response = client.post(
        "/predict", data=base64.b64decode(event["body"]), content_type="image/png"
    )

    printed = [json.loads(text) for text in capsys.readouterr().out.splitlines() if text]
    (line,) = [p for p in printed if p.get("logger") == request_log.log.name]
    answer = response.get_json()
    assert set(line) >= KEYS
    assert line["digit"] == answer["digit"]
    assert line["saved"] is True
    assert len(line["request_id"]) == 32  # generated: no Lambda context here
    for secret in secrets_of(answer):
        assert secret not in json.dumps(line)


def line_of(route: str, path: str, answer: dict, latency_ms: float = 3.0) -> dict:
    """Return the line of a POST to ``path`` answered 200 with ``answer``."""
    return request_log.fields(
        route=route,
        method="POST",
        path=path,
        status=200,
        latency_ms=latency_ms,
        answer=answer,
        request_id="r",
    )


def test_a_batch_logs_one_line_saved_only_if_every_image_was():
    answer = {
        "results": [
            {"digit": 3, "confidence": 0.9, "saved": True, "model": {"version": "v"}},
            {"error": {"code": "invalid_image", "message": "..."}},
            {"digit": 5, "confidence": 0.8, "saved": False, "model": {"version": "v"}},
        ]
    }
    line = line_of("predict_batch", "/predict/batch", answer, latency_ms=12.345)
    assert line["images"] == 3
    assert line["predictions"] == [{"digit": 3, "confidence": 0.9}, {"digit": 5, "confidence": 0.8}]
    assert line["saved"] is False
    assert line["model_version"] == "v"
    assert line["latency_ms"] == 12.35


def test_a_number_logs_its_number_and_the_numbers_confidence():
    answer = {
        "digit": None,
        "confidence": None,
        "number": "42",
        "number_confidence": 0.81,
        "saved": True,
        "model": {"version": "v"},
    }
    line = line_of("predict", "/predict", answer)
    assert line["number"] == "42"
    assert line["confidence"] == 0.81
    assert line["digit"] is None

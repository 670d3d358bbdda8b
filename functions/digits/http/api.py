"""Routes of the function over a Werkzeug request: parse, call the core, answer JSON.

``handle(request, instance)`` answers every route and never raises. Werkzeug's routing gives the
404s, the 405s with ``Allow``, and HEAD wherever GET is allowed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from datetime import UTC, datetime

from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.exceptions import MethodNotAllowed as WerkzeugMethodNotAllowed
from werkzeug.exceptions import NotFound as WerkzeugNotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from digits.config import MAX_DIGITS
from digits.deadline import Deadline
from digits.errors import BadRequest, MethodNotAllowed, NotFound
from digits.http import idempotency, request_log
from digits.http.idempotency import Outcome
from digits.http.request_body import limit_body, read_image, read_images, read_json
from digits.http.responses import (
    JsonResponse,
    error_response,
    json_response,
    out_of_time,
    with_cors,
)
from digits.instance import Instance
from digits.recognise import OUT_OF_TIME, recognise, recognise_batch
from digits.storage.keys import iso, new_label_key

# Reading an oversized body to its end lets the client see the 413 instead of a reset
# connection; past this many bytes it is not worth the time and is left unread.
DRAIN_BYTES = 64 * 1024 * 1024
CHUNK_BYTES = 64 * 1024


def predict(request: Request, instance: Instance, deadline: Deadline) -> Response:
    """Predict the digit in the request's image and keep the image in S3."""
    data, source = read_image(request, instance.settings.max_body_bytes)

    def attempt(plan: dict, progress: dict, deadline: Deadline) -> Outcome:
        body = recognise(instance, data, source, deadline)
        # Not saved (S3 failed): a repeat with the same Idempotency-Key tries again.
        return Outcome(json_response(body), final=body["saved"])

    content = idempotency.fingerprint(source, data)
    return idempotency.answer(request, instance, deadline, "predict", content, attempt)


def predict_batch(request: Request, instance: Instance, deadline: Deadline) -> Response:
    """Predict and keep each image of a batch; answer each in the order sent.

    Out of time, the answer is 503 with every image's outcome: a repeat with the same
    Idempotency-Key reads and stores only the images not stored yet.
    """
    items = read_images(request, instance.settings.max_body_bytes)

    def attempt(plan: dict, progress: dict, deadline: Deadline) -> Outcome:
        done = {int(index): answer for index, answer in progress.get("results", {}).items()}
        results = recognise_batch(instance, items, deadline, done)
        kept = {str(i): answer for i, answer in enumerate(results) if _final(answer)}
        stored = sum(answer.get("saved") is True for answer in results)
        if any(_error_code(answer) == OUT_OF_TIME for answer in results):
            message = (
                f"the function ran out of time: {stored} of {len(results)} images stored; each "
                "result says which, and a repeat with the same Idempotency-Key does the rest"
            )
            response = out_of_time(message, {"results": results})
        else:
            response = json_response({"results": results})
        return Outcome(response, final=len(kept) == len(results), progress={"results": kept})

    content = idempotency.fingerprint(
        *(part for data, source in items for part in (source, _bytes(data)))
    )
    return idempotency.answer(request, instance, deadline, "predict_batch", content, attempt)


def _final(answer: dict) -> bool:
    """Say whether a batch's answer for one image stands: stored, or refused for good."""
    if "saved" in answer:
        return answer["saved"] is True
    return _error_code(answer) not in (OUT_OF_TIME, "internal")


def _error_code(answer: dict) -> str | None:
    error = answer.get("error")
    return error.get("code") if isinstance(error, dict) else None


def _bytes(data: bytes | Exception) -> bytes:
    return data if isinstance(data, bytes) else str(data).encode()


def health(request: Request, instance: Instance, deadline: Deadline) -> Response:
    """Say the instance is ready, with the model version and how long it took to load."""
    model = instance.model
    return json_response(
        {
            "status": "ok",
            "model": {"version": model.version, "load_seconds": round(model.load_seconds, 6)},
        }
    )


def feedback(request: Request, instance: Instance, deadline: Deadline) -> Response:
    """Add the correct label to a stored image, for whoever holds its receipt."""
    document = read_json(request, instance.settings.max_body_bytes)
    key, label, receipt = document.get("key"), document.get("label"), document.get("receipt")
    if not isinstance(key, str) or not key:
        raise BadRequest("field 'key' (the image key from /predict) is required")
    if not _is_label(label):
        raise BadRequest(
            "field 'label' must be a digit (an integer from 0 to 9) or a number's digits as a "
            f'string of at most {MAX_DIGITS} ("2026")'
        )
    if not isinstance(receipt, str) or not receipt:
        raise BadRequest("field 'receipt' (the receipt from /predict) is required")

    def plan() -> dict:
        # Every attempt under one Idempotency-Key stores the label at the same key, once.
        moment = datetime.now(UTC)
        return {"label_key": new_label_key(key, moment), "labelled_at": iso(moment)}

    def attempt(plan: dict, progress: dict, deadline: Deadline) -> Outcome:
        moment = datetime.fromisoformat(plan["labelled_at"]) if plan else None
        labelled_at = instance.store.record_label(
            key, label, receipt, moment, deadline, plan.get("label_key")
        )
        return Outcome(json_response({"key": key, "label": label, "labelled_at": labelled_at}))

    content = idempotency.fingerprint(key, str(label), receipt)
    return idempotency.answer(request, instance, deadline, "feedback", content, attempt, plan)


def _is_label(label: object) -> bool:
    if isinstance(label, str):
        return 1 <= len(label) <= MAX_DIGITS and label.isascii() and label.isdigit()
    return isinstance(label, int) and not isinstance(label, bool) and 0 <= label <= 9


def openapi_document(request: Request, instance: Instance, deadline: Deadline) -> Response:
    """Return the OpenAPI 3 description of this API."""
    # Imported here: only this route needs it, and the first answer after a cold start should
    # not wait for it.
    from digits.http import openapi

    return json_response(openapi.document())


View = Callable[[Request, Instance, Deadline], Response]
VIEWS: dict[str, View] = {
    "predict": predict,
    "predict_batch": predict_batch,
    "health": health,
    "feedback": feedback,
    "openapi": openapi_document,
}
ROUTES = Map(
    [
        Rule("/", endpoint="predict", methods=["POST"]),
        Rule("/predict", endpoint="predict", methods=["POST"]),
        Rule("/predict/batch", endpoint="predict_batch", methods=["POST"]),
        Rule("/health", endpoint="health", methods=["GET"]),
        Rule("/feedback", endpoint="feedback", methods=["POST"]),
        Rule("/openapi.json", endpoint="openapi", methods=["GET"]),
    ],
    # //predict is not /predict: no redirect, no second name for a route.
    merge_slashes=False,
)
# Where _dispatch leaves the matched endpoint for the request's log line.
ENDPOINT = "digits.endpoint"


def handle(request: Request, instance: Instance) -> Response:
    """Answer one request to the function, whatever its route; never raise. Log one line."""
    started = time.perf_counter()
    deadline = request_deadline(request.environ, instance)
    limit_body(request, instance.settings.max_body_bytes)
    try:
        response = _dispatch(request, instance, deadline)
    except Exception as error:  # noqa: BLE001 -- error_response logs everything unexpected
        response = error_response(error)
    answer = response.body if isinstance(response, JsonResponse) else None
    if not _body_within(request, instance.settings.max_body_bytes):
        response = _answer_without_reading_on(request, response)
    response = with_cors(response, request, instance.settings.allowed_origins)
    request_log.emit(
        request_log.fields(
            route=request.environ.get(ENDPOINT),
            method=request.method,
            path=request.path,
            status=response.status_code,
            latency_ms=(time.perf_counter() - started) * 1000,
            answer=answer,
            request_id=request_log.request_id(request.environ),
        )
    )
    return response


def request_deadline(environ: dict, instance: Instance) -> Deadline:
    """Return when the request must have answered: Lambda's context says, else the settings."""
    context = environ.get("apig_wsgi.context")
    if callable(getattr(context, "get_remaining_time_in_millis", None)):
        return Deadline.of_invocation(context)
    return Deadline.after(instance.settings.timeout_seconds)


def _dispatch(request: Request, instance: Instance, deadline: Deadline) -> Response:
    routes = ROUTES.bind_to_environ(request.environ)
    if request.method == "OPTIONS":
        allowed = routes.allowed_methods()
        if not allowed:
            raise NotFound(f"no route {request.path}; see GET /openapi.json")
        return Response(status=204, headers={"Allow": ", ".join([*sorted(allowed), "OPTIONS"])})
    try:
        endpoint, _ = routes.match()
        request.environ[ENDPOINT] = endpoint
    except WerkzeugNotFound as error:
        raise NotFound(f"no route {request.path}; see GET /openapi.json") from error
    except WerkzeugMethodNotAllowed as error:
        allow = ", ".join([*sorted(error.valid_methods or ()), "OPTIONS"])
        response = error_response(
            MethodNotAllowed(f"{request.method} is not allowed on {request.path}; use {allow}")
        )
        response.headers["Allow"] = allow
        return response
    return VIEWS[endpoint](request, instance, deadline)


def _body_within(request: Request, limit: int) -> bool:
    """Say if the body is within ``limit``, reading (bounded) what the route left unread."""
    try:
        return len(request.get_data()) <= limit
    except RequestEntityTooLarge:
        return False
    except (HTTPException, OSError):
        # A client gone mid-body: nothing left to read, nothing to answer it with.
        return True


def _answer_without_reading_on(request: Request, response: Response) -> Response:
    """Drain an oversized body (bounded) and answer so that the framework reads no more of it.

    Reading to the end lets the client see the answer instead of a reset connection.
    functions-framework reads the whole body after every response that is not streamed; an
    iterable body makes this one streamed, so that an oversized body is never read whole.
    """
    stream, drained = request.environ["wsgi.input"], 0
    with contextlib.suppress(OSError):
        while drained < DRAIN_BYTES and (chunk := stream.read(CHUNK_BYTES)):
            drained += len(chunk)
    body = response.get_data()
    response.response = iter([body])
    response.headers["Content-Length"] = str(len(body))
    return response

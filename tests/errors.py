"""What every error the function answers looks like, read in one place by the API tests."""


def error_of(response) -> tuple[int, str]:
    """Return the status and error code of a JSON error answer (a Flask test response), after
    checking its shape: {"error": {"code": ..., "message": ...}} with a message."""
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["message"]
    return response.status_code, body["error"]["code"]

"""digits_client.transport's retry policy and digits_client.cli's URL, without a network."""

import pytest
from urllib3 import HTTPResponse
from urllib3.util.retry import RequestHistory

from digits_client.cli import default_url, parser
from digits_client.transport import RetryPolicy, make_retry


def after(retry, statuses: list[int]):
    """Return ``retry`` after failed attempts that answered ``statuses``."""
    for status in statuses:
        retry = retry.new(history=(*retry.history, RequestHistory("POST", "/", None, status, None)))
    return retry


def response(status: int, headers: dict | None = None) -> HTTPResponse:
    return HTTPResponse(body=b"", status=status, headers=headers or {}, preload_content=False)


def test_the_backoff_doubles_from_the_first_retry_with_at_most_one_base_of_jitter():
    retry = make_retry(RetryPolicy(retries=5, backoff=0.5, max_wait=60))
    for failures, base in ((1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0)):
        waits = [after(retry, [503] * failures).get_backoff_time() for _ in range(50)]
        assert all(base <= wait <= base + 0.5 for wait in waits)
        assert len(set(waits)) > 1


def test_the_backoff_never_exceeds_max_wait():
    retry = make_retry(RetryPolicy(retries=20, backoff=1.0, max_wait=3.0))
    assert after(retry, [429] * 10).get_backoff_time() == 3.0


@pytest.mark.parametrize(("header", "expected"), [("7", 7.0), ("0", 0.0), ("600", 60.0)])
def test_a_retry_after_is_waited_for_instead_of_the_backoff_up_to_max_wait(header, expected):
    retry = after(make_retry(RetryPolicy(backoff=0.01, max_wait=60)), [429])
    wait, why = retry.wait_before_retry(response(429, {"Retry-After": header}))
    assert wait == expected
    assert "Retry-After" in why


@pytest.mark.parametrize("headers", [{}, {"Retry-After": "soon"}])
def test_without_a_valid_retry_after_the_wait_is_the_backoff(headers):
    retry = after(make_retry(RetryPolicy(backoff=0.01)), [503])
    wait, why = retry.wait_before_retry(response(503, headers))
    assert 0.01 <= wait <= 0.02
    assert why == "backing off"


def test_each_wait_is_reported_and_the_listener_survives_urllib3_copies():
    heard = []
    retry = make_retry(RetryPolicy(retries=3, backoff=0.0), heard.append)
    retry = retry.increment("POST", "/predict/batch", response=response(429, {"Retry-After": "0"}))
    retry.sleep(response(429, {"Retry-After": "0"}))
    assert heard == ["HTTP 429; retry 1 of 3 in 0.00 s (as the server's Retry-After asks)"]


def test_429_503_and_post_are_retried_but_not_other_statuses():
    retry = make_retry(RetryPolicy())
    assert retry.is_retry("POST", 429)
    assert retry.is_retry("POST", 503)
    assert not retry.is_retry("POST", 400)
    assert not retry.is_retry("POST", 500)


@pytest.mark.parametrize(
    ("env", "url"),
    [
        ({}, "http://127.0.0.1:8080"),
        ({"FUNCTION_PORT": "9000"}, "http://127.0.0.1:9000"),
        (
            {"DIGITS_URL": "https://x.lambda-url.aws/", "FUNCTION_PORT": "9000"},
            "https://x.lambda-url.aws/",
        ),
    ],
)
def test_the_url_is_digits_url_else_the_make_dev_function(env, url):
    assert default_url(env) == url


@pytest.mark.parametrize(
    "argv",
    [
        ["feedback", "images/k.png", "10", "--receipt", "r"],
        ["feedback", "images/k.png", "7"],
        ["predict"],
        ["predict", "a.png", "--concurrency", "0"],
        ["predict", "a.png", "--format", "xml"],
    ],
)
def test_bad_command_lines_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exit:
        parser().parse_args(argv)
    assert exit.value.code == 2

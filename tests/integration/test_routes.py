"""Routes, methods and CORS through functions-framework's app (Flask test client), S3 in moto."""

import pytest

from digits.config import DEFAULT_SITE_PORT
from digits.http import api
from tests.conftest import TEST_ORIGINS
from tests.errors import error_of

ALLOWED = f"http://127.0.0.1:{DEFAULT_SITE_PORT}"


# --- routes and methods -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nope"),
        ("POST", "/predict/extra"),
        ("GET", "/predict/"),
        ("GET", "/favicon.ico"),
        ("GET", "/robots.txt"),
        ("DELETE", "/images/x"),
        ("GET", "/images"),
    ],
)
def test_unknown_routes_are_json_404(client, method, path):
    response = client.open(path, method=method)
    assert error_of(response) == (404, "not_found")
    assert response.mimetype == "application/json"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/predict", "POST, OPTIONS"),
        ("GET", "/", "POST, OPTIONS"),
        ("PUT", "/predict", "POST, OPTIONS"),
        ("POST", "/health", "GET, HEAD, OPTIONS"),
        ("GET", "/feedback", "POST, OPTIONS"),
        ("PATCH", "/openapi.json", "GET, HEAD, OPTIONS"),
    ],
)
def test_wrong_methods_are_json_405_with_allow(client, method, path, allow):
    response = client.open(path, method=method)
    assert error_of(response) == (405, "method_not_allowed")
    assert response.headers["Allow"] == allow


def test_health_reports_the_model(client, model):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["model"]["version"] == model.version
    assert body["model"]["load_seconds"] >= 0
    assert client.head("/health").status_code == 200


def test_openapi_document_describes_exactly_the_routes(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    routes = {}
    for rule in api.ROUTES.iter_rules():
        # HEAD comes with every GET; the document describes the GET.
        routes.setdefault(rule.rule, set()).update(m.lower() for m in rule.methods - {"HEAD"})
    assert {path: set(document["paths"][path]) for path in document["paths"]} == routes


# --- CORS -------------------------------------------------------------------------------------


@pytest.mark.parametrize("origin", TEST_ORIGINS.split(","))
@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/health"), ("GET", "/nope"), ("POST", "/predict")]
)
def test_allowed_origins_get_exactly_one_allow_origin(client, origin, method, path):
    response = client.open(path, method=method, headers={"Origin": origin})
    assert response.headers.getlist("Access-Control-Allow-Origin") == [origin]
    assert "Origin" in response.headers["Vary"]


@pytest.mark.parametrize(
    "origin", ["http://evil.example", "http://127.0.0.1:9999", "null", f"{ALLOWED}.evil"]
)
def test_other_origins_get_no_allow_origin(client, origin):
    response = client.get("/health", headers={"Origin": origin})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.headers["Vary"]


def test_no_origin_no_allow_origin_but_vary(client):
    response = client.get("/health")
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.headers["Vary"]


def test_framework_404_carries_cors_too(client):
    response = client.get("/favicon.ico", headers={"Origin": ALLOWED})
    assert response.headers.getlist("Access-Control-Allow-Origin") == [ALLOWED]


@pytest.mark.parametrize(
    ("path", "methods"), [("/predict", "POST, OPTIONS"), ("/health", "GET, HEAD, OPTIONS")]
)
def test_preflight_for_an_allowed_origin(client, path, methods):
    response = client.options(
        path,
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": methods.split(",")[0],
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 204
    assert response.get_data() == b""
    assert response.headers.getlist("Access-Control-Allow-Origin") == [ALLOWED]
    assert response.headers["Access-Control-Allow-Methods"] == methods
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type"
    assert int(response.headers["Access-Control-Max-Age"]) > 0
    assert "Origin" in response.headers["Vary"]


def test_preflight_for_another_origin_allows_nothing(client):
    response = client.options(
        "/predict",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 204
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Methods" not in response.headers


def test_a_wildcard_origin_setting_echoes_the_origin(make_client):
    client = make_client({"ALLOWED_ORIGINS": "*"})
    response = client.get("/health", headers={"Origin": "https://anywhere.example"})
    assert response.headers.getlist("Access-Control-Allow-Origin") == ["https://anywhere.example"]

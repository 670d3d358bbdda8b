"""schemathesis against GET /openapi.json: every documented operation, generated requests, no 500s.

Runs in-process on the WSGI app from ``create_app`` (S3 under moto), a bounded number of examples
per operation so it stays a few seconds in CI.
"""

from pathlib import Path

import boto3
import functions_framework
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from moto import mock_aws
from schemathesis.specs.openapi.checks import positive_data_acceptance

from digits.config import Settings
from infra.servers import REGION
from tests.conftest import use_fake_aws

MAIN = Path(__file__).resolve().parents[2] / "functions" / "main.py"
BUCKET = Settings.from_env({}).images_bucket


# BMP, HEIC and AVIF bodies are bytes like any image; schemathesis ships samples for PNG, JPEG, GIF
# and WebP only.
schemathesis.serializer.alias(
    ["image/bmp", "image/x-ms-bmp", "image/heic", "image/heif", "image/avif"],
    "application/octet-stream",
)
# Built at import: schemathesis reads the document from the app when the module is collected.
# The app's S3 client is made then, with fake credentials; every request runs under moto below.
with pytest.MonkeyPatch.context() as _patch:
    use_fake_aws(_patch)
    APP = functions_framework.create_app("predict", str(MAIN))
schema = schemathesis.openapi.from_wsgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def bucket(module_aws_credentials):
    """The app's default bucket under moto, for the whole module."""
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        yield


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_openapi_document(case):
    # Every check but "schema-valid data is accepted": a blank image is a valid body that the
    # function rightly refuses (422 nothing drawn), which no schema can express.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])

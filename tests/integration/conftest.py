"""Fixtures of the integration tests that more than one module uses."""

from __future__ import annotations

import boto3
import functions_framework
import pytest
from moto import mock_aws
from PIL import Image

from infra.servers import REGION
from tests.integration.hostile import BUCKET, MAIN


@pytest.fixture(scope="module")
def hostile_app(module_aws_credentials):
    """The functions-framework test client over a moto bucket, shared by the module."""
    module_aws_credentials.setenv("IMAGES_BUCKET", BUCKET)
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        yield functions_framework.create_app("predict", str(MAIN)).test_client()


@pytest.fixture(scope="module")
def seven(mnist_test) -> Image.Image:
    """MNIST's first test digit (a 7), dark ink on light paper at 112x112."""
    images, _ = mnist_test
    digit = images[0]
    return Image.fromarray(255 - digit).resize((112, 112), Image.Resampling.BILINEAR)

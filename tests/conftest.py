import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import functions_framework
import numpy as np
import pytest
from moto import mock_aws
from PIL import Image

from digits import instance
from digits.classes import DIGITS
from digits.config import DEFAULT_SITE_PORT, Settings
from digits.vision import normalise
from infra.local_stack import Stack, start_stack
from infra.servers import FAKE_CREDENTIALS, REGION, UNSET
from model import mnist

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The canonical MNIST files: MNIST_DIR, else ../shared/data/mnist beside the repository."""
    directory = Path(os.environ.get("MNIST_DIR") or REPO.parent / "shared" / "data" / "mnist")
    if not (directory / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.fail(f"MNIST not found in {directory}: set MNIST_DIR to the four canonical files")
    return directory


@pytest.fixture(scope="session")
def mnist_test(mnist_dir):
    """MNIST's test images and labels."""
    data = mnist.load(mnist_dir)
    return data.test_images, data.test_labels


@pytest.fixture(scope="session")
def readable_digits(mnist_test, model):
    """MNIST test digits in order, less the few the committed model refuses as not a digit.

    Tests of storage, load and concurrency send these: a refused image is not stored (by design),
    and what they test is that every image read is kept, not how many the model reads.
    """
    images, labels = mnist_test
    chosen = images[:500]
    served = np.stack([normalise.to_mnist(Image.fromarray(image)) for image in chosen])
    read = model.predict_proba(served).argmax(axis=1) < DIGITS
    return chosen[read], labels[:500][read]


BUCKET = "digits-test-images"
MAIN = REPO / "functions" / "main.py"
TEST_ORIGINS = f"http://127.0.0.1:{DEFAULT_SITE_PORT},http://localhost:{DEFAULT_SITE_PORT}"


def use_fake_aws(patch: pytest.MonkeyPatch) -> None:
    """Set fake AWS credentials and region; no profile or endpoint leaks in from the environment."""
    for name in (*UNSET, "AWS_ENDPOINT_URL_S3"):
        patch.delenv(name, raising=False)
    for name, value in FAKE_CREDENTIALS.items():
        patch.setenv(name, value)
    patch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def aws_credentials(monkeypatch):
    """Fake AWS credentials for one test."""
    use_fake_aws(monkeypatch)


@pytest.fixture(scope="module")
def module_aws_credentials():
    """Fake AWS credentials for a whole module; yields the patch for further settings."""
    with pytest.MonkeyPatch.context() as patch:
        use_fake_aws(patch)
        yield patch


@pytest.fixture
def bucket() -> str:
    """The images bucket's name in tests."""
    return BUCKET


@pytest.fixture
def s3(aws_credentials, bucket, monkeypatch):
    """An S3 client under moto's mock_aws, with the images bucket created."""
    monkeypatch.setenv("IMAGES_BUCKET", bucket)
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=bucket)
        yield client


@pytest.fixture(scope="session")
def local_stack() -> Iterator[Stack]:
    """The local stack as make dev runs it (default settings), shared by the whole session.

    Tests that use it share its bucket: each looks only at the objects it made (the keys its
    answers returned). moto runs in a process of its own: moto's in-process state is one per
    process, and mock_aws (the ``s3`` fixture) wipes it on entering and on leaving.
    """
    with start_stack(moto_process=True) as running:
        yield running


@pytest.fixture(scope="session")
def model():
    """The committed model, loaded once (the same cache the function uses)."""
    return instance.cached_model(Settings.from_env({}).model_path)


@pytest.fixture
def make_client(s3, monkeypatch):
    """Return a factory of test clients for a fresh app built with extra environment ``env``."""

    def make(env: dict[str, str] | None = None):
        monkeypatch.setenv("ALLOWED_ORIGINS", TEST_ORIGINS)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        # create_app executes main.py afresh: new settings from this environment, same model.
        return functions_framework.create_app("predict", str(MAIN)).test_client()

    return make


@pytest.fixture
def client(make_client):
    """The functions-framework test client, its bucket under moto."""
    return make_client()

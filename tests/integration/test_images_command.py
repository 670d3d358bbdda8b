"""make images (infra/images.py): what an operator sees of the collected images, on a real stack."""

from __future__ import annotations

import io
import json
import urllib.request

import pytest
from PIL import Image

from infra import bucket as buckets
from infra import images
from infra.local_stack import start_stack
from infra.servers import FAKE_CREDENTIALS
from model import mnist


@pytest.fixture(scope="module")
def stack():
    # A bucket of its own: moto's state is shared by every in-process server of the test run.
    with start_stack(env={"IMAGES_BUCKET": "digits-images-command"}) as running:
        yield running


def post(url: str, document: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(document).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def labelled(stack, mnist_dir) -> list[dict]:
    """Three predictions through the function; the second labelled twice by its sender."""
    data = mnist.load(mnist_dir)
    answers = []
    for i in range(3):
        buffer = io.BytesIO()
        Image.fromarray(255 - data.test_images[i]).resize((112, 112)).save(buffer, "PNG")
        request = urllib.request.Request(
            f"{stack.function_url}/predict",
            data=buffer.getvalue(),
            headers={"Content-Type": "image/png"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            answers.append(json.loads(response.read()))
    key, receipt = answers[1]["image"]["key"], answers[1]["receipt"]
    for label in (3, 8):
        post(f"{stack.function_url}/feedback", {"key": key, "label": label, "receipt": receipt})
    return answers


def test_beside_make_dev_it_finds_the_stack_by_itself(stack, labelled, tmp_path):
    dev_stack = tmp_path / "dev-stack.json"
    buckets.announce_dev_stack(stack.s3_endpoint, stack.bucket, dev_stack)
    found = buckets.find_bucket(dev_stack=dev_stack)
    assert found.name == stack.bucket
    assert stack.s3_endpoint in found.where
    buckets.forget_dev_stack(dev_stack)
    assert not dev_stack.exists()


def test_it_lists_newest_first_with_predictions_and_every_label(
    stack, labelled, monkeypatch, capsys
):
    # The operator's own credentials and endpoint, as boto3 finds them.
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", stack.s3_endpoint)
    assert images.main(["--bucket", stack.bucket, "--json", "--limit", "0"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["key"] for row in rows] == [a["image"]["key"] for a in labelled][::-1]
    assert [row["prediction"] for row in rows] == [a["number"] for a in labelled][::-1]
    assert [[label["label"] for label in row["labels"]] for row in rows] == [[], [3, 8], []]
    assert "receipt" not in json.dumps(rows)  # nothing that lets its reader label

    assert images.main(["--bucket", stack.bucket, "--limit", "2"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert len(table) == 3  # the header and two rows
    assert labelled[1]["image"]["key"] in table[2]
    assert "3,8" in table[2]


def test_without_a_bucket_it_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.delenv("IMAGES_BUCKET", raising=False)
    absent = tmp_path / "absent"
    with pytest.raises(buckets.NoBucket, match="make dev"):
        buckets.find_bucket(dev_stack=absent, deployed=absent)

"""make images (infra/images.py): what an operator sees of the collected images, on a real stack."""

from __future__ import annotations

import json
import urllib.request

import pytest
from PIL import Image

from infra import bucket as buckets
from infra import images
from infra.servers import FAKE_CREDENTIALS, REGION
from tests.images import encode


def post(url: str, body: bytes, content_type: str) -> dict:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


@pytest.fixture
def labelled(local_stack, mnist_test) -> list[dict]:
    """Three predictions through the function, just now; the second labelled twice by its sender.

    Made per test: the stack's bucket is shared, and the newest images must be these.
    """
    digits, _ = mnist_test
    answers = []
    for digit in digits[:3]:
        sent = encode(Image.fromarray(255 - digit).resize((112, 112)), "PNG")
        answers.append(post(f"{local_stack.function_url}/predict", sent, "image/png"))
    key, receipt = answers[1]["image"]["key"], answers[1]["receipt"]
    for label in (3, 8):
        document = json.dumps({"key": key, "label": label, "receipt": receipt}).encode()
        post(f"{local_stack.function_url}/feedback", document, "application/json")
    return answers


@pytest.fixture
def operator(local_stack, monkeypatch):
    """The operator's own credentials and endpoint, as boto3 finds them."""
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", local_stack.s3_endpoint)


def test_beside_make_dev_it_finds_the_stack_by_itself(local_stack, tmp_path):
    dev_stack = tmp_path / "dev-stack.json"
    buckets.announce_dev_stack(local_stack.s3_endpoint, local_stack.bucket, dev_stack)
    found = buckets.find_bucket(dev_stack=dev_stack)
    assert found.name == local_stack.bucket
    assert local_stack.s3_endpoint in found.where
    buckets.forget_dev_stack(dev_stack)
    assert not dev_stack.exists()


def test_it_lists_newest_first_with_predictions_and_every_label(
    local_stack, labelled, operator, capsys
):
    # The newest three are this test's, as one test at a time uses the stack. (Listing them all,
    # --limit 0, would read every image the tests before stored in the shared bucket.)
    assert images.main(["--bucket", local_stack.bucket, "--json", "--limit", "3"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["key"] for row in rows] == [a["image"]["key"] for a in labelled][::-1]
    assert [row["prediction"] for row in rows] == [a["number"] for a in labelled][::-1]
    assert [[label["label"] for label in row["labels"]] for row in rows] == [[], [3, 8], []]
    assert "receipt" not in json.dumps(rows)  # nothing that lets its reader label


def test_the_table_shows_as_many_rows_as_asked(local_stack, labelled, operator, capsys):
    assert images.main(["--bucket", local_stack.bucket, "--limit", "2"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert len(table) == 3  # the header and two rows
    assert labelled[1]["image"]["key"] in table[2]
    assert "3,8" in table[2]


def test_without_a_bucket_it_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.delenv("IMAGES_BUCKET", raising=False)
    absent = tmp_path / "absent"
    with pytest.raises(buckets.NoBucket, match="make dev"):
        buckets.find_bucket(dev_stack=absent, deployed=absent)

"""Storage under moto: key layout and uniqueness, metadata, listing order, feedback, failures."""

import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from digits import instance
from digits.box import Box
from digits.config import Settings
from digits.storage import images, keys
from digits.storage.errors import ImageNotFound, NotYours, StorageUnavailable
from digits.storage.images import ImageStore
from digits.storage.receipts import new_receipt, receipt_digest
from infra.local_stack import free_port

MOMENT = datetime(2026, 11, 24, 6, 15, 2, 123456, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n not decoded by storage"
RECEIPT = new_receipt()


def save(store: ImageStore, data: bytes = PNG, now: datetime = MOMENT, **overrides):
    fields = {
        "content_type": "image/png",
        "extension": "png",
        "prediction": 3,
        "confidence": 0.875,
        "source": "canvas",
        "model_version": "test-1",
        "receipt_digest": receipt_digest(RECEIPT),
        **overrides,
    }
    return store.save_image(data, now=now, **fields)


@pytest.fixture
def store(s3, bucket):
    return ImageStore(s3, bucket, url_seconds=60)


def test_key_layout_is_date_folders_then_utc_microsecond_stamp_and_random_suffix():
    key = keys.new_key("png", MOMENT)
    assert re.fullmatch(r"images/2026/11/24/20261124T061502123456Z-[0-9a-f]{16}\.png", key)
    assert keys.KEY_PATTERN.fullmatch(key)
    assert keys.created_at(key) == "2026-11-24T06:15:02.123456Z"


def test_key_uses_utc_whatever_the_clock_zone():
    local = datetime(2026, 11, 25, 1, 0, 0, 5, tzinfo=timezone(timedelta(hours=2)))
    assert keys.new_key("jpg", local).startswith("images/2026/11/24/20261124T230000000005Z-")


def test_keys_made_in_the_same_microsecond_are_distinct():
    made = {keys.new_key("png", MOMENT) for _ in range(20_000)}
    assert len(made) == 20_000


def test_saved_object_has_the_original_bytes_content_type_and_metadata(store, s3):
    saved = save(store, b"GIF89a original bytes", content_type="image/gif", extension="gif")
    assert saved.key.startswith("images/2026/11/24/20261124T061502123456Z-")
    assert saved.key.endswith(".gif")
    stored = s3.get_object(Bucket=store.bucket, Key=saved.key)
    assert stored["Body"].read() == b"GIF89a original bytes"
    assert stored["ContentType"] == "image/gif"
    assert stored["Metadata"] == {
        "prediction": "3",
        "confidence": "0.875000",
        "source": "canvas",
        "model-version": "test-1",
        "receipt-sha256": receipt_digest(RECEIPT),
    }
    assert RECEIPT not in str(stored["Metadata"])  # only the digest is kept
    tags = s3.get_object_tagging(Bucket=store.bucket, Key=saved.key)["TagSet"]
    assert tags == [{"Key": "retention", "Value": "unlabelled"}]
    assert saved.url is not None
    assert saved.key in saved.url


def test_many_saves_in_the_same_microsecond_keep_every_image(store, s3):
    saved = [save(store, f"image {i}".encode()).key for i in range(200)]
    assert len(set(saved)) == 200
    listed = s3.list_objects_v2(Bucket=store.bucket, Prefix="images/")
    assert listed["KeyCount"] == 200
    assert s3.get_object(Bucket=store.bucket, Key=saved[123])["Body"].read() == b"image 123"


def test_a_taken_key_is_never_overwritten(store, s3):
    # A key maker that repeats itself once: the second save must pick another key.
    suffixes = iter(["a" * 16, "a" * 16, "b" * 16])
    repeating = ImageStore(
        store.client,
        store.bucket,
        make_key=lambda extension, now: (
            f"{keys.new_key(extension, now).rsplit('-', 1)[0]}-{next(suffixes)}.{extension}"
        ),
    )
    first = save(repeating, b"first")
    second = save(repeating, b"second")
    assert first.key.endswith("-" + "a" * 16 + ".png")
    assert second.key.endswith("-" + "b" * 16 + ".png")
    assert s3.get_object(Bucket=store.bucket, Key=first.key)["Body"].read() == b"first"
    assert s3.get_object(Bucket=store.bucket, Key=second.key)["Body"].read() == b"second"


@pytest.mark.parametrize("source", ["canvas", "upload", "raw"])
def test_every_source_is_recorded(store, s3, source):
    saved = save(store, source=source)
    assert s3.head_object(Bucket=store.bucket, Key=saved.key)["Metadata"]["source"] == source


def test_an_unknown_source_is_refused(store):
    with pytest.raises(ValueError, match="source"):
        save(store, source="email")


def label_objects(s3, bucket: str, key: str) -> list[dict]:
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=keys.labels_prefix(key))
    return [
        json.loads(s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read())
        for o in sorted(listed.get("Contents", []), key=lambda o: o["Key"])
    ]


def test_labels_are_added_beside_the_image_never_replacing_one(store, s3):
    saved = save(store, b"the bytes", content_type="image/png")
    first = store.record_label(saved.key, 5, RECEIPT, now=MOMENT + timedelta(minutes=1))
    second = store.record_label(saved.key, 6, RECEIPT, now=MOMENT + timedelta(minutes=2))
    assert (first, second) == ("2026-11-24T06:16:02.123456Z", "2026-11-24T06:17:02.123456Z")
    assert label_objects(s3, store.bucket, saved.key) == [
        {"key": saved.key, "label": 5, "labelled_at": first},
        {"key": saved.key, "label": 6, "labelled_at": second},
    ]
    stored = s3.get_object(Bucket=store.bucket, Key=saved.key)
    assert stored["Body"].read() == b"the bytes"  # the image itself never changes
    assert stored["Metadata"]["prediction"] == "3"
    # A labelled image is kept as long as its labels.
    for key in [saved.key] + [
        o["Key"] for o in s3.list_objects_v2(Bucket=store.bucket, Prefix="labels/")["Contents"]
    ]:
        tags = s3.get_object_tagging(Bucket=store.bucket, Key=key)["TagSet"]
        assert tags == [{"Key": "retention", "Value": "labelled"}]


@pytest.mark.parametrize(
    "receipt",
    ["forged", new_receipt(), RECEIPT[:-1], RECEIPT + "x", RECEIPT.upper()],
    ids=["word", "another-fresh-receipt", "cut-short", "extended", "case-changed"],
)
def test_a_receipt_not_given_for_the_image_is_forbidden(store, s3, receipt):
    saved = save(store)
    with pytest.raises(NotYours):
        store.record_label(saved.key, 1, receipt)
    assert label_objects(s3, store.bucket, saved.key) == []


def test_the_receipt_of_one_image_does_not_label_another(store, s3):
    mine = save(store, receipt_digest=receipt_digest(RECEIPT))
    other_receipt = new_receipt()
    theirs = save(store, receipt_digest=receipt_digest(other_receipt))
    with pytest.raises(NotYours):
        store.record_label(theirs.key, 1, RECEIPT)
    store.record_label(mine.key, 1, RECEIPT)
    store.record_label(theirs.key, 2, other_receipt)
    assert [d["label"] for d in label_objects(s3, store.bucket, theirs.key)] == [2]


def test_an_image_stored_without_a_receipt_digest_takes_no_label(store, s3):
    s3.put_object(Bucket=store.bucket, Key=keys.new_key("png", MOMENT), Body=b"x")
    [key] = [o["Key"] for o in s3.list_objects_v2(Bucket=store.bucket)["Contents"]]
    with pytest.raises(NotYours):
        store.record_label(key, 1, RECEIPT)


@pytest.mark.parametrize(
    "key",
    [
        "images/2026/11/24/20261124T061502123456Z-0123456789abcdef.png",  # well-formed, absent
        "images/../secret.png",
        "elsewhere/a.png",
        "",
    ],
)
def test_feedback_for_an_unknown_key_is_not_found(store, s3, key):
    s3.put_object(Bucket=store.bucket, Key="elsewhere/a.png", Body=b"not an image of ours")
    with pytest.raises(ImageNotFound):
        store.record_label(key, 1, RECEIPT)


def test_a_missing_bucket_is_a_storage_error(s3):
    store = ImageStore(s3, "no-such-bucket")
    with pytest.raises(StorageUnavailable):
        save(store)
    with pytest.raises(StorageUnavailable):
        store.record_label(
            "images/2026/11/24/20261124T061502123456Z-0123456789abcdef.png", 1, RECEIPT
        )


def test_an_unreachable_endpoint_is_a_storage_error_after_the_retries(aws_credentials, monkeypatch):
    # Nothing listens on this loopback port: a real connection failure, no mock.
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{free_port()}")
    settings = Settings.from_env(
        {"S3_CONNECT_TIMEOUT": "0.5", "S3_READ_TIMEOUT": "0.5", "S3_MAX_ATTEMPTS": "2"}
    )
    with pytest.raises(StorageUnavailable, match="could not store"):
        save(ImageStore.connect(settings))


def test_a_malformed_endpoint_leaves_a_store_that_says_why(aws_credentials, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "not a URL")
    store = ImageStore.connect(Settings.from_env({}))
    with pytest.raises(StorageUnavailable, match="cannot create the S3 client"):
        save(store)


def test_an_instance_builds_one_client_that_concurrent_requests_share(s3, monkeypatch):
    made = []

    def counting_client(settings, session=None):
        made.append(real_client(settings, session))
        return made[-1]

    real_client = images.s3_client
    monkeypatch.setattr(images, "s3_client", counting_client)
    # The store is under test: a stand-in model, so the committed one is never loaded here.
    built = instance.build(model=SimpleNamespace(version="test-1"))
    start = threading.Barrier(16)

    def ask(_):
        start.wait(10)
        return save(built.store, now=datetime.now(UTC)).key, built.store.client

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(ask, range(16)))
    assert len(made) == 1
    assert {id(client) for _, client in answers} == {id(made[0])}
    assert len({key for key, _ in answers}) == 16


def test_a_number_label_is_kept_digit_by_digit_with_the_boxes_found(store, s3):
    boxes = [Box(10, 20, 30, 40), Box(50, 22, 28, 38)]
    saved = save(store, prediction="47", boxes=boxes)
    assert s3.head_object(Bucket=store.bucket, Key=saved.key)["Metadata"]["boxes"] == (
        "10,20,30,40;50,22,28,38"
    )
    store.record_label(saved.key, "42", RECEIPT, now=MOMENT + timedelta(minutes=1))
    store.record_label(saved.key, "421", RECEIPT, now=MOMENT + timedelta(minutes=2))
    first, second = label_objects(s3, store.bucket, saved.key)
    assert first["label"] == "42"
    assert first["digits"] == [
        {"label": 4, "box": {"x": 10, "y": 20, "width": 30, "height": 40}},
        {"label": 2, "box": {"x": 50, "y": 22, "width": 28, "height": 38}},
    ]
    # Three digits for two boxes: the whole number is kept, but it cannot be split.
    assert second["label"] == "421"
    assert "digits" not in second


def test_one_digit_records_no_boxes(store, s3):
    saved = save(store, prediction="7", boxes=[Box(1, 2, 3, 4)])
    assert "boxes" not in s3.head_object(Bucket=store.bucket, Key=saved.key)["Metadata"]

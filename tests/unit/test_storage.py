"""Storage under moto: key layout and uniqueness, metadata, listing order, feedback, failures."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import pytest

from digits import instance, storage
from digits.config import Settings
from digits.errors import NotFound
from digits.storage import ImageStore, StorageError
from infra.local_stack import free_port

MOMENT = datetime(2026, 11, 24, 6, 15, 2, 123456, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n not decoded by storage"


def save(store: ImageStore, data: bytes = PNG, now: datetime = MOMENT, **overrides):
    fields = {
        "content_type": "image/png",
        "extension": "png",
        "prediction": 3,
        "confidence": 0.875,
        "source": "canvas",
        "model_version": "test-1",
        **overrides,
    }
    return store.save_image(data, now=now, **fields)


@pytest.fixture
def store(s3, bucket):
    return ImageStore(s3, bucket, url_seconds=60)


def test_key_layout_is_date_folders_then_utc_microsecond_stamp_and_random_suffix():
    key = storage.new_key("png", MOMENT)
    assert re.fullmatch(r"images/2026/11/24/20261124T061502123456Z-[0-9a-f]{16}\.png", key)
    assert storage.KEY_PATTERN.fullmatch(key)
    assert storage.created_at(key) == "2026-11-24T06:15:02.123456Z"


def test_key_uses_utc_whatever_the_clock_zone():
    local = datetime(2026, 11, 25, 1, 0, 0, 5, tzinfo=timezone(timedelta(hours=2)))
    assert storage.new_key("jpg", local).startswith("images/2026/11/24/20261124T230000000005Z-")


def test_keys_made_in_the_same_microsecond_are_distinct():
    keys = {storage.new_key("png", MOMENT) for _ in range(20_000)}
    assert len(keys) == 20_000


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
    }
    assert saved.url is not None
    assert saved.key in saved.url


def test_many_saves_in_the_same_microsecond_keep_every_image(store, s3):
    keys = [save(store, f"image {i}".encode()).key for i in range(200)]
    assert len(set(keys)) == 200
    listed = s3.list_objects_v2(Bucket=store.bucket, Prefix="images/")
    assert listed["KeyCount"] == 200
    assert s3.get_object(Bucket=store.bucket, Key=keys[123])["Body"].read() == b"image 123"


def test_a_taken_key_is_never_overwritten(store, s3, monkeypatch):
    # Force the random suffix to repeat once: the second save must pick another key.
    suffixes = iter(["a" * 16, "a" * 16, "b" * 16])
    monkeypatch.setattr(storage.secrets, "token_hex", lambda _n: next(suffixes))
    first = save(store, b"first")
    second = save(store, b"second")
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


def test_listing_is_newest_first_across_days_months_and_years(store):
    moments = [
        datetime(2025, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 1, 1, 0, 0, 0, 0, tzinfo=UTC),
        datetime(2026, 2, 1, 12, 0, 0, 0, tzinfo=UTC),
        datetime(2026, 2, 1, 12, 0, 0, 1, tzinfo=UTC),
        datetime(2026, 11, 9, 8, 0, 0, 0, tzinfo=UTC),
        datetime(2026, 11, 10, 8, 0, 0, 0, tzinfo=UTC),
    ]
    for digit, moment in sorted(enumerate(moments), key=lambda p: p[1].microsecond % 7):
        save(store, now=moment, prediction=digit)
    rows = store.list_images(limit=100)
    assert [row.digit for row in rows] == [5, 4, 3, 2, 1, 0]
    assert [row.created_at for row in rows] == sorted((r.created_at for r in rows), reverse=True)
    assert rows[0].created_at == "2026-11-10T08:00:00.000000Z"
    assert [row.digit for row in store.list_images(limit=2)] == [5, 4]


def test_listing_rows_carry_prediction_url_and_no_label_yet(store):
    saved = save(store, prediction=8, confidence=0.5)
    [row] = store.list_images(limit=10)
    assert row.to_dict() == {
        "key": saved.key,
        "digit": 8,
        "confidence": 0.5,
        "created_at": "2026-11-24T06:15:02.123456Z",
        "url": row.url,
        "label": None,
    }
    assert saved.key in row.url


def test_listing_an_empty_bucket_is_empty(store):
    assert store.list_images(limit=5) == []


def test_listing_ignores_objects_that_are_not_ours(store, s3):
    s3.put_object(Bucket=store.bucket, Key="images/2026/11/24/notes.txt", Body=b"x")
    s3.put_object(Bucket=store.bucket, Key="elsewhere/a.png", Body=b"x")
    saved = save(store)
    assert [row.key for row in store.list_images(limit=10)] == [saved.key]


def test_feedback_label_is_kept_with_the_image(store, s3):
    saved = save(store, b"the bytes", content_type="image/png")
    store.record_label(saved.key, 5)
    stored = s3.get_object(Bucket=store.bucket, Key=saved.key)
    assert stored["Body"].read() == b"the bytes"
    assert stored["ContentType"] == "image/png"
    assert stored["Metadata"]["label"] == "5"
    assert stored["Metadata"]["prediction"] == "3"
    assert stored["Metadata"]["model-version"] == "test-1"
    [row] = store.list_images(limit=1)
    assert (row.digit, row.label) == (3, 5)
    store.record_label(saved.key, 6)
    assert store.list_images(limit=1)[0].label == 6


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
    with pytest.raises(NotFound):
        store.record_label(key, 1)


def test_a_missing_bucket_is_a_storage_error(s3):
    store = ImageStore(s3, "no-such-bucket")
    with pytest.raises(StorageError):
        save(store)
    with pytest.raises(StorageError):
        store.list_images(limit=3)
    with pytest.raises(StorageError):
        store.record_label("images/2026/11/24/20261124T061502123456Z-0123456789abcdef.png", 1)


def test_an_unreachable_endpoint_is_a_storage_error_after_the_retries(aws_credentials, monkeypatch):
    # Nothing listens on this loopback port: a real connection failure, no mock.
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{free_port()}")
    settings = Settings.from_env(
        {"S3_CONNECT_TIMEOUT": "0.5", "S3_READ_TIMEOUT": "0.5", "S3_MAX_ATTEMPTS": "2"}
    )
    with pytest.raises(StorageError, match="could not store"):
        save(ImageStore.connect(settings))


def test_a_malformed_endpoint_leaves_a_store_that_says_why(aws_credentials, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "not a URL")
    store = ImageStore.connect(Settings.from_env({}))
    with pytest.raises(StorageError, match="cannot create the S3 client"):
        save(store)


def test_an_instance_builds_one_client_that_concurrent_requests_share(s3, model, monkeypatch):
    made = []

    def counting_client(settings):
        made.append(real_client(settings))
        return made[-1]

    real_client = storage.s3_client
    monkeypatch.setattr(storage, "s3_client", counting_client)
    built = instance.build(model=model)
    start = threading.Barrier(16)

    def ask(_):
        start.wait(10)
        return save(built.store, now=datetime.now(UTC)).key, built.store.client

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(ask, range(16)))
    assert len(made) == 1
    assert {id(client) for _, client in answers} == {id(made[0])}
    assert len({key for key, _ in answers}) == 16

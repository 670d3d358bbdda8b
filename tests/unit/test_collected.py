"""What an operator reads back (infra/collected.py), under moto: order, rows, label history."""

from datetime import UTC, datetime, timedelta

import pytest

from digits.storage.images import ImageStore
from digits.storage.receipts import new_receipt, receipt_digest
from infra.collected import CollectedImage, Label, labels_by_key, newest_images

MOMENT = datetime(2026, 11, 24, 6, 15, 2, 123456, tzinfo=UTC)
RECEIPT = new_receipt()


@pytest.fixture
def store(s3, bucket):
    return ImageStore(s3, bucket)


def save(store: ImageStore, now: datetime = MOMENT, prediction: int = 3, confidence=0.875):
    return store.save_image(
        b"\x89PNG\r\n\x1a\n",
        content_type="image/png",
        extension="png",
        prediction=prediction,
        confidence=confidence,
        source="canvas",
        model_version="test-1",
        receipt_digest=receipt_digest(RECEIPT),
        now=now,
    )


def test_images_come_newest_first_across_days_months_and_years(store, s3, bucket):
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
    rows = newest_images(s3, bucket, limit=100)
    assert [row.prediction for row in rows] == ["5", "4", "3", "2", "1", "0"]
    assert [row.created_at for row in rows] == sorted((r.created_at for r in rows), reverse=True)
    assert rows[0].created_at == "2026-11-10T08:00:00.000000Z"
    assert [row.prediction for row in newest_images(s3, bucket, limit=2)] == ["5", "4"]
    assert len(newest_images(s3, bucket)) == 6


def test_a_row_carries_the_prediction_and_every_label_oldest_first(store, s3, bucket):
    saved = save(store, prediction=8, confidence=0.5)
    [row] = newest_images(s3, bucket, limit=10)
    assert row == CollectedImage(
        key=saved.key,
        created_at="2026-11-24T06:15:02.123456Z",
        prediction="8",
        confidence=0.5,
        source="canvas",
        model_version="test-1",
        content_type="image/png",
        labels=(),
    )
    store.record_label(saved.key, 4, RECEIPT, now=MOMENT + timedelta(minutes=2))
    store.record_label(saved.key, 9, RECEIPT, now=MOMENT + timedelta(minutes=1))
    [row] = newest_images(s3, bucket, limit=10)
    assert row.labels == (
        Label(9, "2026-11-24T06:16:02.123456Z"),
        Label(4, "2026-11-24T06:17:02.123456Z"),
    )
    assert labels_by_key(s3, bucket) == {saved.key: row.labels}


def test_an_empty_bucket_has_no_images(s3, bucket):
    assert newest_images(s3, bucket, limit=5) == []
    assert labels_by_key(s3, bucket) == {}


def test_objects_that_are_not_ours_are_ignored(store, s3, bucket):
    s3.put_object(Bucket=bucket, Key="images/2026/11/24/notes.txt", Body=b"x")
    s3.put_object(Bucket=bucket, Key="elsewhere/a.png", Body=b"x")
    s3.put_object(Bucket=bucket, Key="labels/2026/11/24/x.png/y.json", Body=b"not json")
    saved = save(store)
    assert [row.key for row in newest_images(s3, bucket, limit=10)] == [saved.key]
    assert labels_by_key(s3, bucket) == {}

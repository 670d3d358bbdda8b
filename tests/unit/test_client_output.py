"""digits_client.output: JSON lines, CSV, table and the summary of failures."""

import csv
import io
import json

import pytest

from digits_client.output import Writer, record, summary
from digits_client.predicting import Outcome

ANSWER = {
    "digit": 7,
    "confidence": 0.93,
    "probabilities": [0.0] * 10,
    "image": {"key": "images/2026/11/30/k.png", "url": "https://presigned"},
    "receipt": "r-123",
    "saved": True,
    "preview": "data:image/png;base64,AAAA",
}
GOOD = Outcome("scans/7.png", answer=ANSWER)
BAD = Outcome("scans/x.png", error={"code": "invalid_image", "message": "corrupt or truncated"})


def written(format: str, outcomes: list[Outcome]) -> str:
    stream = io.StringIO()
    writer = Writer(stream, format)
    for outcome in outcomes:
        writer.write(outcome)
    writer.close()
    return stream.getvalue()


def test_a_json_line_has_the_file_digit_confidence_key_and_receipt():
    assert record(GOOD) == {
        "file": "scans/7.png",
        "digit": 7,
        "confidence": 0.93,
        "key": "images/2026/11/30/k.png",
        "receipt": "r-123",
        "saved": True,
    }
    assert record(BAD) == {"file": "scans/x.png", "error": BAD.error}


def test_json_lines_are_one_line_per_file_in_order():
    lines = written("jsonl", [GOOD, BAD, GOOD]).splitlines()
    assert [json.loads(line)["file"] for line in lines] == [
        "scans/7.png",
        "scans/x.png",
        "scans/7.png",
    ]


def test_csv_has_a_header_and_a_row_per_file():
    rows = list(csv.DictReader(io.StringIO(written("csv", [GOOD, BAD]))))
    assert rows[0]["digit"] == "7"
    assert rows[0]["key"] == "images/2026/11/30/k.png"
    assert rows[0]["error_code"] == ""
    assert rows[1]["digit"] == ""
    assert rows[1]["error_code"] == "invalid_image"


def test_the_table_is_aligned_with_the_error_in_place_of_the_key():
    lines = written("table", [GOOD, BAD]).splitlines()
    assert lines[0].split() == ["file", "digit", "confidence", "key", "or", "error"]
    assert lines[1].split() == ["scans/7.png", "7", "0.93", "images/2026/11/30/k.png"]
    assert lines[2].split()[:4] == ["scans/x.png", "-", "-", "invalid_image:"]
    assert lines[0].index("digit") == lines[1].index(" 7 ") + 1 == lines[2].index(" - ") + 1


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="format"):
        Writer(io.StringIO(), "xml")


def test_the_summary_names_each_reason_and_its_files():
    failed = [
        BAD,
        *(Outcome(f"{i}.png", error={"code": "unreachable", "message": "down"}) for i in range(8)),
    ]
    text = summary(20, failed)
    assert text.splitlines()[0] == "9 of 20 files failed:"
    assert "invalid_image (corrupt or truncated): scans/x.png" in text
    assert "unreachable (down): 0.png, 1.png, 2.png, 3.png, 4.png and 3 more" in text
    assert summary(3, []) == "3 files predicted"

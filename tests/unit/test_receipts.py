"""Receipts: 256 random bits, stored only as a digest, and usable as typed on a command line."""

from digits.storage.receipts import RECEIPT_BYTES, new_receipt, receipt_digest, receipt_matches
from digits_client.cli import parser


def test_a_receipt_carries_its_full_randomness_and_is_new_each_time():
    receipts = {new_receipt() for _ in range(100)}
    assert len(receipts) == 100
    assert all(len(bytes.fromhex(receipt)) == RECEIPT_BYTES for receipt in receipts)


def test_every_receipt_can_follow_the_receipt_flag_of_the_client():
    # A receipt that began with "-" was read by argparse as a flag: "expected one argument".
    for _ in range(500):
        receipt = new_receipt()
        args = parser().parse_args(["feedback", "some-key", "3", "--receipt", receipt])
        assert args.receipt == receipt


def test_only_the_receipt_itself_matches_its_digest():
    receipt = new_receipt()
    assert receipt_matches(receipt, receipt_digest(receipt))
    assert not receipt_matches(new_receipt(), receipt_digest(receipt))


def test_a_receipt_from_before_that_starts_with_a_dash_is_taken_after_an_equals_sign():
    args = parser().parse_args(["feedback", "some-key", "3", "--receipt=-Jq0x_older-receipt"])
    assert args.receipt == "-Jq0x_older-receipt"

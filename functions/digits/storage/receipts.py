"""Receipts: the proof, handed only to whoever sent an image, that lets them label it.

A receipt is 256 bits from the OS's randomness, made per request. Only its SHA-256 is stored,
with the image, so there is no secret to keep or rotate and the bucket alone cannot forge one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

RECEIPT_BYTES = 32


def new_receipt() -> str:
    """Return a fresh receipt, in hex: it never starts with "-", which argv reads as a flag."""
    return secrets.token_hex(RECEIPT_BYTES)


def receipt_digest(receipt: str) -> str:
    """Return what is stored of ``receipt``: its SHA-256, in hex."""
    return hashlib.sha256(receipt.encode("utf-8")).hexdigest()


def receipt_matches(receipt: str, digest: str) -> bool:
    """Say whether ``receipt`` is the one whose digest is ``digest`` (in constant time)."""
    return hmac.compare_digest(receipt_digest(receipt), digest)

"""Strip the metadata of a HEIF (HEIC) or AVIF file: ISO base media boxes, pixels untouched.

A HEIF file keeps its images and its metadata alike as items of its ``meta`` box: ``iinf`` says
each item's type, ``iloc`` where its bytes are (in the file, or in the ``idat`` box). EXIF (an
item of type "Exif": GPS position, camera, dates) and XMP (an item of type "mime") are stripped by
zeroing their bytes where they lie and renaming their type to REMOVED, a type no reader knows and
every reader skips. Nothing moves, so every offset in the file stays true and the coded images,
their grid, their thumbnails and their transforms (``irot``, ``imir``: how the photo is turned
upright) stay byte for byte. Free space and vendor boxes (``free``, ``skip``, ``uuid``) are zeroed
too, and whatever follows the last box is dropped.

A file this cannot parse raises ValueError (and is refused as corrupt rather than stored with
its metadata).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

# The item type a stripped item is given: unknown to every reader, so skipped.
REMOVED = b"none"
METADATA_ITEMS = frozenset({b"Exif", b"mime"})
# Top-level boxes whose payload is free space or a vendor's: zeroed.
BLANKED_BOXES = frozenset({b"free", b"skip", b"uuid"})
# A full box starts with a byte of version and three of flags.
FULL_BOX = 4
# iloc's construction methods: the item's bytes are in the file, or in the idat box.
IN_FILE, IN_IDAT = 0, 1


def strip(data: bytes) -> bytes:
    """Return a HEIF or AVIF file with its EXIF and XMP items emptied, its pixels unchanged."""
    out = bytearray(data)
    meta, end = None, 0
    for kind, _, payload, end in _boxes(data, 0, len(data), trailing=True):
        if kind == b"meta":
            meta = (payload + FULL_BOX, end)
        elif kind in BLANKED_BOXES:
            # A uuid box names its kind in its first 16 bytes; what follows is the vendor's.
            skip = 16 if kind == b"uuid" else 0
            out[payload + skip : end] = bytes(end - payload - skip)
    if meta is None:
        raise ValueError("no meta box")
    children = {kind: (payload, box_end) for kind, _, payload, box_end in _boxes(data, *meta)}
    if b"iinf" not in children or b"iloc" not in children:
        raise ValueError("no item information or locations")
    stripped = {}
    for item, (kind, at) in _item_types(data, *children[b"iinf"]).items():
        if kind in METADATA_ITEMS:
            out[at : at + 4] = REMOVED
            stripped[item] = kind
    idat = children.get(b"idat", (0, 0))
    for item, method, extents in _locations(data, *children[b"iloc"]):
        if item not in stripped:
            continue
        if method not in (IN_FILE, IN_IDAT):
            raise ValueError("a metadata item built from other items")
        base, limit = (0, len(data)) if method == IN_FILE else idat
        for offset, length in extents:
            start = base + offset
            stop = limit if length == 0 else start + length
            if not base <= start <= stop <= limit:
                raise ValueError("a metadata item lies outside its container")
            out[start:stop] = bytes(stop - start)
    return bytes(out[:end])


def _boxes(
    data: bytes, start: int, stop: int, *, trailing: bool = False
) -> Iterator[tuple[bytes, int, int, int]]:
    """Yield (type, start, payload start, end) of each box between ``start`` and ``stop``.

    With ``trailing``, what does not fit as a box ends the file (bytes after its last box).
    """
    at = start
    while at + 8 <= stop:
        size, kind = struct.unpack_from(">I4s", data, at)
        payload = at + 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, at + 8)
            payload += 8
        elif size == 0:
            size = stop - at
        if size < payload - at or at + size > stop:
            if trailing:
                return
            raise ValueError(f"box {kind!r} runs past its container")
        yield kind, at, payload, at + size
        at += size


def _item_types(data: bytes, start: int, stop: int) -> dict[int, tuple[bytes, int]]:
    """Return each item's type and where that type is written, from an iinf box's payload."""
    version = data[start]
    at = start + FULL_BOX + (2 if version == 0 else 4)
    types = {}
    for kind, _, payload, _ in _boxes(data, at, stop):
        if kind != b"infe":
            continue
        infe_version = data[payload]
        if infe_version < 2:
            raise ValueError("an item described the old way")
        at = payload + FULL_BOX
        if infe_version == 2:
            (item,) = struct.unpack_from(">H", data, at)
            at += 2
        else:
            (item,) = struct.unpack_from(">I", data, at)
            at += 4
        # Then the item's protection index (2 bytes) and its type.
        types[item] = (data[at + 2 : at + 6], at + 2)
    return types


def _locations(data: bytes, start: int, stop: int) -> Iterator[tuple[int, int, list]]:
    """Yield (item, construction method, [(offset, length), ...]) from an iloc box's payload."""
    version = data[start]
    at = start + FULL_BOX
    sizes, more = data[at], data[at + 1]
    offset_size, length_size = sizes >> 4, sizes & 15
    base_size, index_size = more >> 4, (more & 15) if version in (1, 2) else 0
    at += 2
    count_size = 4 if version == 2 else 2
    count = _unsigned(data, at, count_size)
    at += count_size
    for _ in range(count):
        item = _unsigned(data, at, count_size)
        at += count_size
        method = IN_FILE
        if version in (1, 2):
            method = _unsigned(data, at, 2) & 15
            at += 2
        at += 2  # data reference index
        base = _unsigned(data, at, base_size)
        at += base_size
        extents_count = _unsigned(data, at, 2)
        at += 2
        extents = []
        for _ in range(extents_count):
            at += index_size
            offset = _unsigned(data, at, offset_size)
            at += offset_size
            length = _unsigned(data, at, length_size)
            at += length_size
            extents.append((base + offset, length))
        if at > stop:
            raise ValueError("item locations run past their box")
        yield item, method, extents


def _unsigned(data: bytes, at: int, size: int) -> int:
    """Return the big-endian unsigned integer of ``size`` bytes (0, 4 or 8 in iloc) at ``at``."""
    if at + size > len(data):
        raise ValueError("a field runs past the end")
    return int.from_bytes(data[at : at + size], "big")

"""Lambda SnapStart: what happens before the snapshot, and what a restored copy must renew.

With SnapStart, Lambda runs init once per published version, snapshots the memory and restores
copies of it for new instances. Everything made at init is then shared by every copy:

- the model: loaded at init on purpose, so that no copy loads it again;
- the S3 client: its connection pool and the credentials it resolved belong to the moment of the
  snapshot, so each copy makes its own client after restore;
- random state seeded at init (``random``, NumPy's global generator): reseeded from the OS after
  restore, so that copies do not share a sequence. Nothing in digits draws on it for anything that
  must be unique: keys and receipts come from ``secrets`` (the OS) per request.

The hooks are registered with ``snapshot_restore_py``, which Lambda's Python runtime provides;
elsewhere (make dev, tests without it) registering does nothing, as nothing is snapshotted.
"""

from __future__ import annotations

import dataclasses
import io
import random

import numpy as np
from PIL import Image

from digits.imaging.decoding import decode_image
from digits.instance import Instance
from digits.storage.images import ImageStore

try:
    from snapshot_restore_py import register_after_restore, register_before_snapshot
except ImportError:  # not on Lambda's runtime: nothing takes a snapshot of this process

    def register_before_snapshot(func, *args, **kwargs):
        """Do nothing: without SnapStart there is no snapshot."""
        return func

    def register_after_restore(func, *args, **kwargs):
        """Do nothing: without SnapStart there is no restore."""
        return func


__all__ = ["register_after_restore", "register_before_snapshot", "renew", "warm"]


def warm(instance: Instance) -> None:
    """Decode, preprocess and predict one drawn digit, storing nothing.

    Run before the snapshot: what the first prediction imports or caches lazily is then part of
    the snapshot, and no restored copy's first visitor waits for it. S3 is not called, so no
    connection is opened that the snapshot would keep.
    """
    canvas = np.full((96, 96), 255, dtype=np.uint8)
    canvas[16:80, 44:53] = 0  # a dark stroke: a one
    png = io.BytesIO()
    Image.fromarray(canvas).save(png, format="PNG")
    image = decode_image(png.getvalue(), max_pixels=instance.settings.max_pixels).image
    instance.model.predict(instance.preprocess(image))


def renew(instance: Instance) -> Instance:
    """Return ``instance`` with a new S3 client, and reseed the random state made at init."""
    random.seed()  # from os.urandom
    np.random.seed()  # NumPy's legacy global generator, from the OS as well
    return dataclasses.replace(instance, store=ImageStore.connect(instance.settings))

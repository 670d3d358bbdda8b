"""What can go wrong in storage, said in storage's own words; the HTTP layer picks the status."""

from __future__ import annotations


class StorageError(Exception):
    """Storage could not do what was asked."""


class StorageUnavailable(StorageError):
    """S3 could not be reached or refused the request after botocore's own retries."""


class ImageNotFound(StorageError):
    """No stored image has the key asked for."""


class NotYours(StorageError):
    """The receipt shown is not the one given with the image."""

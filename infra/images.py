"""``make images``: list the collected images, newest first, with prediction and labels.

Run with an operator's own AWS credentials against the deployed bucket, or beside ``make dev``
(no flags needed); infra/bucket.py says how the bucket is found. ``--json`` prints one JSON object a
line, for exports.
"""

from __future__ import annotations

import argparse
import json
import sys

from botocore.exceptions import BotoCoreError, ClientError

from infra.bucket import NoBucket, find_bucket
from infra.collected import CollectedImage, newest_images


def row(image: CollectedImage) -> str:
    """Return one table line: when, prediction, confidence, labels, key."""
    confidence = "" if image.confidence is None else f"{image.confidence:.0%}"
    digit = image.prediction or "?"
    labels = ",".join(str(label.label) for label in image.labels) or "-"
    return f"{image.created_at}  {digit:>12}  {confidence:>4}  {labels:<12}  {image.key}"


def main(argv: list[str] | None = None) -> int:
    """List the images; exit 1 with a message when the bucket cannot be read."""
    parser = argparse.ArgumentParser(prog="make images", description=__doc__.splitlines()[0])
    parser.add_argument("--bucket", help="the images bucket (default: see infra/bucket.py)")
    parser.add_argument("--limit", type=int, default=20, help="how many (default 20; 0: all)")
    parser.add_argument("--json", action="store_true", help="one JSON object a line")
    args = parser.parse_args(argv)
    try:
        bucket = find_bucket(args.bucket)
        images = newest_images(bucket.s3, bucket.name, args.limit or None)
    except NoBucket as error:
        print(error, file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as error:
        print(f"cannot read the images bucket: {error}", file=sys.stderr)
        return 1
    if args.json:
        for image in images:
            print(json.dumps(image.to_dict()))
        return 0
    print(f"{len(images)} newest images in {bucket.where}", file=sys.stderr)
    print(f"{'created (UTC)':<27}  {'read':>12}  {'conf':>4}  {'labels':<12}  key")
    for image in images:
        print(row(image))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Find the images bucket an operator means, and an S3 client for it.

In order: ``--bucket`` or ``IMAGES_BUCKET`` (the operator's own AWS credentials and region, as
boto3 finds them); else the bucket of a running ``make dev`` (it leaves where its S3 answers in
``.cache/dev-stack.json`` while it runs); else the deployed stack's ``ImagesBucketName`` output (the
stack named in samconfig.toml, as ``make deploy`` saved it).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from infra.servers import s3_client as moto_client

REPO = Path(__file__).resolve().parents[1]
DEV_STACK_FILE = REPO / ".cache" / "dev-stack.json"


class NoBucket(Exception):
    """No images bucket could be found or reached; the message says what to do."""


@dataclass(frozen=True)
class Bucket:
    """An images bucket and a client allowed to read it."""

    s3: object
    name: str
    where: str


def announce_dev_stack(s3_endpoint: str, bucket: str, path: Path = DEV_STACK_FILE) -> None:
    """Say where the running dev stack's S3 answers, for operator commands run beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"s3_endpoint": s3_endpoint, "bucket": bucket}))


def forget_dev_stack(path: Path = DEV_STACK_FILE) -> None:
    """Remove what ``announce_dev_stack`` wrote."""
    path.unlink(missing_ok=True)


def find_bucket(
    bucket: str | None = None, dev_stack: Path = DEV_STACK_FILE, deployed: Path | None = None
) -> Bucket:
    """Return the images bucket to read, as described above; raise NoBucket if there is none.

    ``deployed`` is samconfig.toml, where ``make deploy`` keeps the stack's name.
    """
    named = bucket or os.environ.get("IMAGES_BUCKET")
    if named:
        return Bucket(boto3.client("s3"), named, f"s3://{named}")
    if dev_stack.is_file():
        found = json.loads(dev_stack.read_text())
        return Bucket(
            moto_client(found["s3_endpoint"]),
            found["bucket"],
            f"make dev's S3 at {found['s3_endpoint']}, bucket {found['bucket']}",
        )
    from infra.deploy import samconfig, stack_outputs  # only needed when deployed

    stack_name = samconfig(deployed).get("stack_name")
    if not stack_name:
        raise NoBucket(
            "no bucket: pass --bucket or set IMAGES_BUCKET, run `make dev` beside this, "
            "or deploy with `make deploy` first"
        )
    try:
        outputs = stack_outputs(boto3.client("cloudformation"), stack_name)
    except (BotoCoreError, ClientError) as error:
        raise NoBucket(f"cannot read stack {stack_name}'s outputs: {error}") from error
    name = outputs["ImagesBucketName"]
    return Bucket(boto3.client("s3"), name, f"stack {stack_name}, bucket {name}")

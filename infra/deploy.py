"""Deploy the stack to AWS and publish the page; or tear everything down.

``python -m infra.deploy deploy``: ``sam build`` and ``sam deploy`` (``--guided`` the first time,
which writes samconfig.toml; its answers are reused after), then the steps CloudFormation cannot do:
write site/config.js with the FunctionUrl output, upload site/ to the site bucket with the right
content types, and invalidate CloudFront's cache. ``python -m infra.deploy destroy``: stop the
function, empty both buckets (every version) and delete the stack.

Credentials and region come from the usual AWS environment or profile (AWS_PROFILE, AWS_REGION,
~/.aws); nothing secret is read or written here. The steps after CloudFormation are plain functions
over boto3 clients and the stack's outputs, so tests run them against moto.
"""

from __future__ import annotations

import argparse
import mimetypes
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from digits.config import Settings
from infra.site_config import CONFIG_JS, config_js

REPO = Path(__file__).resolve().parents[1]
SITE_DIR = REPO / "site"
SAMCONFIG = REPO / "samconfig.toml"
DEFAULT_STACK = "digits"
DEFAULT_SAM = REPO / ".venv-sam" / "bin" / "sam"
# Explicit types for what the page is made of; mimetypes (which reads /etc/mime.types) for the rest.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
}
# Browsers revalidate every file (cheap with ETags), so a redeploy shows at once everywhere.
CACHE_CONTROL = "no-cache"
DELETE_BATCH = 1000  # S3 DeleteObjects takes at most 1000 keys per call


def write_config_js(site_dir: Path, function_url: str) -> Path:
    """Write config.js in ``site_dir`` for ``function_url`` and return its path."""
    path = site_dir / CONFIG_JS
    # The deployed function runs with the default body limit (template.yaml does not change it).
    path.write_text(config_js(function_url, Settings.from_env({}).max_body_bytes))
    return path


def content_type(path: Path) -> str:
    """Return the Content-Type to serve ``path`` with."""
    known = CONTENT_TYPES.get(path.suffix.lower())
    if known:
        return known
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def site_files(site_dir: Path) -> Iterator[tuple[str, Path]]:
    """Yield (key, path) for every file of the page, hidden files left out."""
    for path in sorted(site_dir.rglob("*")):
        relative = path.relative_to(site_dir)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            yield relative.as_posix(), path


def upload_site(s3, bucket: str, site_dir: Path) -> list[str]:
    """Upload the page to ``bucket``, remove objects it no longer has; return the keys uploaded."""
    keys = []
    for key, path in site_files(site_dir):
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=path.read_bytes(),
            ContentType=content_type(path),
            CacheControl=CACHE_CONTROL,
        )
        keys.append(key)
    stale = [key for key in list_keys(s3, bucket) if key not in set(keys)]
    delete_keys(s3, bucket, [{"Key": key} for key in stale])
    return keys


def list_keys(s3, bucket: str) -> list[str]:
    """Return every key in ``bucket``."""
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys.extend(item["Key"] for item in page.get("Contents", []))
    return keys


def delete_keys(s3, bucket: str, objects: list[dict]) -> None:
    """Delete ``objects`` ({"Key", optional "VersionId"}) in batches; raise if any is refused."""
    for start in range(0, len(objects), DELETE_BATCH):
        batch = objects[start : start + DELETE_BATCH]
        answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        if answer.get("Errors"):
            raise RuntimeError(f"could not delete from {bucket}: {answer['Errors'][:3]}")


def invalidate(cloudfront, distribution_id: str, paths: tuple[str, ...] = ("/*",)) -> str:
    """Ask CloudFront to drop its cached copies of ``paths``; return the invalidation id."""
    answer = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": len(paths), "Items": list(paths)},
            "CallerReference": f"digits-deploy-{time.time_ns()}",
        },
    )
    return answer["Invalidation"]["Id"]


def publish_site(s3, cloudfront, outputs: dict[str, str], site_dir: Path = SITE_DIR) -> str:
    """Point the page at the function, upload it and invalidate the CDN; return the site URL."""
    write_config_js(site_dir, outputs["FunctionUrl"])
    upload_site(s3, outputs["SiteBucketName"], site_dir)
    invalidate(cloudfront, outputs["DistributionId"])
    return outputs["SiteUrl"]


def empty_bucket(s3, bucket: str) -> int:
    """Delete every object, version and delete marker in ``bucket``; return how many."""
    objects = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
            objects.append({"Key": item["Key"], "VersionId": item["VersionId"]})
    delete_keys(s3, bucket, objects)
    return len(objects)


def stop_function(lambda_client, function_name: str) -> None:
    """Throttle the function to zero, so no new image lands while its bucket is emptied."""
    lambda_client.put_function_concurrency(
        FunctionName=function_name, ReservedConcurrentExecutions=0
    )


def stack_outputs(cloudformation, stack_name: str) -> dict[str, str]:
    """Return the stack's outputs by key."""
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    return {item["OutputKey"]: item["OutputValue"] for item in stack.get("Outputs", [])}


def samconfig(path: Path | None = None) -> dict:
    """Return the deploy parameters that ``sam deploy --guided`` saved, or {} before the first."""
    path = path or SAMCONFIG
    if not path.is_file():
        return {}
    document = tomllib.loads(path.read_text())
    return document.get("default", {}).get("deploy", {}).get("parameters", {})


def run(command: list[str]) -> None:
    """Run ``command`` in the repository, its output going straight to the terminal."""
    print("+", " ".join(command), flush=True)
    subprocess.run(command, cwd=REPO, check=True)


def deploy(sam: Path) -> None:
    """Build and deploy the stack, then publish the page."""
    run([str(sam), "build"])
    # The first time, --guided asks for the stack name, region, concurrency cap and the public
    # Function URL, and saves the answers in samconfig.toml; later runs reuse them.
    guided = [] if SAMCONFIG.is_file() else ["--guided"]
    run([str(sam), "deploy", *guided, "--no-fail-on-empty-changeset"])
    params = samconfig()
    session = boto3.Session(region_name=params.get("region"))
    outputs = stack_outputs(
        session.client("cloudformation"), params.get("stack_name", DEFAULT_STACK)
    )
    site_url = publish_site(session.client("s3"), session.client("cloudfront"), outputs)
    print(f"\nsite:     {site_url}\nfunction: {outputs['FunctionUrl']}")
    print("CloudFront serves the new files once the invalidation completes (about a minute).")


def destroy(sam: Path) -> None:
    """Empty both buckets and delete the stack."""
    params = samconfig()
    stack_name = params.get("stack_name", DEFAULT_STACK)
    session = boto3.Session(region_name=params.get("region"))
    outputs = stack_outputs(session.client("cloudformation"), stack_name)
    stop_function(session.client("lambda"), outputs["FunctionName"])
    s3 = session.client("s3")
    for bucket in (outputs["ImagesBucketName"], outputs["SiteBucketName"]):
        print(f"emptied {bucket}: {empty_bucket(s3, bucket)} objects deleted")
    run(
        [str(sam), "delete", "--no-prompts", "--stack-name", stack_name]
        + (["--region", params["region"]] if params.get("region") else [])
    )


def main(argv: list[str] | None = None) -> int:
    """Run ``deploy`` or ``destroy`` from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("deploy", "destroy"))
    parser.add_argument("--sam", type=Path, default=DEFAULT_SAM, help="the sam executable")
    args = parser.parse_args(argv)
    if not args.sam.exists():
        parser.error(f"{args.sam} not found: `make deploy` installs aws-sam-cli in .venv-sam")
    try:
        (deploy if args.action == "deploy" else destroy)(args.sam)
    except subprocess.CalledProcessError as error:
        print(
            f"{' '.join(error.cmd[:2])} failed with exit code {error.returncode}", file=sys.stderr
        )
        return error.returncode or 1
    except (BotoCoreError, ClientError) as error:
        # No credentials, no such stack, access denied: say it in one line, not a traceback.
        print(f"AWS refused: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

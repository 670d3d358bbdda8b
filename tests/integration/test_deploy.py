"""The deploy script's steps after CloudFormation, against moto: config.js, upload, invalidation,
and the teardown steps (stack outputs, throttling the function, emptying versioned buckets)."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from digits.config import MAX_DIGITS, Settings
from infra import deploy
from infra.runtime import runtime_version

REPO = Path(__file__).resolve().parents[2]
# A deploy's region, not the tests' fake REGION (us-east-1, infra/servers.py): outside
# us-east-1 a bucket needs a LocationConstraint, as most deploys' buckets do.
REGION = "eu-west-1"
FUNCTION_URL = "https://a3b5c7d9e1f2g4h6i8j0k2l4m6n8o0pq.lambda-url.eu-west-1.on.aws/"
SITE_BUCKET = "digits-sitebucket-1a2b3c4d5e6f"


@pytest.fixture
def aws(aws_credentials, monkeypatch):
    """moto's AWS for every service, in the deploy region."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield boto3.Session(region_name=REGION)


@pytest.fixture
def site_dir(tmp_path) -> Path:
    """A copy of site/, so writing config.js leaves the repository's file alone."""
    return Path(shutil.copytree(REPO / "site", tmp_path / "site"))


@pytest.fixture
def distribution_id(aws) -> str:
    """A CloudFront distribution in front of the site bucket, as the template makes it."""
    cloudfront = aws.client("cloudfront")
    answer = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "digits-test",
            "Comment": "digits site",
            "Enabled": True,
            "DefaultRootObject": "index.html",
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "SiteBucket",
                        "DomainName": f"{SITE_BUCKET}.s3.{REGION}.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "SiteBucket",
                "ViewerProtocolPolicy": "redirect-to-https",
                "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
            },
        }
    )
    return answer["Distribution"]["Id"]


@pytest.fixture
def outputs(aws, distribution_id) -> dict[str, str]:
    """The stack outputs the deploy script reads, for buckets that exist under moto."""
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=SITE_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    return {
        "FunctionUrl": FUNCTION_URL,
        "SiteUrl": "https://d1a2b3c4d5e6f7.cloudfront.net",
        "DistributionId": distribution_id,
        "SiteBucketName": SITE_BUCKET,
        "ImagesBucketName": "digits-imagesbucket-6f5e4d3c2b1a",
        "FunctionName": "digits-DigitsFunction-Ab12Cd34Ef56",
    }


def test_config_js_exports_the_function_url_and_the_limits(site_dir):
    path = deploy.write_config_js(site_dir, FUNCTION_URL)
    lines = path.read_text().splitlines()
    assert path == site_dir / "config.js"
    assert f'export const FUNCTION_URL = "{FUNCTION_URL.rstrip("/")}";' in lines
    # The deployed function's limit is the default one: the page refuses what it would refuse.
    limit = Settings.from_env({}).max_body_bytes
    assert f"export const MAX_UPLOAD_BYTES = {limit};" in lines
    assert f"export const MAX_DIGITS = {MAX_DIGITS};" in lines


def test_publish_site_uploads_the_page_pointing_at_the_function(aws, outputs, site_dir):
    site_url = deploy.publish_site(
        aws.client("s3"), aws.client("cloudfront"), outputs, site_dir=site_dir
    )
    assert site_url == outputs["SiteUrl"]

    s3 = aws.client("s3")
    expected = sorted(
        p.relative_to(site_dir).as_posix() for p in site_dir.rglob("*") if p.is_file()
    )
    assert "index.html" in expected
    assert "config.js" in expected
    assert sorted(deploy.list_keys(s3, SITE_BUCKET)) == expected

    config = s3.get_object(Bucket=SITE_BUCKET, Key="config.js")
    assert FUNCTION_URL.rstrip("/") in config["Body"].read().decode()
    for key in expected:
        head = s3.head_object(Bucket=SITE_BUCKET, Key=key)
        assert head["ContentType"] == deploy.content_type(Path(key))
        assert head["CacheControl"] == "no-cache"
        assert head["ContentLength"] == (site_dir / key).stat().st_size
    assert s3.head_object(Bucket=SITE_BUCKET, Key="index.html")["ContentType"] == (
        "text/html; charset=utf-8"
    )

    cloudfront = aws.client("cloudfront")
    invalidations = cloudfront.list_invalidations(DistributionId=outputs["DistributionId"])
    items = invalidations["InvalidationList"]["Items"]
    assert len(items) == 1
    batch = cloudfront.get_invalidation(DistributionId=outputs["DistributionId"], Id=items[0]["Id"])
    assert batch["Invalidation"]["InvalidationBatch"]["Paths"]["Items"] == ["/*"]


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("index.html", "text/html; charset=utf-8"),
        ("app.js", "text/javascript; charset=utf-8"),
        ("config.js", "text/javascript; charset=utf-8"),
        ("base.css", "text/css; charset=utf-8"),
        ("openapi.json", "application/json"),
        ("icon.svg", "image/svg+xml"),
        ("digit.png", "image/png"),
        ("favicon.ico", "image/x-icon"),
        ("notes.unknownext", "application/octet-stream"),
    ],
)
def test_content_types(name, content_type):
    assert deploy.content_type(Path(name)) == content_type


def test_upload_site_removes_stale_files_and_skips_hidden_ones(aws, outputs, site_dir):
    s3 = aws.client("s3")
    s3.put_object(Bucket=SITE_BUCKET, Key="old-bundle.js", Body=b"stale")
    (site_dir / ".DS_Store").write_bytes(b"\0")
    keys = deploy.upload_site(s3, SITE_BUCKET, site_dir)
    assert "old-bundle.js" not in deploy.list_keys(s3, SITE_BUCKET)
    assert ".DS_Store" not in keys
    assert sorted(deploy.list_keys(s3, SITE_BUCKET)) == sorted(keys)


def test_empty_bucket_deletes_every_version_and_delete_marker(aws, monkeypatch):
    # Small batches, so a few objects take several DeleteObjects calls (S3 allows 1000 a call).
    monkeypatch.setattr(deploy, "DELETE_BATCH", 4)
    s3 = aws.client("s3")
    bucket = "digits-versioned-bucket"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    # Several batches, two versions of one key, and a delete marker.
    for number in range(10):
        s3.put_object(Bucket=bucket, Key=f"images/{number:05d}.png", Body=b"x")
    s3.put_object(Bucket=bucket, Key="images/00000.png", Body=b"second version")
    s3.delete_object(Bucket=bucket, Key="images/00001.png")

    deleted = deploy.empty_bucket(s3, bucket)

    assert deleted == 10 + 2
    versions = s3.list_object_versions(Bucket=bucket)
    assert "Versions" not in versions
    assert "DeleteMarkers" not in versions
    s3.delete_bucket(Bucket=bucket)  # CloudFormation can now delete it too


def test_empty_bucket_of_an_unversioned_bucket(aws, outputs, site_dir):
    s3 = aws.client("s3")
    deploy.upload_site(s3, SITE_BUCKET, site_dir)
    assert deploy.empty_bucket(s3, SITE_BUCKET) == len(list(site_dir.glob("*")))
    assert deploy.list_keys(s3, SITE_BUCKET) == []


def test_stack_outputs_are_read_by_key(aws):
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {
            "FunctionUrl": {"Value": FUNCTION_URL},
            "SiteBucketName": {"Value": SITE_BUCKET},
        },
    }
    cloudformation = aws.client("cloudformation")
    cloudformation.create_stack(StackName="digits", TemplateBody=json.dumps(template))
    assert deploy.stack_outputs(cloudformation, "digits") == {
        "FunctionUrl": FUNCTION_URL,
        "SiteBucketName": SITE_BUCKET,
    }


def test_stop_function_throttles_it_to_zero(aws):
    iam = aws.client("iam")
    role = iam.create_role(
        RoleName="digits-function",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("lambda_handler.py", "def handler(event, context):\n    return {}\n")
    lambda_client = aws.client("lambda")
    lambda_client.create_function(
        FunctionName="digits-fn",
        Runtime=f"python{runtime_version()}",
        Role=role,
        Handler="lambda_handler.handler",
        Code={"ZipFile": code.getvalue()},
    )
    deploy.stop_function(lambda_client, "digits-fn")
    concurrency = lambda_client.get_function_concurrency(FunctionName="digits-fn")
    assert concurrency["ReservedConcurrentExecutions"] == 0


def test_samconfig_reads_the_guided_answers(tmp_path):
    path = tmp_path / "samconfig.toml"
    assert deploy.samconfig(path) == {}
    path.write_text(
        'version = 0.1\n[default.deploy.parameters]\nstack_name = "digits-demo"\n'
        'region = "eu-west-1"\nresolve_s3 = true\ncapabilities = "CAPABILITY_IAM"\n'
    )
    params = deploy.samconfig(path)
    assert params["stack_name"] == "digits-demo"
    assert params["region"] == "eu-west-1"


def test_main_refuses_without_sam(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        deploy.main(["deploy", "--sam", str(tmp_path / "no-sam")])
    assert stop.value.code == 2
    assert "make deploy" in capsys.readouterr().err


def test_main_says_what_aws_refused(aws, tmp_path, capsys, monkeypatch):
    sam = tmp_path / "sam"
    sam.write_text("")
    monkeypatch.setattr(deploy, "SAMCONFIG", tmp_path / "samconfig.toml")
    assert deploy.main(["destroy", "--sam", str(sam)]) == 1
    assert "AWS refused" in capsys.readouterr().err

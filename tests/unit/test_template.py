"""template.yaml: cfn-lint finds nothing, and what matters for safety and cost is really there."""

from __future__ import annotations

from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint_file
from cfnlint.decode import decode_str

from digits import config
from digits.config import Settings
from digits.storage import idempotency, keys
from infra.runtime import memory_size, runtime_version, timeout_seconds

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"
BUCKETS = ("ImagesBucket", "SiteBucket")


@pytest.fixture(scope="module")
def template() -> dict:
    """The template as CloudFormation reads it (intrinsic functions as dicts)."""
    document, errors = decode_str(TEMPLATE.read_text())
    assert not errors, errors
    return document


@pytest.fixture(scope="module")
def resources(template) -> dict:
    """The template's resources by logical id."""
    return template["Resources"]


@pytest.fixture(scope="module")
def function(resources) -> dict:
    """The function's properties."""
    return resources["DigitsFunction"]["Properties"]


def test_cfn_lint_finds_nothing():
    matches = lint_file(TEMPLATE, config=ManualArgs(regions=["us-east-1", "eu-west-1"]))
    assert [str(m) for m in matches] == []


def test_function_url_is_public_and_leaves_cors_to_the_code(function):
    # CORS in both places would send two Access-Control-Allow-Origin headers.
    assert function["FunctionUrlConfig"] == {"AuthType": "NONE"}
    assert function["Environment"]["Variables"]["ALLOWED_ORIGINS"] == {
        "Fn::Sub": "https://${SiteDistribution.DomainName}"
    }


def test_function_runtime_package_and_environment(resources, function):
    assert function["Runtime"] in ("python3.12", "python3.13")
    assert function["Runtime"] == f"python{runtime_version()}"
    assert function["Handler"] == "lambda_handler.handler"
    assert (REPO / "functions" / "lambda_handler.py").is_file()
    assert function["CodeUri"] == "functions"
    assert resources["DigitsFunction"]["Metadata"] == {
        "BuildMethod": "makefile",
        "ContextPath": "infra",
    }
    variables = function["Environment"]["Variables"]
    assert variables["IMAGES_BUCKET"] == {"Ref": "ImagesBucket"}
    assert variables["MODEL_PATH"] == "/var/task/model/model.joblib"
    # Lambda refuses invocations over 6 MB, and binary bodies arrive base64-encoded (4/3): the
    # function's default limit must fit, and the template must not raise it.
    assert "MAX_BODY_BYTES" not in variables
    assert Settings.from_env({}).max_body_bytes * 4 / 3 < 6 * 1024 * 1024 - 64 * 1024
    assert 128 <= function["MemorySize"] <= 3008
    assert 1 <= function["Timeout"] <= 60


def test_reserved_concurrency_is_a_parameter(template, function):
    parameter = template["Parameters"]["ReservedConcurrency"]
    assert parameter["Type"] == "Number"
    assert function["ReservedConcurrentExecutions"] == {
        "Fn::If": ["CapConcurrency", {"Ref": "ReservedConcurrency"}, {"Ref": "AWS::NoValue"}]
    }


def test_function_may_do_exactly_what_storage_does(function):
    statements = [s for policy in function["Policies"] for s in policy["Statement"]]
    granted = {(action, str(s["Resource"])) for s in statements for action in _list(s["Action"])}
    objects = str({"Fn::Sub": "${ImagesBucket.Arn}/images/*"})
    labels = str({"Fn::Sub": "${ImagesBucket.Arn}/labels/*"})
    records = str({"Fn::Sub": "${ImagesBucket.Arn}/" + idempotency.PREFIX + "*"})
    bucket = str({"Fn::GetAtt": ["ImagesBucket", "Arn"]})
    assert granted == {
        ("s3:GetObject", objects),
        ("s3:PutObject", objects),
        ("s3:PutObjectTagging", objects),
        ("s3:PutObject", labels),
        ("s3:PutObjectTagging", labels),
        ("s3:GetObject", records),
        ("s3:PutObject", records),
        ("s3:ListBucket", bucket),
    }
    assert all(s["Effect"] == "Allow" for s in statements)
    assert all("Condition" not in s for s in statements)  # see the template: 404 vs 403


@pytest.mark.parametrize("name", BUCKETS)
def test_buckets_are_private_and_encrypted(resources, name):
    properties = resources[name]["Properties"]
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    rule = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert properties["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


@pytest.mark.parametrize("name", BUCKETS)
def test_buckets_refuse_plain_http(resources, name):
    policy = next(
        r["Properties"]["PolicyDocument"]
        for r in resources.values()
        if r["Type"] == "AWS::S3::BucketPolicy" and r["Properties"]["Bucket"] == {"Ref": name}
    )
    deny = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert len(deny) == 1
    assert deny[0]["Principal"] == "*"
    assert deny[0]["Action"] == "s3:*"
    assert deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny[0]["Resource"] == [
        {"Fn::GetAtt": [name, "Arn"]},
        {"Fn::Sub": f"${{{name}.Arn}}/*"},
    ]


def test_site_is_read_only_by_this_distribution_through_origin_access_control(resources):
    distribution = resources["SiteDistribution"]["Properties"]["DistributionConfig"]
    (origin,) = distribution["Origins"]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}
    assert origin["DomainName"] == {"Fn::GetAtt": ["SiteBucket", "RegionalDomainName"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    control = resources["SiteOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert control["OriginAccessControlOriginType"] == "s3"
    assert control["SigningBehavior"] == "always"
    assert distribution["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert distribution["DefaultRootObject"] == "index.html"

    policy = resources["SiteBucketPolicy"]["Properties"]["PolicyDocument"]
    (allow,) = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert "SiteDistribution" in str(allow["Condition"]["StringEquals"]["AWS:SourceArn"])


def test_no_bucket_or_policy_is_public(resources):
    for resource in resources.values():
        if resource["Type"] == "AWS::S3::BucketPolicy":
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                if statement["Effect"] == "Allow":
                    assert statement["Principal"] != "*"
                    assert statement.get("Condition"), statement


def test_outputs(template):
    assert {
        "FunctionUrl",
        "SiteUrl",
        "ImagesBucketName",
        "SiteBucketName",
        "DistributionId",
        "FunctionName",
    } <= set(template["Outputs"])
    assert template["Outputs"]["FunctionUrl"]["Value"] == {
        "Fn::GetAtt": ["DigitsFunctionUrl", "FunctionUrl"]
    }


def test_boto3_is_not_shipped():
    # The runtime ships boto3; the package build installs only functions/requirements.txt and
    # checks the result (the built package itself is measured in tests/integration/test_package.py).
    names = [
        line.split("==")[0].strip().lower()
        for line in (REPO / "functions" / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert "boto3" not in names
    assert "botocore" not in names
    build = (REPO / "infra" / "Makefile").read_text()
    assert "-r requirements.txt" in build
    assert 'test ! -e "$(ARTIFACTS_DIR)/boto3"' in build


def _list(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def _rule(resources, rule_id: str) -> dict:
    rules = resources["ImagesBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    return next(rule for rule in rules if rule["Id"] == rule_id)


def test_unlabelled_images_expire_after_image_retention_days(template, resources):
    parameter = template["Parameters"]["ImageRetentionDays"]
    assert (parameter["Default"], parameter["MinValue"]) == (30, 0)
    rule = _rule(resources, "ExpireUnlabelledImages")
    # The tag storage puts on every new image; 0 days turns the rule off (keep forever).
    assert rule["TagFilters"] == [{"Key": keys.RETENTION_TAG, "Value": keys.UNLABELLED}]
    assert rule["Prefix"] == keys.PREFIX
    assert rule["Status"] == {"Fn::If": ["ExpireUnlabelled", "Enabled", "Disabled"]}
    assert rule["ExpirationInDays"] == {
        "Fn::If": ["ExpireUnlabelled", {"Ref": "ImageRetentionDays"}, 1]
    }
    assert template["Conditions"]["ExpireUnlabelled"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "ImageRetentionDays"}, 0]}]
    }


def test_labelled_images_and_labels_have_their_own_longer_retention(template, resources):
    parameter = template["Parameters"]["LabelledImageRetentionDays"]
    assert (parameter["Default"], parameter["MinValue"]) == (0, 0)  # kept, as training data
    rule = _rule(resources, "ExpireLabelledImagesAndLabels")
    assert rule["TagFilters"] == [{"Key": keys.RETENTION_TAG, "Value": keys.LABELLED}]
    assert "Prefix" not in rule  # the images and their label objects alike
    assert rule["Status"] == {"Fn::If": ["ExpireLabelled", "Enabled", "Disabled"]}
    assert rule["ExpirationInDays"] == {
        "Fn::If": ["ExpireLabelled", {"Ref": "LabelledImageRetentionDays"}, 1]
    }


def test_idempotency_records_expire_after_the_day_a_key_holds(resources):
    rule = _rule(resources, "ExpireIdempotencyRecords")
    assert rule["Prefix"] == idempotency.PREFIX
    assert rule["Status"] == "Enabled"
    assert rule["ExpirationInDays"] * 86_400 == idempotency.KEPT.total_seconds()


def test_the_function_knows_its_memory_and_timeout_from_the_template(function):
    # On Lambda they come from the runtime (AWS_LAMBDA_FUNCTION_MEMORY_SIZE, the context); the
    # defaults that stand in for them elsewhere are the template's.
    assert function["MemorySize"] == memory_size() == config.DEFAULT_MEMORY_MB
    assert function["Timeout"] == timeout_seconds() == config.DEFAULT_TIMEOUT_SECONDS
    settings = Settings.from_env({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "2048"})
    assert settings.memory_mb == 2048


def test_snapstart_on_published_versions_behind_the_live_alias_unless_turned_off(
    template, function
):
    parameter = template["Parameters"]["SnapStart"]
    assert (parameter["Default"], parameter["AllowedValues"]) == (
        "Enabled",
        ["Enabled", "Disabled"],
    )
    assert template["Conditions"]["UseSnapStart"] == {
        "Fn::Equals": [{"Ref": "SnapStart"}, "Enabled"]
    }
    assert function["SnapStart"] == {
        "ApplyOn": {"Fn::If": ["UseSnapStart", "PublishedVersions", "None"]}
    }
    # SnapStart never applies to $LATEST: the URL must be on a published version's alias, which
    # SAM puts it on when the function has AutoPublishAlias.
    assert function["AutoPublishAlias"] == "live"
    assert "FunctionUrlConfig" in function


def test_logs_are_json_at_info(function):
    logging = function["LoggingConfig"]
    assert logging["LogFormat"] == "JSON"
    assert logging["ApplicationLogLevel"] == "INFO"
    assert logging["LogGroup"] == {"Ref": "DigitsFunctionLogs"}


def _alarm(resources, name: str) -> dict:
    alarm = resources[name]
    assert alarm["Type"] == "AWS::CloudWatch::Alarm"
    properties = alarm["Properties"]
    assert properties["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert properties["Threshold"] == 1
    assert properties["TreatMissingData"] == "notBreaching"
    return properties


@pytest.mark.parametrize(
    ("name", "metric"), [("FunctionErrorsAlarm", "Errors"), ("ThrottlesAlarm", "Throttles")]
)
def test_lambda_errors_and_throttles_raise_an_alarm(resources, name, metric):
    alarm = _alarm(resources, name)
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
        "AWS/Lambda",
        metric,
        "Sum",
    )
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "DigitsFunction"}}]


@pytest.mark.parametrize(
    ("alarm_name", "filter_name", "metric", "fields"),
    [
        ("ImagesNotSavedAlarm", "ImagesNotSavedMetric", "ImagesNotSaved", ("route", "saved")),
        ("ServerErrorsAlarm", "ServerErrorsMetric", "ServerErrors", ("status",)),
    ],
)
def test_alarms_on_the_request_lines(resources, alarm_name, filter_name, metric, fields):
    from digits.http import request_log

    metric_filter = resources[filter_name]["Properties"]
    assert metric_filter["LogGroupName"] == {"Ref": "DigitsFunctionLogs"}
    pattern = metric_filter["FilterPattern"]
    # The pattern reads the keys request_log writes, on its lines only.
    assert f'$.message = "{request_log.MESSAGE}"' in pattern
    line = request_log.fields(
        route="predict",
        method="POST",
        path="/predict",
        status=200,
        latency_ms=1.0,
        answer={"digit": 1, "confidence": 1.0, "saved": False},
        request_id="r",
    )
    for field in fields:
        assert f"$.{field}" in pattern
        assert field in line
    (transformation,) = metric_filter["MetricTransformations"]
    alarm = _alarm(resources, alarm_name)
    assert (alarm["Namespace"], alarm["MetricName"]) == (
        transformation["MetricNamespace"],
        transformation["MetricName"],
    )
    assert transformation["MetricName"] == metric
    assert alarm["Statistic"] == "Sum"


def test_images_not_saved_counts_predictions_only(resources):
    pattern = resources["ImagesNotSavedMetric"]["Properties"]["FilterPattern"]
    assert '$.route = "predict"' in pattern
    assert '$.route = "predict_batch"' in pattern
    assert "$.saved IS FALSE" in pattern


def test_alarm_email_is_optional(template, resources):
    parameter = template["Parameters"]["AlarmEmail"]
    assert parameter["Default"] == ""
    assert template["Conditions"]["NotifyByEmail"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]
    }
    subscription = resources["AlarmEmailSubscription"]
    assert subscription["Condition"] == "NotifyByEmail"
    assert subscription["Properties"] == {
        "TopicArn": {"Ref": "AlarmTopic"},
        "Protocol": "email",
        "Endpoint": {"Ref": "AlarmEmail"},
    }
    assert resources["AlarmTopic"]["Type"] == "AWS::SNS::Topic"
    assert "Condition" not in resources["AlarmTopic"]

"""The Lambda package as `sam build` makes it: valid template, size, contents, and it really runs.

Needs aws-sam-cli in .venv-sam (``make test`` installs it) and PyPI for the build's wheels; the
run needs the runtime's Python (python3.13, from pyenv here). Locally a missing tool skips these
tests with the reason; under CI (``CI`` set) it fails them, so they never silently stop running.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from infra import measure_lambda

REPO = Path(__file__).resolve().parents[2]
SAM_VENV = REPO / ".venv-sam"
SAM = SAM_VENV / "bin" / "sam"
TEMPLATE = REPO / "template.yaml"
LIMIT_BYTES = 100 * 1000 * 1000  # the target; Lambda's own limit is 250 MB unzipped
STATUSES = {
    "predict-canvas-json.json": 200,
    "predict-multipart-upload.json": 200,
    "predict-raw-png.json": 200,
    "preflight-options.json": 204,
    "bad-request-text-plain.json": 415,
    "bad-request-invalid-json.json": 400,
    "health-get.json": 200,
    "images-gone.json": 404,
    "feedback-unknown-key.json": 404,
}
# Translate the SAM template to plain CloudFormation with SAM's own translator (in .venv-sam).
TRANSLATE = """
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

class NoManagedPolicies:
    def load(self):
        return {}

template = yaml_parse(open(sys.argv[1]).read())
template["Resources"]["DigitsFunction"]["Properties"]["CodeUri"] = "s3://artifacts/digits.zip"
print(json.dumps(transform(template, {}, NoManagedPolicies())))
"""


def missing(reason: str) -> None:
    """Fail under CI, skip elsewhere: a tool this test needs is not installed."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must have it: make test installs it)")
    pytest.skip(reason)


def sam_env() -> dict[str, str]:
    """The environment for sam: no telemetry, a region for the template's pseudo parameters."""
    return {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "eu-west-1"}


@pytest.fixture(scope="module")
def sam() -> Path:
    """The sam executable in .venv-sam."""
    if not SAM.exists():
        missing("aws-sam-cli is not installed in .venv-sam (make test installs it)")
    return SAM


@pytest.fixture(scope="module")
def package(sam, tmp_path_factory) -> Path:
    """The function's package built by `sam build`, in a temporary build dir."""
    build_dir = tmp_path_factory.mktemp("sam") / "build"
    subprocess.run(
        [str(sam), "build", "--template-file", str(TEMPLATE), "--build-dir", str(build_dir)],
        cwd=REPO,
        env=sam_env(),
        check=True,
        capture_output=True,
        timeout=600,
    )
    return build_dir / "DigitsFunction"


def test_sam_validate_lint(sam):
    answer = subprocess.run(
        [str(sam), "validate", "--lint", "--template-file", str(TEMPLATE)],
        cwd=REPO,
        env=sam_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert "is a valid SAM Template" in answer.stdout + answer.stderr


def test_package_fits_with_margin(package):
    size = sum(p.stat().st_size for p in package.rglob("*") if p.is_file())
    print(f"Lambda package: {size / 1e6:.1f} MB unzipped")
    assert size <= LIMIT_BYTES


def test_package_holds_the_code_the_model_and_the_pinned_deps_only(package):
    top = {p.name for p in package.iterdir()}
    assert {"main.py", "lambda_handler.py", "digits", "model"} <= top
    for module in (REPO / "functions" / "digits").glob("*.py"):
        assert (package / "digits" / module.name).read_bytes() == module.read_bytes()
    model = REPO / "model" / "model.joblib"
    assert (package / "model" / "model.joblib").read_bytes() == model.read_bytes()
    # The runtime ships boto3; nothing from the repository's tests, venvs or build output.
    assert not top & {"boto3", "botocore", "s3transfer", "tests", ".venv", ".venv-sam", ".aws-sam"}
    for line in (REPO / "functions" / "requirements.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.strip().split("==")
            dist = re.sub(r"[-_.]+", "_", name).lower()
            assert list(package.glob(f"{dist}-{version}.dist-info")), f"{name}=={version} missing"


def test_package_ships_bytecode_for_the_runtime_python_only(package):
    # /var/task is read-only: without it, every cold start would compile every module again.
    tag = "cpython-" + measure_lambda.runtime_version().replace(".", "")
    compiled = list(package.rglob("*.pyc"))
    assert compiled
    assert all(path.name.endswith(f".{tag}.pyc") for path in compiled)
    for module in [*package.glob("*.py"), *(package / "digits").glob("*.py")]:
        header = (module.parent / "__pycache__" / f"{module.stem}.{tag}.pyc").read_bytes()[:8]
        # PEP 552 flags: tied to the source by hash (bit 0), not checked at import (bit 1 clear).
        assert int.from_bytes(header[4:8], "little") == 1, module.name


def test_package_holds_the_versions_the_tests_ran_with(package):
    # Direct deps are pinned; the indirect ones are held to .venv's by infra/Makefile.
    shipped = {}
    for info in package.glob("*.dist-info"):
        name, version = info.name[: -len(".dist-info")].rsplit("-", 1)
        shipped[name] = version
    assert len(shipped) > 10
    for name, version in shipped.items():
        assert metadata.version(name) == version, name


def test_package_has_wheels_for_the_lambda_runtime(package):
    version = measure_lambda.runtime_version().replace(".", "")
    assert list(
        package.glob(f"numpy/_core/_multiarray_umath.cpython-{version}-x86_64-linux-gnu.so")
    )
    assert list(package.glob(f"PIL/_imaging.cpython-{version}-x86_64-linux-gnu.so"))
    local = f"cpython-{sys.version_info.major}{sys.version_info.minor}-"
    if local != f"cpython-{version}-":
        assert not [p for p in package.rglob("*.so") if local in p.name]


def test_package_runs_on_the_runtime_python(package, tmp_path_factory):
    version = measure_lambda.runtime_version()
    python = measure_lambda.find_python(version)
    if python is None:
        missing(f"no Python {version} (the template's runtime) to run the package with")
    boto3_dir = measure_lambda.install_boto3(tmp_path_factory.mktemp("boto3"), python)
    events = sorted((REPO / "tests" / "events").glob("*.json"))
    report = measure_lambda.run_package(package, python, boto3_dir, events)
    assert report["python"].startswith(version)
    assert {r["event"]: r["status"] for r in report["results"]} == STATUSES
    # The SnapStart hooks run on the package as built, and a restored copy still answers.
    assert report["snapstart"]["first_after_restore_status"] == 200
    memory = int(re.search(r"MemorySize:\s*(\d+)", TEMPLATE.read_text())[1])
    assert report["peak_rss_mb"] < memory / 2


def test_deployed_function_url_is_the_alias_with_no_cors_and_two_public_permissions(sam):
    answer = subprocess.run(
        [str(SAM_VENV / "bin" / "python"), "-c", TRANSLATE, str(TEMPLATE)],
        env=sam_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    resources = json.loads(answer.stdout)["Resources"]
    (url,) = [r for r in resources.values() if r["Type"] == "AWS::Lambda::Url"]
    # On the alias SAM publishes (AutoPublishAlias), never on $LATEST: SnapStart serves versions.
    (alias_id,) = [k for k, r in resources.items() if r["Type"] == "AWS::Lambda::Alias"]
    assert resources[alias_id]["Properties"]["Name"] == "live"
    assert url["Properties"] == {"TargetFunctionArn": {"Ref": alias_id}, "AuthType": "NONE"}
    permissions = sorted(
        (r["Properties"]["Action"], r["Properties"]["Principal"])
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Permission"
    )
    assert all(
        r["Properties"]["FunctionName"] == {"Ref": alias_id}
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Permission"
    )
    # Public Function URLs need both since October 2025.
    assert permissions == [("lambda:InvokeFunction", "*"), ("lambda:InvokeFunctionUrl", "*")]
    role = resources["DigitsFunctionRole"]["Properties"]
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    actions = sorted(
        a
        for s in statements
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    )
    assert set(actions) == {"s3:GetObject", "s3:ListBucket", "s3:PutObject", "s3:PutObjectTagging"}
    assert role["ManagedPolicyArns"] == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    ]

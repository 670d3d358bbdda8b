"""The Lambda package as `sam build` makes it: valid template, size, contents, and it really runs.

It ships what the handler imports and nothing else: functions/requirements.txt and their own
dependencies, not functions/requirements-local.txt's functions-framework, Flask and servers, which
only main.py (not shipped) uses.

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
from packaging.requirements import Requirement

from infra import measure_lambda
from infra.servers import REGION

REPO = Path(__file__).resolve().parents[2]
SAM_VENV = REPO / ".venv-sam"
SAM = SAM_VENV / "bin" / "sam"
TEMPLATE = REPO / "template.yaml"
LIMIT_BYTES = 100 * 1000 * 1000  # the target; Lambda's own limit is 250 MB unzipped
STATUSES = {
    "predict-canvas-json.json": 200,
    "predict-multipart-upload.json": 200,
    "predict-raw-png.json": 200,
    "predict-raw-heic.json": 200,
    "preflight-options.json": 204,
    "bad-request-text-plain.json": 415,
    "bad-request-invalid-json.json": 400,
    "health-get.json": 200,
    "images-gone.json": 404,
    "feedback-unknown-key.json": 404,
}
# What local serving adds (functions/requirements-local.txt): the handler imports none of it.
LOCAL_ONLY = (
    "flask",
    "functions_framework",
    "gunicorn",
    "uvicorn",
    "starlette",
    "watchdog",
    "cloudevents",
)
# The package as built while functions-framework and its dependencies shipped beside the
# handler's, without the model (which changes on its own): `python -m bench.package <build dir>`
# on `sam build`'s output at a49866e said 94,755,787 bytes, less model/model.joblib's 3,799,015.
BEFORE_WITHOUT_MODEL_BYTES = 90_956_772
# Shipped since then, and not counted against what left: pi-heif, HEIC's decoder (issue 22).
ADDED_SINCE = ("pi_heif",)
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


def dist_name(name: str) -> str:
    """Return a distribution's name as its .dist-info folder spells it (PEP 503, underscores)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def requirements(path: Path) -> list[str]:
    """Return the names a requirements file lists itself (not those of the files it includes)."""
    lines = [line.strip() for line in path.read_text().splitlines()]
    return [Requirement(line).name for line in lines if line and not line.startswith(("#", "-"))]


def with_dependencies(names: list[str]) -> set[str]:
    """Return ``names`` and all they depend on, as installed in .venv, for the runtime's Python."""
    version = measure_lambda.runtime_version()
    environment = {"python_version": version, "python_full_version": f"{version}.0", "extra": ""}
    found: set[str] = set()
    todo = list(names)
    while todo:
        name = dist_name(todo.pop())
        if name not in found:
            found.add(name)
            for line in metadata.requires(name) or []:
                requirement = Requirement(line)
                if requirement.marker is None or requirement.marker.evaluate(environment):
                    todo.append(requirement.name)
    return found


def installed_bytes(name: str) -> int:
    """Return the size of a distribution's files in .venv's site-packages (not its scripts)."""
    files = metadata.distribution(name).files or []
    paths = [f.locate() for f in files if not str(f).startswith("..")]
    return sum(path.stat().st_size for path in paths if path.is_file())


def sam_env() -> dict[str, str]:
    """The environment for sam: no telemetry, a region for the template's pseudo parameters."""
    return {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": REGION}


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
    assert {"lambda_handler.py", "digits", "model"} <= top
    # main.py is functions-framework's entry point and imports Flask: it stays out.
    assert "main.py" not in top
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
    # Those and their own dependencies, nothing else.
    shipped = {p.name.split("-")[0] for p in package.glob("*.dist-info")}
    assert shipped == with_dependencies(requirements(REPO / "functions" / "requirements.txt"))


def test_package_leaves_out_what_only_local_serving_needs(package):
    top = {p.name for p in package.iterdir()}
    for name in LOCAL_ONLY:
        assert name not in top, name
        assert not list(package.glob(f"{name}-*.dist-info")), name


def test_package_is_smaller_by_what_left(package):
    functions = REPO / "functions"
    left = with_dependencies(requirements(functions / "requirements-local.txt")) - (
        with_dependencies(requirements(functions / "requirements.txt"))
    )
    assert set(LOCAL_ONLY) <= left
    left_bytes = sum(installed_bytes(name) for name in left)
    model = package / "model" / "model.joblib"
    size = sum(p.stat().st_size for p in package.rglob("*") if p.is_file()) - model.stat().st_size
    added = sum(
        p.stat().st_size
        for name in ADDED_SINCE
        for folder in package.glob(f"{name}*")
        for p in (folder.rglob("*") if folder.is_dir() else [folder])
        if p.is_file()
    )
    print(f"shipped since, not counted: {added / 1e6:.1f} MB ({', '.join(ADDED_SINCE)})")
    size -= added
    saved = BEFORE_WITHOUT_MODEL_BYTES - size
    print(f"without the model: {size / 1e6:.1f} MB, {saved / 1e6:.1f} MB less than before")
    print(f"what left, as installed in .venv: {left_bytes / 1e6:.1f} MB: {sorted(left)}")
    # Roughly: .venv holds Python 3.11's bytecode and the libraries' tests, the package neither.
    assert saved >= 0.8 * left_bytes, f"only {saved / 1e6:.1f} MB less: what grew back?"


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
    assert len(shipped) >= len(requirements(REPO / "functions" / "requirements.txt"))
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


@pytest.fixture(scope="module")
def runtime_python() -> str:
    """An interpreter of the template's Python version."""
    version = measure_lambda.runtime_version()
    python = measure_lambda.find_python(version)
    if python is None:
        missing(f"no Python {version} (the template's runtime) to run the package with")
    return python


@pytest.fixture(scope="module")
def boto3_dir(runtime_python, tmp_path_factory) -> Path:
    """The pinned boto3, installed apart: Lambda's runtime provides it, the package does not."""
    return measure_lambda.install_boto3(tmp_path_factory.mktemp("boto3"), runtime_python)


@pytest.fixture(scope="module")
def report(package, runtime_python, boto3_dir) -> dict:
    """The package run as Lambda would: init, then every event in tests/events, then SnapStart."""
    events = sorted((REPO / "tests" / "events").glob("*.json"))
    return measure_lambda.run_package(package, runtime_python, boto3_dir, events)


def test_package_runs_on_the_runtime_python(report):
    assert report["python"].startswith(measure_lambda.runtime_version())
    assert {r["event"]: r["status"] for r in report["results"]} == STATUSES
    # The SnapStart hooks run on the package as built, and a restored copy still answers.
    assert report["snapstart"]["first_after_restore_status"] == 200
    memory = int(re.search(r"MemorySize:\s*(\d+)", TEMPLATE.read_text())[1])
    assert report["peak_rss_mb"] < memory / 2


def test_package_holds_every_module_the_handler_loads_and_nothing_else(package, boto3_dir, report):
    # The run saw only the package, boto3 and the standard library (python -S: no site-packages),
    # so init, predictions and the SnapStart hooks found every module they import in one of them.
    package, boto3_dir, stdlib = package.resolve(), boto3_dir.resolve(), Path(report["stdlib"])
    imported = set()
    for name, origin in report["modules"].items():
        if origin in (None, "built-in", "frozen"):
            continue  # compiled into the interpreter, or a stand-in a library put in sys.modules
        path = Path(origin).resolve()
        if path.is_relative_to(package):
            imported.add(name.partition(".")[0])
        else:
            assert path.is_relative_to(boto3_dir) or (
                path.is_relative_to(stdlib) and not path.is_relative_to(stdlib / "site-packages")
            ), f"{name} came from {origin}"
    assert {"lambda_handler", "digits", "apig_wsgi", "werkzeug", "numpy", "PIL"} <= imported
    # Werkzeug came without its package __init__, which imports the development server, and
    # joblib without its own, which imports its Parallel and Memory machinery.
    assert not {"werkzeug.serving", "werkzeug.test", "http.server"} & set(report["modules"])
    assert not {"joblib.parallel", "joblib.memory", "asyncio"} & set(report["modules"])
    # And the other way: all that the package holds is imported, but cloudpickle, which only
    # joblib's Parallel imports (shipped, so that joblib works whole if anything asks for it).
    importable = {
        p.name.split(".")[0]
        for p in package.iterdir()
        if p.suffix in (".py", ".so") or (p / "__init__.py").is_file()
    }
    assert importable - {"cloudpickle"} == imported


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

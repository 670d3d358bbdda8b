"""A batch of large images is answered within the function's memory: peak RSS measured in a process.

Each batch goes through the Lambda handler in a process of its own (S3 under moto there too),
which reports its peak RSS (VmHWM). Images past what one request may decode get their own 413
before anything is decoded, and the others are read.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digits.config import DEFAULT_MEMORY_MB, MAX_BATCH_IMAGES
from digits.imaging import budget, decoding
from infra.servers import FAKE_CREDENTIALS, REGION
from tests.images import encode

REPO = Path(__file__).resolve().parents[2]
SIDE = 6000
CHILD = """
import base64, json, sys
import boto3, importlib.util
from moto import mock_aws
boundary = "memory-budget"
data, count = open(sys.argv[1], "rb").read(), int(sys.argv[2])
part = (f"--{boundary}\\r\\nContent-Disposition: form-data; name=\\"file\\"; "
        'filename="large.png"\\r\\nContent-Type: image/png\\r\\n\\r\\n').encode()
body = b"".join(part + data + b"\\r\\n" for _ in range(count)) + f"--{boundary}--\\r\\n".encode()
event = {
    "version": "2.0", "routeKey": "$default", "rawPath": "/predict/batch", "rawQueryString": "",
    "headers": {"content-type": f"multipart/form-data; boundary={boundary}"},
    "requestContext": {"http": {"method": "POST", "path": "/predict/batch",
                                "protocol": "HTTP/1.1", "sourceIp": "::1"}},
    "body": base64.b64encode(body).decode(), "isBase64Encoded": True,
}
def peak_mb():
    with open("/proc/self/status") as status:
        return int(next(l for l in status if l.startswith("VmHWM:")).split()[1]) / 1024
with mock_aws():
    boto3.client("s3").create_bucket(Bucket="digits-memory-budget")  # region from the env
    spec = importlib.util.spec_from_file_location("lambda_handler", sys.argv[3])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    before = peak_mb()
    answer = module.handler(event, None)
    results = json.loads(answer["body"])["results"]
    print(json.dumps({"status": answer["statusCode"], "results": results,
                      "init_mb": before, "peak_mb": peak_mb(), "body_bytes": len(body)}))
"""


def blank_ish(mode: str) -> bytes:
    """Return a SIDE x SIDE PNG, white (or transparent) but for one dark stroke."""
    canvas = np.full((SIDE, SIDE), 255, dtype=np.uint8)
    canvas[1800:4200, 2850:3150] = 0
    image = Image.fromarray(canvas)
    if mode == "RGBA":
        image = image.convert("RGBA")
        image.putalpha(Image.fromarray(255 - canvas))
    return encode(image, "PNG")


def run_batch(tmp_path: Path, data: bytes, count: int) -> dict:
    path = tmp_path / "large.png"
    path.write_bytes(data)
    env = {
        "PATH": "/usr/bin:/bin",
        **FAKE_CREDENTIALS,
        "AWS_DEFAULT_REGION": REGION,
        "IMAGES_BUCKET": "digits-memory-budget",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            str(path),
            str(count),
            str(REPO / "functions" / "lambda_handler.py"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize(("mode", "count"), [("RGBA", 20), ("L", MAX_BATCH_IMAGES)])
def test_a_batch_of_large_images_is_answered_within_the_functions_memory(tmp_path, mode, count):
    data = blank_ish(mode)
    opened = decoding.open_image(data, max_pixels=10**9)
    assert opened.mode == mode
    each = budget.image_bytes(opened)
    capacity = budget.capacity_bytes(DEFAULT_MEMORY_MB)
    fit = capacity // each
    assert 1 <= fit < count  # the case the budget is for: more than one request may decode

    answer = run_batch(tmp_path, data, count)
    assert answer["body_bytes"] < 4 * 1024 * 1024
    assert answer["status"] == 200
    results = answer["results"]
    # The images within the budget are read (what the vision path makes of a stroke this large
    # is not this test's concern); the rest are refused unread.
    assert all(r.get("error", {}).get("code") != "over_budget" for r in results[:fit])
    for refused in results[fit:]:
        assert refused["error"]["code"] == "over_budget"
        assert (
            f"{budget.capacity_bytes(DEFAULT_MEMORY_MB) // budget.MB} MB"
            in (refused["error"]["message"])
        )
    # The images read, at most as many as fit, and the instance itself: within the memory.
    assert answer["peak_mb"] < DEFAULT_MEMORY_MB * (1 - budget.MARGIN)
    assert answer["peak_mb"] - answer["init_mb"] < capacity / budget.MB


def test_an_image_that_alone_needs_more_than_the_budget_is_refused_from_its_header(client):
    canvas = Image.fromarray(np.full((SIDE, SIDE), 65535, dtype=np.uint16))
    sent = encode(canvas, "PNG")  # 16-bit grey: 26 bytes a pixel at its peak
    answer = client.post("/predict", data=sent, content_type="image/png")
    assert answer.status_code == 413
    error = answer.get_json()["error"]
    assert error["code"] == "too_large"
    assert f"{SIDE}x{SIDE} I;16" in error["message"]
    assert f"memory {DEFAULT_MEMORY_MB} MB" in error["message"]

"""The launcher that make dev, the HTTP tests and the bench share (infra/servers.py)."""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from infra import servers


def test_function_env_keeps_real_aws_out_and_takes_extra_settings(monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "someone")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://s3.amazonaws.com")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREAL")
    monkeypatch.delenv("THREADS", raising=False)
    env = servers.function_env("http://127.0.0.1:9", "a-bucket", {"SITE_PORT": 8123})
    assert not {"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"} & set(env)
    assert env["AWS_ACCESS_KEY_ID"] == servers.FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"]
    assert env["AWS_ENDPOINT_URL_S3"] == "http://127.0.0.1:9"
    assert env["IMAGES_BUCKET"] == "a-bucket"
    assert env["THREADS"] == servers.SERVER_DEFAULTS["THREADS"]
    assert env["SITE_PORT"] == "8123"
    # The caller's environment wins over the defaults; the extra settings over both.
    monkeypatch.setenv("THREADS", "2")
    assert servers.function_env("http://x", "b", {"IMAGES_BUCKET": "c"})["THREADS"] == "2"
    assert servers.function_env("http://x", "b", {"IMAGES_BUCKET": "c"})["IMAGES_BUCKET"] == "c"


@pytest.mark.parametrize("own_process", [False, True])
def test_moto_server_serves_s3_until_the_block_ends(own_process, tmp_path):
    with servers.moto_server(own_process=own_process, log=tmp_path / "moto.log") as endpoint:
        client = servers.s3_client(endpoint)
        bucket = f"launcher-test-{'own' if own_process else 'here'}"
        client.create_bucket(Bucket=bucket)
        # In this process, moto's state is shared with any other test's server: others may show.
        assert bucket in [b["Name"] for b in client.list_buckets()["Buckets"]]
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2)


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (an exited one waiting to be reaped is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_stop_group_stops_every_process_in_the_group():
    # A leader with a child of its own, as gunicorn's master has its worker.
    process = subprocess.Popen(
        ["sh", "-c", "sleep 60 & echo $!; wait"],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    child = int(process.stdout.readline())
    process.stdout.close()
    servers.stop_group(process)
    assert process.returncode is not None
    deadline = time.monotonic() + 10
    while running(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(child)


def test_wait_ready_says_when_the_function_exits(tmp_path):
    broken = tmp_path / "main.py"
    broken.write_text("raise SystemExit('no function here')\n")
    port = servers.free_port()
    env = servers.function_env("http://127.0.0.1:9", "a-bucket")
    process = servers.start_function(broken, port, env, log=tmp_path / "function.log")
    try:
        with pytest.raises(RuntimeError, match="the function exited"):
            servers.wait_ready(process, f"http://{servers.HOST}:{port}", timeout=60)
    finally:
        servers.stop_group(process)

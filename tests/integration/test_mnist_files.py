"""MNIST's files: the canonical ones load, a corrupted one is refused, downloads skip bad mirrors.

Reads the real files and serves mirrors over HTTP on loopback, so not a unit test
(tests/unit/test_mnist.py holds the parsing).
"""

import gzip
import http.server
import shutil
import threading
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from model import mnist


def test_load_reads_the_canonical_files(mnist_dir):
    data = mnist.load(mnist_dir)
    assert data.train_images.shape == (60000, 28, 28)
    assert data.test_images.shape == (10000, 28, 28)
    assert data.train_images.dtype == np.uint8
    assert sorted(set(data.test_labels.tolist())) == list(range(10))
    assert data.md5 == mnist.FILES


def test_load_rejects_a_corrupted_file(tmp_path, mnist_dir):
    for name in mnist.FILES:
        shutil.copy(Path(mnist_dir) / name, tmp_path / name)
    corrupted = tmp_path / "t10k-labels-idx1-ubyte.gz"
    corrupted.write_bytes(gzip.compress(b"\x00" * 100))
    with pytest.raises(mnist.MnistError, match="md5 mismatch"):
        mnist.load(tmp_path)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def serve():
    """Serve directories over HTTP on 127.0.0.1; yields a function returning the base URL."""
    servers = []

    def start(directory: Path) -> str:
        handler = partial(QuietHandler, directory=str(directory))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_download_skips_a_corrupted_mirror(tmp_path, mnist_dir, serve):
    bad, good = tmp_path / "bad", tmp_path / "good"
    bad.mkdir()
    shutil.copytree(mnist_dir, good)
    for name in mnist.FILES:
        (bad / name).write_bytes(b"not the file you want")
    cache = tmp_path / "cache"
    mnist.download(cache, mirrors=(serve(bad), serve(good)))
    for name, md5 in mnist.FILES.items():
        assert mnist.md5sum(cache / name) == md5
    assert mnist.load(cache).test_images.shape == (10000, 28, 28)


def test_download_keeps_verified_files_without_fetching(tmp_path, mnist_dir):
    cache = tmp_path / "cache"
    shutil.copytree(mnist_dir, cache)
    mnist.download(cache, mirrors=("http://127.0.0.1:9/",))
    assert sorted(p.name for p in cache.glob("*.gz")) == sorted(mnist.FILES)


def test_download_failure_says_how_to_supply_the_data(tmp_path, serve):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(mnist.MnistError) as raised:
        mnist.download(tmp_path / "cache", mirrors=(serve(empty), "http://127.0.0.1:9/"))
    message = str(raised.value)
    assert "--data-dir" in message
    assert "MNIST_DIR" in message
    assert not list((tmp_path / "cache").iterdir())

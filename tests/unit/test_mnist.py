import gzip
import http.server
import shutil
import struct
import threading
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from model import mnist


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    header = struct.pack(">BBBB", 0, 0, type_code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def test_parse_idx_reads_images_and_labels():
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    labels = np.array([7, 1, 9], dtype=np.uint8)
    np.testing.assert_array_equal(mnist.parse_idx(idx_bytes(images)), images)
    np.testing.assert_array_equal(mnist.parse_idx(idx_bytes(labels)), labels)


def test_parse_idx_reads_big_endian_ints():
    values = np.array([1, -2, 70000], dtype=np.int32)
    np.testing.assert_array_equal(mnist.parse_idx(idx_bytes(values, 0x0C)), values)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "bad magic"),
        (b"\x01\x00\x08\x01", "bad magic"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x00", "unknown data type"),
        (b"\x00\x00\x08\x03\x00\x00", "header incomplete"),
        (idx_bytes(np.zeros((2, 2), np.uint8))[:-1], "truncated"),
        (idx_bytes(np.zeros((2, 2), np.uint8)) + b"\x00", "oversized"),
    ],
)
def test_parse_idx_rejects_bad_files(data, message):
    with pytest.raises(mnist.MnistError, match=message):
        mnist.parse_idx(data)


def test_load_reads_the_canonical_files(mnist_dir):
    data = mnist.load(mnist_dir)
    assert data.train_images.shape == (60000, 28, 28)
    assert data.test_images.shape == (10000, 28, 28)
    assert data.train_images.dtype == np.uint8
    assert sorted(set(data.test_labels.tolist())) == list(range(10))
    assert data.md5 == mnist.FILES


def test_load_names_a_missing_file(tmp_path):
    with pytest.raises(mnist.MnistError, match="missing MNIST file"):
        mnist.load(tmp_path)


def test_load_rejects_a_corrupted_file(tmp_path, mnist_dir):
    for name in mnist.FILES:
        shutil.copy(Path(mnist_dir) / name, tmp_path / name)
    corrupted = tmp_path / "t10k-labels-idx1-ubyte.gz"
    corrupted.write_bytes(gzip.compress(b"\x00" * 100))
    with pytest.raises(mnist.MnistError, match="md5 mismatch"):
        mnist.load(tmp_path)


def test_data_dir_argument_wins_over_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MNIST_DIR", "/from/env")
    assert mnist.resolve_data_dir(tmp_path) == tmp_path
    assert mnist.resolve_data_dir(None) == Path("/from/env")


def test_without_data_dir_or_environment_downloads_to_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("MNIST_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    fetched = []
    monkeypatch.setattr(mnist, "download", lambda cache_dir: fetched.append(cache_dir) or cache_dir)
    assert mnist.resolve_data_dir() == tmp_path / "digits" / "mnist"
    assert fetched == [tmp_path / "digits" / "mnist"]


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

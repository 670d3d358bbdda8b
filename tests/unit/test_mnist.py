"""MNIST's IDX parsing and where the files are looked for: no MNIST files read here."""

import struct
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


def test_load_names_a_missing_file(tmp_path):
    with pytest.raises(mnist.MnistError, match="missing MNIST file"):
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

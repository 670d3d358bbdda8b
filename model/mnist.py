"""Read MNIST from its canonical IDX files, downloading and verifying them when none are given."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FILES = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class MnistError(Exception):
    """MNIST could not be read, found or verified."""


@dataclass(frozen=True)
class Mnist:
    """The four MNIST arrays: 28x28 uint8 images (white ink on black) and uint8 labels."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    md5: dict[str, str]


def parse_idx(data: bytes) -> np.ndarray:
    """Parse an IDX file's bytes (already decompressed) into an array."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise MnistError("not an IDX file: bad magic number")
    dtype, ndim = data[2], data[3]
    if dtype not in IDX_DTYPES:
        raise MnistError(f"not an IDX file: unknown data type 0x{dtype:02x}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise MnistError("truncated IDX file: header incomplete")
    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", ndim, 4))
    dt = np.dtype(IDX_DTYPES[dtype])
    expected = int(np.prod(shape)) * dt.itemsize
    if len(data) - header != expected:
        raise MnistError(
            f"truncated or oversized IDX file: {len(data) - header} data bytes for shape "
            f"{shape}, expected {expected}"
        )
    return np.frombuffer(data, dt, offset=header).reshape(shape).astype(dt.newbyteorder("="))


def md5sum(path: Path) -> str:
    """Return the hex md5 of a file."""
    digest = hashlib.md5()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, expected_md5: str) -> None:
    """Raise MnistError unless the file exists and has the expected md5."""
    if not path.is_file():
        raise MnistError(f"missing MNIST file: {path}")
    actual = md5sum(path)
    if actual != expected_md5:
        raise MnistError(f"md5 mismatch for {path}: got {actual}, expected {expected_md5}")


def default_cache_dir() -> Path:
    """Where downloaded MNIST files are kept: $XDG_CACHE_HOME/digits/mnist."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "digits" / "mnist"


def download(cache_dir: Path, mirrors: tuple[str, ...] = MIRRORS, timeout: float = 30.0) -> Path:
    """Download the four files into cache_dir, each from the first mirror that has it intact."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    for name, md5 in FILES.items():
        target = cache_dir / name
        if target.is_file() and md5sum(target) == md5:
            continue
        failures = []
        for mirror in mirrors:
            try:
                _fetch(mirror + name, target, timeout)
                verify(target, md5)
                break
            except (OSError, MnistError) as exc:
                target.unlink(missing_ok=True)
                failures.append(f"{mirror}: {exc}")
        else:
            raise MnistError(
                f"could not download {name} from any mirror ("
                + "; ".join(failures)
                + "). Supply MNIST yourself: pass --data-dir DIR or set MNIST_DIR=DIR "
                "to a directory holding the four canonical .gz files."
            )
    return cache_dir


def _fetch(url: str, target: Path, timeout: float) -> None:
    print(f"downloading {url}", file=sys.stderr)
    with (
        urllib.request.urlopen(url, timeout=timeout) as response,
        tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp,
    ):
        shutil.copyfileobj(response, tmp)
    Path(tmp.name).replace(target)


def resolve_data_dir(data_dir: str | Path | None = None) -> Path:
    """Pick the MNIST directory: --data-dir, then MNIST_DIR, then the download cache."""
    chosen = data_dir or os.environ.get("MNIST_DIR")
    if chosen:
        return Path(chosen)
    return download(default_cache_dir())


def load(data_dir: str | Path | None = None) -> Mnist:
    """Load MNIST from a directory of the canonical .gz files, verifying every md5."""
    directory = resolve_data_dir(data_dir)
    arrays, sums = {}, {}
    for name, md5 in FILES.items():
        path = directory / name
        verify(path, md5)
        sums[name] = md5
        with gzip.open(path, "rb") as f:
            arrays[name] = parse_idx(f.read())
    return Mnist(
        train_images=arrays["train-images-idx3-ubyte.gz"],
        train_labels=arrays["train-labels-idx1-ubyte.gz"],
        test_images=arrays["t10k-images-idx3-ubyte.gz"],
        test_labels=arrays["t10k-labels-idx1-ubyte.gz"],
        md5=sums,
    )

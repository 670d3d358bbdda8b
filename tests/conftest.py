import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The canonical MNIST files: MNIST_DIR, else ../shared/data/mnist beside the repository."""
    directory = Path(os.environ.get("MNIST_DIR") or REPO.parent / "shared" / "data" / "mnist")
    if not (directory / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.fail(f"MNIST not found in {directory}: set MNIST_DIR to the four canonical files")
    return directory

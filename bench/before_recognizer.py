"""The function's reading path as it was at an earlier commit, beside today's, in one process.

Issue 21 asks that reading by recognition take "no more time per image than today", today being
the code it was written against. That code is commit BASE: its ``digits`` package and its model
are taken from git (``git archive``), renamed ``digits_before_recognizer`` so that both versions
import in one process, and timed image by image in turn with today's (bench/numbers.py), so that
a change in the machine's load falls on both alike. ``reader`` takes another commit and package
name too (bench/before_photos.py: the function before issue 22's photo work). Without git or the
commit (a shallow clone), there is nothing to load, and the figure is not measured.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import io
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench import servers

# The last commit before issue 21's work began (4f73a07, "Numbers by recognition", is the first).
BASE = "0e82c0ae938ece20381d36fe859f8cbbf0f6a823"
PACKAGE = "digits_before_recognizer"
# The package importing itself: "from digits.x", "from digits import", "import digits.x".
_OWN_IMPORT = re.compile(r"\b(from|import) digits\b")


@functools.cache
def reader(
    max_pixels: int, base: str | None = None, package: str = PACKAGE
) -> tuple[Callable, Callable] | None:
    """Return the (decode, read) pair of commit ``base`` (default BASE), its package imported as
    ``package``: ``decode(data)`` gives the image its read_digits takes, ``read(image)`` reads it
    with that commit's model; None if git cannot give the commit."""
    archive = _archive(base or BASE)
    if archive is None:
        return None
    root = Path(tempfile.mkdtemp(prefix=f"{package.removeprefix('digits_').replace('_', '-')}-"))
    atexit.register(shutil.rmtree, root, True)
    _extract(archive, root, package)
    sys.path.insert(0, str(root))
    decoding = importlib.import_module(f"{package}.imaging.decoding")
    recognise = importlib.import_module(f"{package}.recognise")
    inference = importlib.import_module(f"{package}.classifier.inference")
    errors = importlib.import_module(f"{package}.errors")
    model = inference.load_model(root / "model.joblib")

    def decode(data: bytes):
        return decoding.decode_image(data, max_pixels=max_pixels).image

    def read(image) -> list:
        try:
            return recognise.read_digits(model, image)
        except errors.RequestError:
            return []  # answered all the same: "nothing drawn" is an answer

    return decode, read


def _archive(base: str) -> bytes | None:
    """Return git's tar of the commit's package and model; None without git or the commit."""
    try:
        return subprocess.run(
            [
                "git",
                "-C",
                str(servers.REPO),
                "archive",
                base,
                "functions/digits",
                "model/model.joblib",
            ],
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


def _extract(archive: bytes, into: Path, package_name: str) -> None:
    """Write the commit's package, renamed ``package_name``, and its model under ``into``."""
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    package = into / package_name
    (into / "functions" / "digits").rename(package)
    for source in package.rglob("*.py"):
        source.write_text(_OWN_IMPORT.sub(rf"\1 {package_name}", source.read_text()))
    (into / "model" / "model.joblib").rename(into / "model.joblib")
